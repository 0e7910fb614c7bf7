#!/usr/bin/env bash
# The scangate demo on simulated hardware: an issuer, a trust list and four
# cards (valid, expired, revoked, forged); the kiosk daemon in --sim mode; each
# card shown to the simulated camera (and one typed into the simulated serial
# scanner); the four outcomes at the "door". Then a local collector: the kiosk
# enrolls with a one-time token from its scangate.toml, takes its trust data
# from the collector, uploads its check-ins (the administrator asks who was at
# the venue), and a card revoked at the collector fails at the door seconds
# later. Runs from the repository root after `make build`; everything it makes
# goes to ./demo. Needs nothing beyond bash and coreutils.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/bin
out=$PWD/demo
rm -rf "$out"
mkdir -p "$out"
cd "$out"
t1=$(date -u +%Y-%m-%dT%H:%M:%SZ)

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "An administrator creates an issuer key and a trust list"
"$bin/scangate" keygen --issuer community-centre-7 --name "鼓楼区社区中心 Gulou Community Centre" --out keys

say "…and prints cards (PNG for the simulated camera; PDF sheet for the printer)"
"$bin/scangate" issue --key keys/issuer.key --name 王秀英 --category elder --out valid.png
"$bin/scangate" issue --key keys/issuer.key --name 李明 --category child --expires 2025-06-30 --out expired.png 2>&1 | sed 's/^/  /'
"$bin/scangate" issue --key keys/issuer.key --name 张伟 --category companion --out revoked.png
cat > people.csv <<'CSV'
name,category,expires,photo
王秀英,elder,2027-12-31,
李明,child,2027-12-31,
欧阳娜娜,elder,2027-12-31,
张伟,companion,2027-12-31,
CSV
"$bin/scangate" issue --key keys/issuer.key --csv people.csv --out sheet.pdf

say "A card is reported lost: the administrator revokes it"
"$bin/scangate" revoke --key keys/issuer.key --revocations keys/revocations.json "$(sed -n 's/.*"card_id": "\([0-9a-f]*\)".*/\1/p' revoked.png.json | head -1)"

say "Someone forges a card with a key of their own"
"$bin/scangate" keygen --issuer community-centre-7 --out forger >/dev/null
"$bin/scangate" issue --key forger/issuer.key --name 赵强 --category elder --out forged.png

say "The kiosk starts on simulated hardware (log: demo/scangated.log)"
"$bin/scangated" --sim --data var --trust keys/trust.json >kiosk.out 2>scangated.log &
pid=$!
cpid=
stop_all() {
  for p in $pid $cpid; do kill "$p" 2>/dev/null || true; done
  for p in $pid $cpid; do wait "$p" 2>/dev/null || true; done
}
trap stop_all EXIT
for _ in $(seq 50); do [ -S var/control.sock ] && break; sleep 0.1; done

present() {
  local label=$1; shift
  printf '\n\033[1m%-28s\033[0m ' "$label"
  local res before
  before=$(wc -l <kiosk.out)
  res=$("$bin/scangate" present --data var --json "$@") || true
  echo "$res"
  sleep 0.2
  # What the door showed: the first light and screen after the decision.
  # (lit LEDs only, and not the idle screen the kiosk returns to)
  tail -n +"$((before + 1))" kiosk.out | grep 'LED' | grep -m1 '●' | sed 's/^/    /' || true
  tail -n +"$((before + 1))" kiosk.out | grep 'SCREEN' | grep -v -m1 'Show your card' | sed 's/^/    /' || true
  sleep 0.6
}

say "People hold their cards to the reader"
present "valid card (王秀英):"     --image valid.png --hold 700ms
present "expired card (李明):"     --image expired.png --hold 700ms
present "revoked card (张伟):"     --image revoked.png --hold 700ms
present "forged card (赵强):"      --image forged.png --hold 700ms
present "a restaurant menu QR:"    --text "https://example.org/menu"
present "valid card again:"        --text "$(sed -n 's/.*"qr": "\(.*\)".*/\1/p' valid.png.json)"

say "The technician's view: scangate status"
"$bin/scangate" status --data var

# ---- The collector -------------------------------------------------------
say "A collector starts on 127.0.0.1 (SQLite; log: demo/collector.log)"
mkdir -p -m 700 collector   # the collector refuses secrets readable by others
head -c 24 /dev/urandom | base64 >collector/admin.token
chmod 600 collector/admin.token
# The key-encryption key seals the issuer keys the collector holds.
[ -f collector/kek ] || "$bin/scangate" collector gen-kek collector/kek >/dev/null
"$bin/scangate" collector --listen 127.0.0.1:0 --db collector/collector.db --kek-file collector/kek \
  --admin-token-file collector/admin.token --key collector/collector.key >collector.out 2>collector.log &
cpid=$!
for _ in $(seq 100); do grep -q '^listening on ' collector.out 2>/dev/null && break; sleep 0.1; done
url="http://$(sed -n 's/^listening on //p' collector.out)"
sed 's/^/  /' collector.out
admin() { "$bin/scangate" collector admin --url "$url" --admin-token-file collector/admin.token "$@"; }

say "The administrator sets up the venue at the collector (scangate collector admin …)"
admin venue-add gulou-7 "鼓楼区社区中心 Gulou Community Centre" >/dev/null && echo "  venue gulou-7"
admin issuer-add community-centre-7 --public-key keys/issuer.pub --name "Gulou Community Centre" >/dev/null &&
  echo "  trusts the issuer that printed the cards above (its public key, keys/issuer.pub)"
admin card-revoke "$(sed -n 's/.*"card_id": "\([0-9a-f]*\)".*/\1/p' revoked.png.json | head -1)" >/dev/null &&
  echo "  the lost card (张伟) is revoked here too"
admin issuer-add gulou-office --name "Gulou social office" >/dev/null &&
  echo "  a second issuer whose key the collector holds, and a card from it:"
admin card-issue gulou-office h-0042 --name 欧阳娜娜 --category elder --valid 8760h >card-ouyang.json
ouyang_qr=$(sed -n 's/.*"qr":"\([^"]*\)".*/\1/p' card-ouyang.json)
ouyang_id=$(sed -n 's/.*"card_id":"\([^"]*\)".*/\1/p' card-ouyang.json)
echo "  欧阳娜娜 (elder), card ${ouyang_id:0:8}…"
token=$(admin enroll-token gulou-7 --ttl 1h)
echo "  one-time enrollment token for the kiosk: ${token:0:12}…"

say "The technician puts the collector into the kiosk's scangate.toml and restarts it"
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=
cat >scangate.toml <<TOML
[uplink]
enabled = true
url = "$url"
collector_key = "$out/collector/collector.key.pub"
enroll_token = "$token"
poll_interval = "2s"
TOML
sed 's/^/  /' scangate.toml
"$bin/scangated" --sim --config scangate.toml --data var >>kiosk.out 2>>scangated.log &
pid=$!
status_json() { "$bin/scangate" status --data var --json 2>/dev/null || true; }
field() { sed -n "s/.*\"$1\": \"\{0,1\}\([^\",]*\).*/\1/p" | head -1; }
for _ in $(seq 150); do
  st=$(status_json)
  if [ "$(echo "$st" | field enrolled)" = true ] && [ -n "$(echo "$st" | field bundle_etag)" ]; then break; fi
  sleep 0.1
done
echo "$st" | grep -q '"enrolled": true' || { echo "the kiosk did not enroll; see demo/scangated.log" >&2; exit 1; }
echo "  enrolled as $(echo "$st" | field device_id); trust list v$(echo "$st" | field list_version) from the collector"

say "At the door, with the collector's trust data"
present "collector-issued (欧阳娜娜):" --text "$ouyang_qr"
present "lost card (张伟):"        --image revoked.png --hold 700ms

say "The check-ins arrive at the collector (made before enrollment too)"
for _ in $(seq 100); do
  [ "$(status_json | field outbox_depth)" = 0 ] && break
  sleep 0.1
done
t2=$(date -u -d '+1 minute' +%Y-%m-%dT%H:%M:%SZ)
echo "  who was at gulou-7 between $t1 and $t2?"
admin venue-visits gulou-7 --from "$t1" --to "$t2" --csv | cut -d, -f1,7,10,11,13,14 | sed 's/^/    /'

say "A card is revoked at the collector; the kiosk learns of it on its next poll"
rev0=$(status_json | field revocation_version)
admin card-revoke "$ouyang_id" >/dev/null
start=$(date +%s%3N)
for _ in $(seq 200); do
  rev=$(status_json | field revocation_version)
  [ -n "$rev" ] && [ "$rev" != "$rev0" ] && break
  sleep 0.1
done
ms=$(($(date +%s%3N) - start))
printf '  revocation list v%s in force at the kiosk after %d.%d s\n' "$rev" $((ms / 1000)) $((ms % 1000 / 100))
present "the same card (欧阳娜娜):" --text "$ouyang_qr"

say "Done. Cards and the A4 sheet are in demo/; the kiosk's database is demo/var/scangate.db; the collector's demo/collector/collector.db."
