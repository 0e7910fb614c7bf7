#!/bin/sh
# Buildroot post-build script: finish the root file system.
# Arguments: TARGET_DIR COMPATIBLE ROOTDEV_PREFIX (e.g. /dev/mmcblk0p) CONSOLE_TTY
# mkimage comes from PATH (Buildroot's host-uboot-tools).
set -eu

TARGET_DIR=$1
COMPATIBLE=$2
ROOTDEV=$3
CONSOLE=${4:-ttyAMA0}
BOARD_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "${BOARD_DIR}/../../.." && pwd)
KEY_DIR=${SCANGATE_RAUC_KEY_DIR:-${BOARD_DIR}/rauc-keys}
# The keyring is the certificate (or CA) bundles must chain to. Production
# builds point SCANGATE_RAUC_KEYRING at the release CA certificate.
KEYRING=${SCANGATE_RAUC_KEYRING:-${KEY_DIR}/dev.cert.pem}

if [ ! -f "${KEYRING}" ]; then
	echo "post-build: no RAUC keyring at ${KEYRING}" >&2
	echo "post-build: run 'make rauc-devkeys' or set SCANGATE_RAUC_KEYRING" >&2
	exit 1
fi

install -d -m 0755 "${TARGET_DIR}/etc/rauc" "${TARGET_DIR}/data" "${TARGET_DIR}/boot"
sed -e "s|@COMPATIBLE@|${COMPATIBLE}|g" -e "s|@ROOTDEV@|${ROOTDEV}|g" \
	"${BOARD_DIR}/system.conf.in" > "${TARGET_DIR}/etc/rauc/system.conf"
install -m 0644 "${KEYRING}" "${TARGET_DIR}/etc/rauc/keyring.pem"
install -D -m 0644 "${REPO_DIR}/docs/technician.md" \
	"${TARGET_DIR}/usr/share/doc/scangate/technician.md"
install -D -m 0644 "${REPO_DIR}/config/scangate.example.toml" \
	"${TARGET_DIR}/usr/share/scangate/scangate.example.toml"
# The voice prompts ([voice] prompts), as committed: made offline by
# voice/genprompts, so the build needs no speech synthesiser.
for lang in zh en; do
	install -d -m 0755 "${TARGET_DIR}/usr/share/scangate/voice/${lang}"
	install -m 0644 "${REPO_DIR}/voice/prompts/${lang}/"*.wav "${TARGET_DIR}/usr/share/scangate/voice/${lang}/"
done
install -m 0644 "${REPO_DIR}/voice/prompts/MANIFEST" "${TARGET_DIR}/usr/share/scangate/voice/MANIFEST"

# The slot's own boot script (sourced by boot.scr): kernel command line and
# watchdog start travel with the slot, so updates can fix them.
# The BCM2835 PM watchdog: WDOG = password | 15 s, RSTC = password | full
# reset (the Linux driver's own start sequence, bcm2835_wdt.c).
case ${COMPATIBLE} in
scangate-rpi4 | scangate-rpicm4) wdt="mw.l 0xfe100024 0x5a0fffff; mw.l 0xfe10001c 0x5a000020" ;;
scangate-rpi3 | scangate-rpizero2w) wdt="mw.l 0x3f100024 0x5a0fffff; mw.l 0x3f10001c 0x5a000020" ;;
*) wdt="# no watchdog U-Boot can start on this board (QEMU: the initramfs starts i6300esb)" ;;
esac
work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
sed -e "s|@ROOTDEV@|${ROOTDEV}|g" -e "s|@CONSOLE@|console=${CONSOLE}|g" -e "s|@WATCHDOG@|${wdt}|" \
	"${BOARD_DIR}/slot.cmd.in" > "${work}/slot.cmd"
mkimage -A arm64 -O linux -T script -C none -n "scangate slot" \
	-d "${work}/slot.cmd" "${TARGET_DIR}/boot/slot.scr" > /dev/null
# Root has no password (locked, "*"): a keyboard or a scanner typing at a
# console must never reach a shell. A technician's password comes from the
# boot partition (scangate-console-password.service).
if [ -f "${TARGET_DIR}/etc/shadow" ]; then
	sed -i -e 's/^root:[^:]*:/root:*:/' "${TARGET_DIR}/etc/shadow"
fi
