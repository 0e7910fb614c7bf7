#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks. Idempotent; run as root (or
# with sudo); needs root only when something is missing.
#   bash scripts/install-deps.sh          make build and make demo: gcc, make,
#                                         git and a Go toolchain new enough for
#                                         go.mod (scripts/install-go.sh: when
#                                         there is none, from the Go module
#                                         proxy, checksum-verified)
#   bash scripts/install-deps.sh --test   also make test's tool chain: cross
#                                         compilers, QEMU, Chromium, the image
#                                         tools, staticcheck (make test runs it)
set -euo pipefail
cd "$(dirname "$0")/.."

test=
case ${1:-} in
  --test) test=1 ;;
  '') ;;
  *) echo "usage: $0 [--test]" >&2; exit 2 ;;
esac

# make build, make demo (the demo itself needs only bash and coreutils), and
# curl, unzip, openssl and CA certificates to fetch and check a Go toolchain.
demo_pkgs=(
  gcc libc6-dev make git
  ca-certificates curl unzip openssl
)

# make test's tool chain (--test).
pkgs=(
  gcc g++ make git file pkg-config
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
  gcc-arm-linux-gnueabi libc6-dev-armel-cross
  qemu-user
  fonts-droid-fallback
  libzxing-dev
  # image checks (genimage, RAUC bundle) and script linting
  genimage rauc shellcheck squashfs-tools dosfstools mtools e2fsprogs fdisk u-boot-tools openssl
  python3-magic flake8
  # make imagetest: QEMU arm64, U-Boot and RAUC built from Debian source, flashing files
  qemu-system-arm bison flex bc libssl-dev libgnutls28-dev bmap-tools xz-utils dpkg-dev autoconf automake libtool cpio kmod
  # the status page is tested in a real browser
  chromium
  # printed cards are rasterised and decoded back in the card tests
  poppler-utils
)
want=("${demo_pkgs[@]}")
if [[ -n $test ]]; then want+=("${pkgs[@]}"); fi
# make bench: zxing-cpp 3 (the zxing-wasm npm package) runs under node beside
# the decoder. Debian's nodejs and npm, unless a node with npm is already
# installed (NodeSource's nodejs carries npm and conflicts with Debian's).
if [[ -n $test ]] && ! { command -v node && command -v npm; } > /dev/null; then want+=(nodejs npm); fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) != 0 ]]; then
    echo "install-deps: missing ${missing[*]}; run as root (sudo bash $0 $*)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Go: the go on PATH or in $SCANGATE_GO_ROOT (default /usr/local/go) if new
# enough for go.mod, else installed there. The Makefile finds it the same way.
bash scripts/install-go.sh
go=$(bash scripts/install-go.sh --find --quiet)
if [[ -n $test ]]; then
  gopath=$("$go" env GOPATH)
  [[ -x $gopath/bin/staticcheck ]] || "$go" install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
"$go" mod download
