#!/usr/bin/env bash
# install-go.sh: makes sure a Go toolchain new enough for go.mod is there.
#
#   bash scripts/install-go.sh            install one if there is none (root)
#   bash scripts/install-go.sh --find     print the go to use, or exit 1
#   bash scripts/install-go.sh --zip F    install from the zip F (no download)
#   options: --root DIR (default $SCANGATE_GO_ROOT or /usr/local/go),
#            --version 1.26.8 (default: see below), --quiet
#
# "New enough" is go.mod's toolchain line, else its go line. The go on PATH
# counts, then ROOT/bin/go (the one the Makefile falls back to). With
# neither, the toolchain comes from the Go module proxy as the module
# golang.org/toolchain@v0.0.1-goVERSION.linux-ARCH, the same zip the go
# command itself downloads to switch toolchains, and is checked the way the
# go command checks it, without a Go toolchain:
#   - the zip's h1: hash (golang.org/x/mod/sumdb/dirhash: sha256 of the sorted
#     lines "<sha256 of the file>  <name>\n", in base64) must equal the one
#     the checksum database sum.golang.org records for that module version;
#   - the database's answer is believed only when its signed tree head
#     carries a valid Ed25519 signature by sum.golang.org's key (the key the
#     go command has built in) and the record is proven to be in that tree
#     (a Merkle inclusion proof computed from the database's tiles).
# A zip that fails any check is refused and deleted; nothing is installed.
#
# VERSION: --version, else $SCANGATE_GO_VERSION, else go.mod's toolchain
# line, else the newest release of go.mod's go line's minor version (1.26.x
# for "go 1.26.0") that the proxy lists, so a fresh machine gets the
# security fixes.
#
# $GOPROXY (its first http(s) entry; default https://proxy.golang.org) is
# the proxy; the checksum database is read through it when it offers that
# (/sumdb/sum.golang.org/supported), else from https://sum.golang.org.
# Downloads are cached in $SCANGATE_GO_CACHE (default
# ~/.cache/scangate-go); a cached zip is verified again on every use.
# Needs bash, coreutils, curl, unzip and openssl (install-deps.sh installs
# them first).
set -euo pipefail
cd "$(dirname "$0")/.."

root=${SCANGATE_GO_ROOT:-/usr/local/go}
version=${SCANGATE_GO_VERSION:-}
cache=${SCANGATE_GO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scangate-go}
mode=install
zip=
quiet=
while (($#)); do
  case $1 in
    --find) mode='find' ;;
    --root) root=$2; shift ;;
    --version) version=${2#go}; shift ;;
    --zip) zip=$2; shift ;;
    --quiet) quiet=1 ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "install-go: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
root=${root%/}

say() { [[ -n $quiet ]] || echo "install-go: $*" >&2; }
die() { echo "install-go: $*" >&2; exit 1; }

# --- versions ----------------------------------------------------------------
# vkey 1.26.8 -> "1 26 8 3 0"; 1.26rc1 -> "1 26 0 2 1"; 1.26beta2 -> "1 26 0 1 2";
# 1.26 (a language version) -> "1 26 0 0 0"
vkey() {
  local v=$1 pre=3 pn=0 x y z
  if [[ $v =~ ^([0-9]+)\.([0-9]+)(rc|beta)([0-9]+)$ ]]; then
    x=${BASH_REMATCH[1]} y=${BASH_REMATCH[2]} z=0 pn=${BASH_REMATCH[4]}
    [[ ${BASH_REMATCH[3]} == rc ]] && pre=2 || pre=1
  elif [[ $v =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]]; then
    x=${BASH_REMATCH[1]} y=${BASH_REMATCH[2]} z=${BASH_REMATCH[3]}
  elif [[ $v =~ ^([0-9]+)\.([0-9]+)$ ]]; then
    x=${BASH_REMATCH[1]} y=${BASH_REMATCH[2]} z=0 pre=0
  else
    return 1
  fi
  echo "$x $y $z $pre $pn"
}
# vge A B: A >= B
vge() {
  local a b i
  read -r -a a <<<"$(vkey "$1")" || return 1
  read -r -a b <<<"$(vkey "$2")" || return 1
  ((${#a[@]} == 5 && ${#b[@]} == 5)) || return 1
  for i in 0 1 2 3 4; do
    ((10#${a[i]} > 10#${b[i]})) && return 0
    ((10#${a[i]} < 10#${b[i]})) && return 1
  done
  return 0
}

[[ -f go.mod ]] || die "no go.mod in $PWD"
golang=$(awk '$1 == "go" {print $2; exit}' go.mod)
toolchain=$(awk '$1 == "toolchain" {sub(/^go/, "", $2); print $2; exit}' go.mod)
[[ -n $golang ]] || die "go.mod has no go line"
need=${toolchain:-$golang}
[[ -n $toolchain ]] && vge "$golang" "$toolchain" && need=$golang

# goversion GO: the version a go binary is, never switching toolchains.
goversion() {
  local out
  out=$(GOTOOLCHAIN=local "$1" version 2>/dev/null) || return 1
  out=${out#go version go}
  echo "${out%% *}"
}

# find_go: the first go new enough: PATH, then ROOT/bin/go.
find_go() {
  local c v
  for c in "$(command -v go 2>/dev/null || true)" "$root/bin/go"; do
    [[ -n $c && -x $c ]] || continue
    v=$(goversion "$c") || continue
    if vge "$v" "$need"; then
      echo "$c"
      return 0
    fi
    say "$c is go$v, older than go.mod's go$need; not used"
  done
  return 1
}

if [[ $mode == find ]]; then
  find_go
  exit
fi

if [[ -z $zip ]] && found=$(find_go); then
  say "using $found (go$(goversion "$found")); nothing to install"
  exit 0
fi

for tool in curl unzip openssl sha256sum base64 od awk sed sort xargs; do
  command -v "$tool" >/dev/null || die "needs $tool (apt-get install curl unzip openssl ca-certificates)"
done

case $(uname -m) in
  x86_64|amd64) arch=amd64 ;;
  aarch64|arm64) arch=arm64 ;;
  armv6l|armv7l|armv8l) arch=armv6l ;;
  i?86) arch=386 ;;
  riscv64) arch=riscv64 ;;
  ppc64le) arch=ppc64le ;;
  s390x) arch=s390x ;;
  loongarch64) arch=loong64 ;;
  *) die "no Go toolchain for this machine ($(uname -m))" ;;
esac

proxy=https://proxy.golang.org
IFS=',|' read -r -a entries <<<"${GOPROXY:-}"
for e in "${entries[@]}"; do
  if [[ $e == off ]]; then die "GOPROXY=$GOPROXY: no proxy to download Go from"; fi
  if [[ $e == http://* || $e == https://* ]]; then proxy=${e%/}; break; fi
done
case ${GOSUMDB:-sum.golang.org} in
  sum.golang.org|sum.golang.org+033de0ae+*) ;;
  *) die "GOSUMDB=$GOSUMDB: only sum.golang.org is supported here (its key is built in)" ;;
esac

fetch() { # fetch URL FILE
  curl -fsSL --retry 3 --connect-timeout 20 -o "$2" "$1"
}
fetch_text() { curl -fsSL --retry 3 --connect-timeout 20 "$1"; }

mod=golang.org/toolchain
if [[ -z $version ]]; then
  if [[ -n $toolchain ]]; then
    version=$toolchain
  else
    minor=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$golang")
    list=$(fetch_text "$proxy/$mod/@v/list") || die "cannot list $proxy/$mod/@v/list"
    for mv in $list; do
      v=${mv#v0.0.1-go}
      [[ $v == "$minor".*.linux-"$arch" ]] || continue
      v=${v%.linux-"$arch"}
      [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || continue
      vge "$v" "$golang" || continue
      if [[ -z $version ]] || vge "$v" "$version"; then version=$v; fi
    done
    [[ -n $version ]] || die "the proxy lists no go$minor.x release for linux-$arch"
  fi
fi
vkey "$version" >/dev/null || die "bad version $version"
vge "$version" "$need" || die "go$version is older than go.mod's go$need"
mv=v0.0.1-go$version.linux-$arch
prefix="$mod@$mv/"
parent=$(dirname "$root")
# ROOT is replaced only if it is a Go installation (an older one) or empty.
is_goroot() { [[ -x $1/bin/go && -f $1/VERSION ]]; }
if [[ -e $root ]] && ! is_goroot "$root" && ! [[ -d $root && -z $(ls -A "$root") ]]; then
  die "$root exists and is not a Go installation; remove it or set SCANGATE_GO_ROOT"
fi
if ! mkdir -p "$parent" 2>/dev/null || [[ ! -w $parent ]]; then
  die "cannot write $parent to install go$version in $root: run as root (sudo), or set SCANGATE_GO_ROOT"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/scangate-go.XXXXXX")
stage=
cleanup() {
  rm -rf "$work"
  if [[ -n $stage ]]; then rm -rf "$stage"; fi
}
trap cleanup EXIT

# --- the checksum database ---------------------------------------------------
sumdb=https://sum.golang.org
if [[ $(curl -fsS -o /dev/null -w '%{http_code}' --connect-timeout 20 "$proxy/sumdb/sum.golang.org/supported" 2>/dev/null || true) == 200 ]]; then
  sumdb=$proxy/sumdb/sum.golang.org
fi
vkey_name=sum.golang.org
vkey_hash=033de0ae
vkey_b64=Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8 # as in cmd/go/internal/modfetch/key.go

tohex() { od -An -v -tx1 | tr -d ' \n'; }
# hex2esc HEX: "\xAA\xBB..." for printf %b
hex2esc() {
  local h=$1 i out=
  for ((i = 0; i < ${#h}; i += 2)); do out+="\\x${h:i:2}"; done
  printf '%s' "$out"
}
# nodehash LEFT RIGHT (hex): sha256(0x01 || left || right), RFC 6962
nodehash() {
  local out
  out=$(printf '%b' "\\x01$(hex2esc "$1")$(hex2esc "$2")" | sha256sum)
  REPLY=${out%% *}
}

fetch_text "$sumdb/lookup/$mod@$mv" >"$work/lookup" || die "the checksum database has no $mod@$mv ($sumdb/lookup/$mod@$mv)"
# lookup: "<record id>\n<record text>\n<signed tree note>"
id=$(head -n 1 "$work/lookup")
[[ $id =~ ^[0-9]+$ ]] || die "checksum database: bad lookup answer"
sed -n '2,/^$/{/^$/!p}' "$work/lookup" >"$work/record"
sed '1,/^$/d' "$work/lookup" >"$work/note"
sed -n '/^$/q;p' "$work/note" >"$work/note.text"
sig=$(LC_ALL=C grep -m 1 "^— $vkey_name " "$work/note" | awk '{print $3}') || die "checksum database: tree note not signed by $vkey_name"
[[ $(printf '%s' "$sig" | base64 -d 2>/dev/null | head -c 4 | tohex) == "$vkey_hash" ]] ||
  die "checksum database: signature is not by key $vkey_hash"
printf '%s' "$sig" | base64 -d | tail -c +5 >"$work/sig"
# The key's hash (its name, a newline, then the key) is the one in its name.
[[ $({ printf '%s\n' "$vkey_name"; printf '%s' "$vkey_b64" | base64 -d; } | sha256sum | cut -c 1-8) == "$vkey_hash" ]] ||
  die "internal: the built-in key for $vkey_name is not $vkey_hash"
{ printf '%b' '\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00'; printf '%s' "$vkey_b64" | base64 -d | tail -c +2; } >"$work/key.der"
openssl pkeyutl -verify -pubin -keyform DER -inkey "$work/key.der" -rawin -in "$work/note.text" -sigfile "$work/sig" >/dev/null 2>&1 ||
  die "checksum database: the tree note's signature does not verify with $vkey_name's key; refused"
[[ $(sed -n 1p "$work/note.text") == "go.sum database tree" ]] || die "checksum database: not a tree note"
size=$(sed -n 2p "$work/note.text")
if ! [[ $size =~ ^[0-9]+$ ]] || ((id >= size)); then
  die "checksum database: record $id not in a tree of size $size"
fi
root_hex=$(sed -n 3p "$work/note.text" | base64 -d | tohex)
((${#root_hex} == 64)) || die "checksum database: bad tree hash"

# The record's inclusion in the signed tree. Tiles (tile/8/L/N) hold the
# hashes of the complete subtrees of height 8L; node L N computes any other.
declare -A tiles=()
tile() { # tile L N: hex of tile N at tile level L, at least as wide as the tree has
  local l=$1 n=$2 w path s k
  [[ -n ${tiles[$l/$n]:-} ]] && return 0
  w=$(((size >> (8 * l)) - n * 256))
  ((w > 256)) && w=256
  k=$n
  s=$(printf '%03d' $((k % 1000)))
  while ((k >= 1000)); do k=$((k / 1000)); s=$(printf 'x%03d/' $((k % 1000)))$s; done
  path=tile/8/$l/$s
  if ((w < 256)); then
    fetch "$sumdb/$path.p/$w" "$work/tile" || fetch "$sumdb/$path" "$work/tile" ||
      die "checksum database: cannot fetch $path"
  else
    fetch "$sumdb/$path" "$work/tile" || die "checksum database: cannot fetch $path"
  fi
  tiles[$l/$n]=$(tohex <"$work/tile")
  ((${#tiles[$l/$n]} >= w * 64)) || die "checksum database: short tile $path"
}
node() { # node LEVEL INDEX: hash of that complete subtree; the path to the record is recomputed
  local l=$1 i=$2 left
  if (((id >> l) == i)); then
    if ((l == 0)); then REPLY=$leaf; return; fi
  elif ((l % 8 == 0)); then
    tile $((l / 8)) $((i / 256))
    local t=${tiles[$((l / 8))/$((i / 256))]}
    REPLY=${t:$(((i % 256) * 64)):64}
    return
  fi
  node $((l - 1)) $((2 * i)); left=$REPLY
  node $((l - 1)) $((2 * i + 1))
  nodehash "$left" "$REPLY"
}
leaf=$({ printf '\0'; cat "$work/record"; } | sha256sum); leaf=${leaf%% *}
subs=() start=0
for ((l = 62; l >= 0; l--)); do
  if (((size >> l) & 1)); then
    node "$l" $((start >> l)); subs+=("$REPLY")
    start=$((start + (1 << l)))
  fi
done
h=${subs[-1]}
for ((j = ${#subs[@]} - 2; j >= 0; j--)); do nodehash "${subs[j]}" "$h"; h=$REPLY; done
[[ $h == "$root_hex" ]] || die "checksum database: record $id is not in the signed tree (inclusion proof failed); refused"
want=$(awk -v m="$mod" -v v="$mv" '$1 == m && $2 == v {print $3}' "$work/record")
[[ $want == h1:* ]] || die "checksum database: no h1: hash for $mod@$mv"
say "checksum database: $mod@$mv $want (record $id, signed tree of $size, proof checked)"

# --- the zip -------------------------------------------------------------------
if [[ -z $zip ]]; then
  mkdir -p "$cache"
  zip=$cache/$mv.zip
  if [[ ! -s $zip ]]; then
    say "downloading $proxy/$mod/@v/$mv.zip"
    fetch "$proxy/$mod/@v/$mv.zip" "$zip.part" || die "download failed: $proxy/$mod/@v/$mv.zip"
    mv "$zip.part" "$zip"
  else
    say "cached $zip"
  fi
  downloaded=1
else
  downloaded=
fi
refuse() {
  if [[ -n $downloaded ]]; then rm -f "$zip"; fi
  die "REFUSED $zip: $*${downloaded:+ (deleted; run again to download it anew)}"
}

# Unpack next to ROOT (so the final rename stays on one file system), then
# hash what was unpacked: the zip's own name list must be exactly the files
# that came out (no directories, links, duplicates or names outside the
# module), so this is the hash of the zip's files.
stage=$(mktemp -d "$parent/.scangate-go.XXXXXX")
unzip -Z1 "$zip" >"$work/names" 2>/dev/null || refuse "not a zip file"
# A module zip unpacks to at most 500 MiB (golang.org/x/mod/zip's limit).
unpacked=$(unzip -Zt "$zip" 2>/dev/null | awk '{print $3; exit}')
if ! [[ $unpacked =~ ^[0-9]+$ ]] || ((unpacked > 500 << 20)); then
  refuse "unpacks to ${unpacked:-?} bytes, more than a module may"
fi
LC_ALL=C grep -v -e '^golang\.org/toolchain@'"${mv//./\\.}"'/[^/]' "$work/names" >"$work/bad" || true
LC_ALL=C grep -F -e "\\" "$work/names" >>"$work/bad" || true
LC_ALL=C grep -e '/\.\./' -e '/\./' -e '//' -e '/$' "$work/names" >>"$work/bad" || true
[[ -s $work/bad ]] && refuse "names outside $prefix or not plain: $(head -n 3 "$work/bad" | tr '\n' ' ')"
LC_ALL=C sort "$work/names" >"$work/names.sorted"
dups=$(uniq -d "$work/names.sorted" | head -n 3)
[[ -z $dups ]] || refuse "the same name twice: $dups"
unzip -qq "$zip" -d "$stage" </dev/null 2>"$work/unzip.err" || refuse "unzip failed: $(head -n 3 "$work/unzip.err")"
(cd "$stage" && find golang.org ! -type d ! -type f) >"$work/odd"
[[ -s $work/odd ]] && refuse "not plain files: $(head -n 3 "$work/odd" | tr '\n' ' ')"
(cd "$stage" && find golang.org -type f) | LC_ALL=C sort >"$work/files"
cmp -s "$work/files" "$work/names.sorted" || refuse "the unpacked files are not the zip's name list"
hex=$(cd "$stage" && tr '\n' '\0' <"$work/names.sorted" | xargs -0 sha256sum -- | sha256sum)
got=h1:$(printf '%b' "$(hex2esc "${hex%% *}")" | base64)
[[ $got == "$want" ]] || refuse "its hash $got is not $want, the checksum database's for $mod@$mv"
say "verified $mv.zip: $got"

# --- install -------------------------------------------------------------------
goroot=$stage/$mod@$mv
# The module zip keeps no mode bits: the commands must be executable (the go
# command does the same after it downloads a toolchain).
find "$goroot/bin" "$goroot/pkg/tool" -type f -exec chmod 0755 {} +
got_version=$(goversion "$goroot/bin/go") || die "the downloaded go does not run on this machine"
[[ $got_version == "$version" ]] || die "the downloaded go says go$got_version, not go$version"
if [[ -e $root ]]; then
  if is_goroot "$root"; then
    say "replacing $root ($(head -n 1 "$root/VERSION"))"
    mv "$root" "$stage/old"
  else
    rmdir "$root"
  fi
fi
if ! mv "$goroot" "$root"; then
  if [[ -e $stage/old ]]; then mv "$stage/old" "$root"; fi
  die "cannot move the new toolchain to $root"
fi
say "installed go$version in $root (the Makefile finds it; or add $root/bin to PATH)"
