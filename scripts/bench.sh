#!/usr/bin/env bash
# make bench: every speed and memory target of scangate, measured on this
# machine and printed beside its target. Targets are checked here, from
# Go benchmarks and same-run ratios, never by wall-clock asserts in tests.
#
# SCANGATE_BENCH_QUICK=1 runs shorter versions (fewer cards, no 100k drain).
set -euo pipefail
cd "$(dirname "$0")/.."
tags=(-tags sqlite_omit_load_extension)
quick=${SCANGATE_BENCH_QUICK:-0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gobench() { # pkg pattern benchtime [extra...]
	local pkg=$1 pat=$2 bt=$3
	shift 3
	go test "${tags[@]}" -count=1 -run '^$' -benchmem -bench "$pat" -benchtime "$bt" "$pkg" "$@" | tee -a "$tmp/all.txt" | grep -E '^Benchmark' || true
}
metric() { # benchmark-name unit → value
	awk -v n="$1" -v u="$2" '$1 ~ "^"n"(-[0-9]+)?$" { for (i = 3; i < NF; i++) if ($(i+1) == u) { print $i; exit } }' "$tmp/all.txt"
}

echo "== identity codes (idcode)"
gobench ./idcode '^Benchmark(Verify|Parse|Ed25519Verify)$' 2000x
echo "== durable check-in commit (store)"
gobench ./store '^Benchmark(RecordCheckin|LastPass)$' 500x
echo "== QR decode beside zxing-cpp (scanner)"
bash scripts/bench-decode.sh "$([ "$quick" = 1 ] && echo 200 || echo 1000)" | tee "$tmp/decode.txt"
cards=$([ "$quick" = 1 ] && echo 200 || echo 1000)
echo "== frame → feedback through decode, verify and durable commit ($cards cards)"
gobench ./kiosk '^BenchmarkDoorLatency$' "${cards}x"
echo "== the daemon as a process: idle CPU with a 30 fps camera, RSS after 10,000 check-ins"
gobench ./cmd/scangated '^BenchmarkDaemonIdleCPU$' 10x
gobench ./cmd/scangated '^BenchmarkDaemonRSS$' "$([ "$quick" = 1 ] && echo 2000 || echo 10000)x"
echo "== collector ingest, 1,000 devices over loopback HTTP"
if [ -z "${SCANGATE_TEST_PG_DSN:-}" ] && [ "$(id -u)" = 0 ]; then
	eval "$(bash scripts/postgres-test.sh 2>/dev/null)" || true
fi
gobench ./sync/collector '^BenchmarkIngest$' 2000x -ingest.devices=1000
if [ -n "${SCANGATE_TEST_PG_DSN:-}" ]; then
	echo "== collector ingest, one and two collector processes on one PostgreSQL"
	gobench ./integration/fleet '^BenchmarkFleetIngest$' "$([ "$quick" = 1 ] && echo 200 || echo 1000)x"
fi
if [ "$quick" != 1 ]; then
	echo "== device drain after a week offline (100,000 queued)"
	gobench ./sync/uplink '^BenchmarkDrain$' 1x -timeout 30m
fi

printf '\n%-52s %14s %14s\n' "target" "measured" "goal"
row() { printf '%-52s %14s %14s\n' "$1" "${2:-n/a}" "$3"; }
verify_ns=$(metric BenchmarkVerify ns/op)
row "verify one card (µs)" "$(awk -v v="$verify_ns" 'BEGIN{ if (v != "") printf "%.1f", v/1000 }')" "≤ 100"
row "door latency p50 (ms)" "$(metric BenchmarkDoorLatency p50-ms)" "-"
row "door latency p99 (ms)" "$(metric BenchmarkDoorLatency p99-ms)" "≤ 30"
row "daemon idle CPU, 30 fps, no card (% of a core)" "$(metric BenchmarkDaemonIdleCPU %core)" "≤ 15"
row "daemon RSS after the check-ins (MB)" "$(metric BenchmarkDaemonRSS RSS-MB)" "≤ 40"
row "collector ingest, SQLite (check-ins/s)" "$(metric BenchmarkIngest/sqlite checkins/s)" "≥ 50,000"
row "collector ingest, PostgreSQL (check-ins/s)" "$(metric BenchmarkIngest/postgres checkins/s)" "-"
row "collector ingest p99 request (ms), SQLite" "$(metric BenchmarkIngest/sqlite p99-ms)" "-"
row "fleet ingest, 1 collector process (check-ins/s)" "$(metric 'BenchmarkFleetIngest/procs=1' checkins/s)" "-"
row "fleet ingest, 2 collector processes (check-ins/s)" "$(metric 'BenchmarkFleetIngest/procs=2' checkins/s)" "-"
row "device drain (records/s)" "$(metric BenchmarkDrain records/s)" "≥ 5,000"
row "device drain p99 request (ms)" "$(metric BenchmarkDrain p99-ms)" "-"
echo
grep -E 'ratio|decoded' "$tmp/decode.txt" || true
