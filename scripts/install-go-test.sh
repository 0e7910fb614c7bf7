#!/usr/bin/env bash
# install-go-test.sh (CI, .ci/run): the README's path on a machine without
# Go. On a PATH with no go and an empty install root, scripts/install-go.sh
# must install a toolchain that verifies and runs, the Makefile must find
# it, a second run must do nothing, and tampered zips must be refused with
# nothing installed. The ~70 MB zip is cached in $SCANGATE_GO_CACHE (default
# ~/.cache/scangate-go), as install-go.sh caches it. Needs python3 (its
# zipfile module) to make the tampered zips. Prints PASS/FAIL per check.
set -euo pipefail
cd "$(dirname "$0")/.."

WORK=$(mktemp -d "${TMPDIR:-/tmp}/scangate-install-go-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fails=0
pass() { echo "install-go-test: PASS $*"; }
fail() { echo "install-go-test: FAIL $*"; fails=$((fails + 1)); }

nogo=
IFS=: read -r -a dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [[ -n $d && ! -x $d/go ]] && nogo+=${nogo:+:}$d
done
export PATH=$nogo
unset GOROOT GOTOOLCHAIN SCANGATE_GO_VERSION
if command -v go >/dev/null; then fail "a go is still on PATH: $(command -v go)"; exit 1; fi
pass "PATH without go: $PATH"

root=$WORK/go
golang=$(awk '$1 == "go" {print $2; exit}' go.mod)
minor=$(awk '$1 == "go" {split($2, v, "."); print v[1] "." v[2]; exit}' go.mod)

# 1. a fresh install
if SCANGATE_GO_ROOT=$root bash scripts/install-go.sh 2>"$WORK/log1"; then
  pass "install-go.sh installed into an empty root"
else
  cat "$WORK/log1"; fail "install-go.sh failed"; exit 1
fi
sed 's/^/    /' "$WORK/log1"
if grep -q 'proof checked' "$WORK/log1" && grep -q '^install-go: verified ' "$WORK/log1"; then
  pass "checked against the checksum database (signature, inclusion proof, h1 hash)"
else
  fail "no checksum database check in the log"
fi
v=$(sed -n 's/^install-go: installed go\([^ ]*\) in .*/\1/p' "$WORK/log1")
out=$("$root/bin/go" version 2>&1 || true)
case $out in
  "go version go$v linux/"*) pass "$root/bin/go version: $out" ;;
  *) fail "$root/bin/go version: '$out', want go$v" ;;
esac
if [[ $v == "$minor".* ]]; then pass "go$v is a go$minor release (go.mod: go $golang)"; else fail "go$v is not go$minor.x"; fi
out=$("$root/bin/go" list -m 2>&1 || true)
if [[ $out == "$(awk '$1 == "module" {print $2; exit}' go.mod)" ]]; then
  pass "it reads go.mod: go list -m: $out"
else
  fail "go list -m: $out"
fi
# The Makefile finds it, and puts it on the scripts' PATH.
out=$(SCANGATE_GO_ROOT=$root make -s -n build 2>&1 | grep ' build ' || true)
if [[ $out == "$root/bin/go build "* ]]; then pass "make build uses $root/bin/go"; else fail "make -n build: $out"; fi
out=$(SCANGATE_GO_ROOT=/nonexistent make -s build 2>&1 || true)
if [[ $out == *"no Go toolchain new enough for go.mod"* ]]; then
  pass "no Go at all, make build says: ${out#*\*\*\* }"
else
  fail "make build without Go: $out"
fi

# 2. again: nothing to do
if SCANGATE_GO_ROOT=$root bash scripts/install-go.sh 2>"$WORK/log2" && grep -q 'nothing to install' "$WORK/log2"; then
  pass "second run: $(cat "$WORK/log2")"
else
  cat "$WORK/log2"; fail "second run did not find the installed go"
fi

# An older go on PATH (Debian's golang-go is 1.19) is passed over, for
# install-go.sh and for make and the scripts make runs.
mkdir -p "$WORK/oldgo"
printf '#!/bin/sh\necho go version go1.19.8 linux/amd64\n' >"$WORK/oldgo/go"
chmod +x "$WORK/oldgo/go"
printf 't-path:\n\t@command -v go\n' >"$WORK/path.mk"
out=$(PATH=$WORK/oldgo:$PATH SCANGATE_GO_ROOT=$root bash scripts/install-go.sh --find 2>/dev/null || true)
out2=$(PATH=$WORK/oldgo:$PATH SCANGATE_GO_ROOT=$root make -s -f Makefile -f "$WORK/path.mk" t-path 2>&1 || true)
if [[ $out == "$root/bin/go" && $out2 == "$root/bin/go" ]]; then
  pass "an older go on PATH is passed over (install-go.sh --find, make's PATH)"
else
  fail "older go on PATH: --find '$out', make's go '$out2'"
fi
# A root that is not a Go installation is never replaced.
mkdir -p "$WORK/notgo"
touch "$WORK/notgo/keep"
if SCANGATE_GO_ROOT=$WORK/notgo bash scripts/install-go.sh 2>"$WORK/log-notgo"; then
  fail "installed over $WORK/notgo"
elif grep -q 'is not a Go installation' "$WORK/log-notgo" && [[ -e $WORK/notgo/keep ]]; then
  pass "a root that is not a Go installation is left alone: $(cat "$WORK/log-notgo")"
else
  cat "$WORK/log-notgo"; fail "root that is not a Go installation"
fi

# 3. tampered zips are refused and install nothing
mv=$(sed -n 's/^install-go: verified \(.*\)\.zip: .*/\1/p' "$WORK/log1")
zip=${SCANGATE_GO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scangate-go}/$mv.zip
[[ -n $mv && -s $zip ]] || { fail "cannot find the cached zip ($zip)"; exit 1; }
prefix="golang.org/toolchain@$mv"
tamper() { # tamper KIND OUT
  python3 -W ignore - "$1" "$zip" "$2" "$prefix" <<'PY'
import shutil, sys, zipfile
kind, src, out, prefix = sys.argv[1:]
if kind == "extra":      # one more file
    shutil.copyfile(src, out)
    with zipfile.ZipFile(out, "a") as z:
        z.writestr(prefix + "/bin/evil", "#!/bin/sh\necho evil\n")
elif kind == "twice":    # a second VERSION after the real one
    shutil.copyfile(src, out)
    with zipfile.ZipFile(out, "a") as z:
        z.writestr(prefix + "/VERSION", "go9.9.9\n")
elif kind == "changed":  # the same names, one file's content changed
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zo:
        for info in zi.infolist():
            data = zi.read(info)
            if info.filename == prefix + "/bin/gofmt":
                data = data[:-1] + bytes([data[-1] ^ 1])
            info.compress_type = zipfile.ZIP_STORED
            zo.writestr(info, data)
PY
}
for kind in extra twice changed; do
  tamper "$kind" "$WORK/$kind.zip"
  troot=$WORK/t-$kind/go
  if SCANGATE_GO_ROOT=$troot bash scripts/install-go.sh --zip "$WORK/$kind.zip" 2>"$WORK/log-$kind"; then
    fail "$kind: a tampered zip was installed"
  elif grep -q 'REFUSED' "$WORK/log-$kind" && [[ ! -e $troot ]] && [[ -z $(ls -A "$WORK/t-$kind" 2>/dev/null) ]]; then
    pass "$kind: $(grep REFUSED "$WORK/log-$kind" | sed "s|$WORK/||")"
  else
    cat "$WORK/log-$kind"; fail "$kind: not refused as tampered, or something was left in $troot"
  fi
done
# a tampered zip in the download cache is refused and deleted
mkdir -p "$WORK/cache"
cp "$WORK/extra.zip" "$WORK/cache/$mv.zip"
if SCANGATE_GO_CACHE=$WORK/cache SCANGATE_GO_VERSION=${v} SCANGATE_GO_ROOT=$WORK/t-cache/go \
  bash scripts/install-go.sh 2>"$WORK/log-cache"; then
  fail "cache: a tampered cached zip was installed"
elif grep -q 'REFUSED.*deleted' "$WORK/log-cache" && [[ ! -e $WORK/cache/$mv.zip && ! -e $WORK/t-cache/go ]]; then
  pass "cache: a tampered cached zip is refused and deleted"
else
  cat "$WORK/log-cache"; fail "cache: not refused and deleted"
fi

# 4. a checksum database answer changed on the way (a proxy in the middle
# that vouches for the tampered zip) is refused
bad_h1=$(sed -n 's/.*its hash \(h1:[^ ]*\) is not.*/\1/p' "$WORK/log-extra")
upstream=https://proxy.golang.org
IFS=',|' read -r -a entries <<<"${GOPROXY:-}"
for e in "${entries[@]}"; do
  if [[ $e == http://* || $e == https://* ]]; then upstream=${e%/}; break; fi
done
mitm() { # mitm MODE: a proxy on 127.0.0.1 that forwards to $upstream; prints its port to $WORK/port
  python3 - "$1" "$upstream" "$bad_h1" "$WORK/extra.zip" "$WORK/port" <<'PY' &
import http.server, re, sys, urllib.request
mode, upstream, bad_h1, zip_path, port_file = sys.argv[1:]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        try:
            if self.path.endswith(".zip"):
                data = open(zip_path, "rb").read()
            else:
                data = urllib.request.urlopen(upstream + self.path, timeout=60).read()
            if "/sumdb/sum.golang.org/lookup/" in self.path:
                text = data.decode()
                text = re.sub(r"^(golang\.org/toolchain \S+) h1:\S+$", r"\1 " + bad_h1, text, count=1, flags=re.M)
                if mode == "note":  # a tree of our own, under the real signature
                    lines = text.split("\n")
                    i = lines.index("go.sum database tree")
                    lines[i + 1] = str(int(lines[i + 1]) + 1)
                    text = "\n".join(lines)
                data = text.encode()
        except Exception as e:
            self.send_error(404, str(e))
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(port_file, "w").write(str(srv.server_address[1]))
srv.serve_forever()
PY
  mitm_pid=$!
  for _ in $(seq 50); do [[ -s $WORK/port ]] && break; sleep 0.1; done
}
for mode in record note; do
  rm -f "$WORK/port"
  mitm "$mode"
  if [[ -z $bad_h1 || ! -s $WORK/port ]]; then
    fail "$mode: no proxy in the middle"
  elif GOPROXY=http://127.0.0.1:$(cat "$WORK/port") SCANGATE_GO_CACHE=$WORK/cache-$mode SCANGATE_GO_VERSION=$v \
    SCANGATE_GO_ROOT=$WORK/t-$mode/go bash scripts/install-go.sh 2>"$WORK/log-$mode"; then
    fail "$mode: installed a zip the checksum database answer was changed for"
  elif grep -q -e 'inclusion proof failed' -e 'signature does not verify' "$WORK/log-$mode" && [[ ! -e $WORK/t-$mode/go ]]; then
    pass "$mode changed in the middle: $(tail -n 1 "$WORK/log-$mode")"
  else
    cat "$WORK/log-$mode"; fail "$mode: not refused by the checksum database check"
  fi
  kill "$mitm_pid" 2>/dev/null || true
  wait "$mitm_pid" 2>/dev/null || true
done

if ((fails)); then echo "install-go-test: $fails FAIL"; exit 1; fi
echo "install-go-test: all PASS"
