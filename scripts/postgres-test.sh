#!/usr/bin/env bash
# Starts a local PostgreSQL for the collector's backend tests and prints the
# DSN as a shell export, so CI can run:
#
#   eval "$(bash scripts/postgres-test.sh)"
#
# Idempotent; run as root on Debian 12. Progress goes to stderr, only the
# export line goes to stdout.
set -euo pipefail

role=scangate_test
db=scangate_test
pass=${SCANGATE_TEST_PG_PASSWORD:-scangate_test}
port=5432

log() { echo "postgres-test: $*" >&2; }

if ! command -v pg_ctlcluster >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing postgresql"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
fi

# The newest installed major version, rather than a hard-coded 15.
ver=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$ver main"; then
  log "creating cluster $ver main"
  pg_createcluster "$ver" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $4}' | grep -q online; then
  log "starting cluster $ver main"
  pg_ctlcluster "$ver" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $3}')

# Wait for the server to accept connections (a fresh start takes a moment).
for _ in $(seq 1 50); do
  runuser -u postgres -- psql -p "$port" -qAtc 'select 1' >/dev/null 2>&1 && break
  sleep 0.2
done

psql_admin() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qAt "$@"; }

if [ "$(psql_admin -c "select 1 from pg_roles where rolname='$role'")" != 1 ]; then
  log "creating role $role"
  psql_admin -c "create role $role login password '$pass'" >&2
else
  psql_admin -c "alter role $role login password '$pass'" >&2
fi
if [ "$(psql_admin -c "select 1 from pg_database where datname='$db'")" != 1 ]; then
  log "creating database $db"
  psql_admin -c "create database $db owner $role" >&2
fi

echo "export SCANGATE_TEST_PG_DSN=postgres://$role:$pass@127.0.0.1:$port/$db?sslmode=disable"
