#!/bin/sh
# Exercise the image side of the Buildroot tree without Buildroot: run the
# committed post-build.sh and post-image.sh on a dummy root file system with
# Debian's tools, then check the SD card's partition table and contents
# (genimage.cfg), the generated RAUC system.conf, and the signed verity
# bundle (made with development keys generated here, then thrown away).
# Every script in the tree goes through shellcheck first.
# Needs: genimage rauc shellcheck squashfs-tools dosfstools mtools
# e2fsprogs fdisk u-boot-tools openssl python3.
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
BOARD="${REPO}/buildroot/board/scangate"
COMPAT=scangate-rpi4
MiB=1048576

missing=
for tool in genimage rauc shellcheck mksquashfs mkfs.vfat mcopy mke2fs sfdisk mkimage openssl python3 dumpe2fs xz bmaptool; do
	command -v "${tool}" > /dev/null || missing="${missing} ${tool}"
done
if [ -n "${missing}" ]; then
	echo "image-check: missing tools:${missing}" >&2
	echo "image-check: apt-get install genimage rauc shellcheck squashfs-tools dosfstools mtools e2fsprogs fdisk u-boot-tools openssl xz-utils bmap-tools" >&2
	exit 2
fi

WORK=$(mktemp -d)
trap 'rm -rf "${WORK}"' EXIT
fail() {
	echo "FAIL $*"
	exit 1
}
ok() {
	echo "ok   $*"
}

# Lint every shell script of the image, and these checks.
scripts=$(find "${REPO}/buildroot" -type f -name '*.sh' | sort)
scripts="${scripts} $(find "${BOARD}/rootfs-overlay/usr/libexec" -type f | sort)"
# shellcheck disable=SC2086 # word splitting is wanted: one path a word
shellcheck ${scripts} "${REPO}/scripts/image-check.sh" "${REPO}/scripts/buildroot-check.sh" ||
	fail "shellcheck"
ok "shellcheck: $(echo "${scripts}" | wc -w) tree scripts and the check scripts"

# Development keys, made on the fly; a second key must be refused.
sh "${BOARD}/rauc-devkeys.sh" "${WORK}/keys" > /dev/null
sh "${BOARD}/rauc-devkeys.sh" "${WORK}/other" > /dev/null
export SCANGATE_RAUC_KEY_DIR="${WORK}/keys"
export SCANGATE_VERSION=image-check

# post-build.sh on a dummy target.
TARGET="${WORK}/target"
mkdir -p "${TARGET}/usr/bin" "${TARGET}/etc"
cp -r "${BOARD}/rootfs-overlay/." "${TARGET}/"
echo '#!/bin/sh' > "${TARGET}/usr/bin/scangated"
sh "${BOARD}/post-build.sh" "${TARGET}" "${COMPAT}" /dev/mmcblk0p ttyAMA0,115200
conf="${TARGET}/etc/rauc/system.conf"
grep -q '@' "${conf}" && fail "system.conf: unfilled placeholder"
grep -qx "compatible=${COMPAT}" "${conf}" || fail "system.conf: compatible"
grep -qx 'device=/dev/mmcblk0p2' "${conf}" || fail "system.conf: slot A device"
grep -qx 'device=/dev/mmcblk0p3' "${conf}" || fail "system.conf: slot B device"
cmp -s "${TARGET}/etc/rauc/keyring.pem" "${WORK}/keys/dev.cert.pem" || fail "keyring not installed"
# The slot's boot script: root device, panic reset, the Pi 4 watchdog start.
slotscr="${TARGET}/boot/slot.scr"
mkimage -l "${slotscr}" | grep -q 'Script' || fail "slot.scr is not a U-Boot script"
# shellcheck disable=SC2016 # U-Boot variables, not shell ones
grep -aq 'root=/dev/mmcblk0p${bootpart}' "${slotscr}" || fail "slot.scr root device"
grep -aq 'panic=5' "${slotscr}" || fail "slot.scr: no panic=N"
grep -aq 'mw.l 0xfe10001c 0x5a000020' "${slotscr}" || fail "slot.scr: no watchdog start"
grep -aq '@' "${slotscr}" && grep -aq '@[A-Z]*@' "${slotscr}" && fail "slot.scr: unfilled placeholder"
ok "post-build: system.conf (${COMPAT}, slots p2/p3), keyring, docs, slot.scr (root, panic=5, watchdog)"

# Dummy build outputs: a real SquashFS of the target, stand-in firmware.
BIN="${WORK}/images"
mkdir -p "${BIN}/rpi-firmware/overlays"
mksquashfs "${TARGET}" "${BIN}/rootfs.squashfs" -comp zstd -noappend -quiet > /dev/null
for f in start4.elf fixup4.dat bootcode.bin overlays/miniuart-bt.dtbo; do
	echo "stand-in ${f}" > "${BIN}/rpi-firmware/${f}"
done
cp "${BOARD}/config.txt" "${BIN}/rpi-firmware/config.txt"
echo "stand-in dtb" > "${BIN}/bcm2711-rpi-4-b.dtb"
echo "stand-in u-boot" > "${BIN}/u-boot.bin"

BUILD_DIR="${WORK}" sh "${BOARD}/post-image.sh" "${BIN}" "${COMPAT}" /dev/mmcblk0p ttyAMA0,115200 \
	> "${WORK}/post-image.log" 2>&1 || { cat "${WORK}/post-image.log"; fail "post-image.sh"; }
IMG="${BIN}/sdcard.img"
BUNDLE="${BIN}/scangate-${COMPAT}.raucb"
[ -f "${IMG}" ] || fail "post-image.sh made no sdcard.img"
[ -f "${BUNDLE}" ] || fail "post-image.sh made no bundle"

# Partition table: FAT boot, two equal root slots, data; 4 MiB aligned.
sfdisk -J "${IMG}" > "${WORK}/table.json"
/usr/bin/python3 - "${WORK}/table.json" "${BIN}/rootfs.squashfs" << 'PY' || fail "partition table"
import json, os, sys
t = json.load(open(sys.argv[1]))["partitiontable"]
p = t["partitions"]
MiB = 2048  # sectors
want = [("c", True, 64), ("83", False, 384), ("83", False, 384), ("83", False, 256)]
assert t["label"] == "dos", t["label"]
assert len(p) == 4, p
for i, (part, (typ, boot, size)) in enumerate(zip(p, want), 1):
    assert part["type"] == typ, (i, part)
    assert bool(part.get("bootable")) == boot, (i, part)
    assert part["size"] == size * MiB, (i, part["size"] // MiB, size)
    assert part["start"] % (4 * MiB) == 0, (i, "not 4 MiB aligned", part["start"])
assert os.path.getsize(sys.argv[2]) <= p[1]["size"] * 512
PY
ok "partition table: boot 64M FAT (bootable), rootfs-a/b 384M, data 256M, 4 MiB aligned"

part() { # N OUT: copy partition N of the image to OUT
	/usr/bin/python3 - "${WORK}/table.json" "$1" "${IMG}" "$2" << 'PY'
import json, sys
p = json.load(open(sys.argv[1]))["partitiontable"]["partitions"][int(sys.argv[2]) - 1]
with open(sys.argv[3], "rb") as src, open(sys.argv[4], "wb") as dst:
    src.seek(p["start"] * 512)
    dst.write(src.read(p["size"] * 512))
PY
}

part 1 "${WORK}/p1.vfat"
for f in boot.scr scangate.toml u-boot.bin config.txt start4.elf bcm2711-rpi-4-b.dtb overlays/miniuart-bt.dtbo; do
	mcopy -n -i "${WORK}/p1.vfat" "::${f}" "${WORK}/got" 2> /dev/null || fail "boot partition lacks ${f}"
done
mcopy -n -i "${WORK}/p1.vfat" ::scangate.toml "${WORK}/scangate.toml"
cmp -s "${WORK}/scangate.toml" "${REPO}/config/scangate.example.toml" || fail "scangate.toml is not the template"
mcopy -n -i "${WORK}/p1.vfat" ::boot.scr "${WORK}/boot.scr"
mkimage -l "${WORK}/boot.scr" | grep -q 'Script' || fail "boot.scr is not a U-Boot script"
grep -aq '/boot/slot.scr' "${WORK}/boot.scr" || fail "boot.scr does not hand over to the slot's slot.scr"
# No environment ships: U-Boot must start from its default one (bootcmd).
if mcopy -n -i "${WORK}/p1.vfat" ::uboot.env "${WORK}/uboot.env" 2> /dev/null; then
	fail "boot partition ships a uboot.env (it would replace U-Boot's default environment)"
fi
grep -q 'dtparam=watchdog=on' "${BIN}/rpi-firmware/config.txt" || fail "config.txt: no watchdog"
grep -q 'dtoverlay=dwc2,dr_mode=host' "${BIN}/rpi-firmware/config.txt" || fail "config.txt: no CM4 dwc2 host overlay"
ok "boot partition: firmware, U-Boot, boot.scr, no uboot.env, config.txt (watchdog, CM4 dwc2/RTC), scangate.toml template"
for f in sdcard.img.xz sdcard.img.bmap sdcard.img.sha256; do
	[ -s "${BIN}/${f}" ] || fail "post-image.sh made no ${f}"
done
(cd "${BIN}" && sha256sum -c --quiet sdcard.img.sha256) || fail "sdcard.img.sha256"
xz -dc "${BIN}/sdcard.img.xz" | cmp -s - "${IMG}" || fail "sdcard.img.xz is not sdcard.img"
grep -q '<bmap version=' "${BIN}/sdcard.img.bmap" || fail "sdcard.img.bmap is not a block map"
ok "flashing files: sdcard.img.xz, .bmap, .sha256 (checks out)"

part 2 "${WORK}/p2"
size=$(stat -c %s "${BIN}/rootfs.squashfs")
head -c "${size}" "${WORK}/p2" | cmp -s - "${BIN}/rootfs.squashfs" || fail "slot A is not rootfs.squashfs"
part 4 "${WORK}/p4"
dumpe2fs -h "${WORK}/p4" 2> /dev/null | grep -q 'Filesystem volume name: *data$' || fail "data partition is not ext4 labelled data"
dumpe2fs -h "${WORK}/p4" 2> /dev/null | grep -q 'has_journal' || fail "data partition has no journal"
ok "slot A holds the SquashFS root; data is journalled ext4 labelled 'data' ($((size / 1024)) KiB root)"

# RAUC bundle: verity format, our compatible, signature checks out
# against the development keyring and is refused by another one.
rauc info --keyring="${WORK}/keys/dev.cert.pem" --output-format=shell "${BUNDLE}" > "${WORK}/info" 2> "${WORK}/info.err" ||
	{ cat "${WORK}/info.err"; fail "rauc info: signature"; }
grep -qx "RAUC_MF_COMPATIBLE='${COMPAT}'" "${WORK}/info" || fail "bundle compatible"
rauc info --keyring="${WORK}/keys/dev.cert.pem" "${BUNDLE}" 2> /dev/null | grep -q 'Bundle Format:.*verity' ||
	fail "bundle format is not verity"
grep -q "RAUC_IMAGE_CLASS_0='rootfs'" "${WORK}/info" || fail "bundle image class"
if rauc info --keyring="${WORK}/other/dev.cert.pem" "${BUNDLE}" > /dev/null 2>&1; then
	fail "bundle verified against a foreign keyring"
fi
rauc --conf="${conf}" --keyring="${WORK}/keys/dev.cert.pem" info "${BUNDLE}" > /dev/null 2>&1 ||
	fail "rauc info with the generated system.conf"
ok "RAUC bundle: verity, compatible ${COMPAT}, signed; foreign keyring refused; system.conf loads"

echo "image-check: ok ($(($(stat -c %s "${IMG}") / MiB)) MiB image)"
