#!/bin/sh
# Buildroot post-build script: finish the root file system.
# Arguments: TARGET_DIR COMPATIBLE ROOTDEV_PREFIX (e.g. /dev/mmcblk0p)
set -eu

TARGET_DIR=$1
COMPATIBLE=$2
ROOTDEV=$3
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
