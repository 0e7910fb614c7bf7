#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, test and demo
# scangate. Idempotent; run as root (or with sudo).
set -euo pipefail

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
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PATH="$PATH:/usr/local/go/bin"
gopath=$(go env GOPATH)
export PATH="$PATH:$gopath/bin"
command -v staticcheck >/dev/null || go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
go mod download
