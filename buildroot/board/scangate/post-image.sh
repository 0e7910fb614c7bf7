#!/bin/sh
# Buildroot post-image script: boot partition, SD card image, RAUC bundle.
# Arguments: BINARIES_DIR COMPATIBLE ROOTDEV_PREFIX CONSOLE_TTY
# Tools come from PATH: Buildroot puts its host tools first (genimage,
# mkimage, rauc, xz, bmap-tools); scripts/image-check.sh and
# scripts/imagetest.sh run this script with Debian's.
set -eu

BINARIES_DIR=$1
COMPATIBLE=$2
# ROOTDEV_PREFIX and CONSOLE_TTY ($3, $4) are post-build.sh's (slot.scr).
BOARD_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "${BOARD_DIR}/../../.." && pwd)
KEY_DIR=${SCANGATE_RAUC_KEY_DIR:-${BOARD_DIR}/rauc-keys}
# Production: SCANGATE_RAUC_KEY may be a PKCS#11 URI (RAUC_PKCS11_MODULE set).
RAUC_KEY=${SCANGATE_RAUC_KEY:-${KEY_DIR}/dev.key.pem}
RAUC_CERT=${SCANGATE_RAUC_CERT:-${KEY_DIR}/dev.cert.pem}
RAUC_KEYRING=${SCANGATE_RAUC_KEYRING:-${RAUC_CERT}}
VERSION=${SCANGATE_VERSION:-$(git -C "${REPO_DIR}" describe --always --dirty 2>/dev/null || echo custom)}
GENIMAGE_TMP=${BUILD_DIR:-${BINARIES_DIR}}/genimage.tmp

WORK=$(mktemp -d)
trap 'rm -rf "${WORK}"' EXIT
BOOT="${WORK}/root/boot"
mkdir -p "${BOOT}" "${WORK}/root/data"

# Boot partition: Raspberry Pi firmware and device trees when present
# (QEMU loads U-Boot itself), U-Boot, the A/B boot script, the initial
# U-Boot environment and the technician's config file.
if [ -d "${BINARIES_DIR}/rpi-firmware" ]; then
	cp -r "${BINARIES_DIR}/rpi-firmware/." "${BOOT}/"
	rm -f "${BOOT}/cmdline.txt"
	for dtb in "${BINARIES_DIR}"/*.dtb; do
		[ -e "${dtb}" ] && cp "${dtb}" "${BOOT}/"
	done
	cp "${BINARIES_DIR}/u-boot.bin" "${BOOT}/u-boot.bin"
fi
# No uboot.env ships: a stored environment replaces U-Boot's default one
# (bootcmd, load addresses) as a whole, so U-Boot starts from its default
# and boot.scr writes both redundant copies on the first boot.
mkimage -A arm64 -O linux -T script -C none -n "scangate A/B" \
	-d "${BOARD_DIR}/boot.cmd.in" "${BOOT}/boot.scr" > /dev/null
cp "${REPO_DIR}/config/scangate.example.toml" "${BOOT}/scangate.toml"

# SCANGATE_BUNDLE_ONLY=1: only the bundle (scripts/imagetest.sh makes one
# card and several bundles).
if [ -z "${SCANGATE_BUNDLE_ONLY:-}" ]; then
	rm -rf "${GENIMAGE_TMP}"
	genimage \
		--rootpath "${WORK}/root" \
		--tmppath "${GENIMAGE_TMP}" \
		--inputpath "${BINARIES_DIR}" \
		--outputpath "${BINARIES_DIR}" \
		--config "${BOARD_DIR}/genimage.cfg"

	# For flashing: compressed image, block map (bmaptool copy writes only the
	# used blocks), checksums of both.
	rm -f "${BINARIES_DIR}/sdcard.img.xz"
	xz -T0 -3 -k "${BINARIES_DIR}/sdcard.img"
	bmaptool create -o "${BINARIES_DIR}/sdcard.img.bmap" "${BINARIES_DIR}/sdcard.img"
	(cd "${BINARIES_DIR}" && sha256sum sdcard.img sdcard.img.xz > sdcard.img.sha256)
fi

# Update bundle: the root slot image, signed, in RAUC's verity format.
mkdir -p "${WORK}/bundle"
cp "${BINARIES_DIR}/rootfs.squashfs" "${WORK}/bundle/rootfs.squashfs"
cat > "${WORK}/bundle/manifest.raucm" <<MANIFEST
[update]
compatible=${COMPATIBLE}
version=${VERSION}

[bundle]
format=verity

[image.rootfs]
filename=rootfs.squashfs
MANIFEST
rm -f "${BINARIES_DIR}/scangate-${COMPATIBLE}.raucb"
rauc bundle \
	--cert="${RAUC_CERT}" \
	--key="${RAUC_KEY}" \
	--keyring="${RAUC_KEYRING}" \
	"${WORK}/bundle" "${BINARIES_DIR}/scangate-${COMPATIBLE}.raucb"
