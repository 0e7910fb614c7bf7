#!/usr/bin/env bash
# The scangate demo on simulated hardware: an issuer, a trust list and four
# cards (valid, expired, revoked, forged); the kiosk daemon in --sim mode; each
# card shown to the simulated camera (and one typed into the simulated serial
# scanner); the four outcomes at the "door". Runs from the repository root
# after `make build`; everything it makes goes to ./demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/bin
out=$PWD/demo
rm -rf "$out"
mkdir -p "$out"
cd "$out"

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
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
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
  tail -n +"$((before + 1))" kiosk.out | grep -m1 'LED' | sed 's/^/    /' || true
  tail -n +"$((before + 1))" kiosk.out | grep -m1 'SCREEN' | sed 's/^/    /' || true
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

say "Done. Cards and the A4 sheet are in demo/; the kiosk's database is demo/var/scangate.db."
