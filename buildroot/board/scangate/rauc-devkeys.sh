#!/bin/sh
# Make a development RAUC signing key and self-signed certificate in DIR
# (dev.key.pem, dev.cert.pem). Bundles signed with it install only on
# images built with the same certificate as keyring. Never commit the key;
# production keys are described in docs/technician.md.
# Usage: rauc-devkeys.sh DIR
set -eu

dir=${1:?usage: rauc-devkeys.sh DIR}
if [ -f "${dir}/dev.key.pem" ]; then
	echo "rauc-devkeys: ${dir}/dev.key.pem exists; keeping it"
	exit 0
fi
mkdir -p "${dir}"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "${dir}/dev.key.pem" -out "${dir}/dev.cert.pem" \
	-days 3650 -subj "/O=scangate/CN=scangate development bundles" 2> /dev/null
chmod 0644 "${dir}/dev.cert.pem"
echo "rauc-devkeys: wrote ${dir}/dev.key.pem and ${dir}/dev.cert.pem"
