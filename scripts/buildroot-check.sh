#!/bin/sh
# Check the Buildroot external tree against a Buildroot checkout:
#  - every defconfig loads (make NAME_defconfig) and "make savedefconfig"
#    reproduces the committed file: no unknown, dropped or reordered symbol;
#  - utils/check-package is clean on the whole tree;
#  - the package's module vendoring works with the network off: go.mod's
#    modules fetched into an empty module cache (as "make scangate-source"
#    does), then "go mod vendor" and the package's build with GOPROXY=off.
# Usage: BUILDROOT_DIR=/path/to/buildroot scripts/buildroot-check.sh
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
EXT="${REPO}/buildroot"

if [ -z "${BUILDROOT_DIR:-}" ]; then
	echo "buildroot-check: SKIPPED: set BUILDROOT_DIR to a Buildroot checkout"
	exit 0
fi
if [ ! -f "${BUILDROOT_DIR}/Makefile" ] || [ ! -x "${BUILDROOT_DIR}/utils/check-package" ]; then
	echo "buildroot-check: ${BUILDROOT_DIR} is not a Buildroot checkout" >&2
	exit 2
fi

WORK=$(mktemp -d)
trap 'rm -rf "${WORK}"' EXIT
fail=0

for defconfig in "${EXT}"/configs/*_defconfig; do
	name=$(basename "${defconfig}")
	out="${WORK}/${name}"
	if ! make -s -C "${BUILDROOT_DIR}" BR2_EXTERNAL="${EXT}" O="${out}" "${name}" > "${out}.log" 2>&1; then
		echo "FAIL ${name}: make ${name}"
		cat "${out}.log"
		fail=1
		continue
	fi
	if grep -qi "warning" "${out}.log"; then
		echo "FAIL ${name}: kconfig warnings"
		cat "${out}.log"
		fail=1
	fi
	make -s -C "${BUILDROOT_DIR}" O="${out}" BR2_DEFCONFIG="${out}/saved_defconfig" savedefconfig > /dev/null
	if diff -u "${defconfig}" "${out}/saved_defconfig"; then
		echo "ok   ${name}: loads, savedefconfig round trip"
	else
		echo "FAIL ${name}: savedefconfig differs (symbols unknown or dropped?)"
		fail=1
	fi
done

# check-package needs the tree's files named relative to an external
# tree and told which one it is.
# check-package imports python-magic and flake8 (Debian: python3-magic,
# flake8); take the
# first Python that has it.
py=
for candidate in python3 /usr/bin/python3; do
	if "${candidate}" -c 'import magic' 2> /dev/null; then
		py=${candidate}
		break
	fi
done
if [ -z "${py}" ]; then
	echo "FAIL check-package: no python3 with the magic module (apt-get install python3-magic flake8)"
	exit 1
fi
files=$(cd "${EXT}" && find . -type f ! -path './board/scangate/rauc-keys/*' ! -name '.gitignore' | sort)
if (cd "${EXT}" && echo "${files}" | xargs "${py}" "${BUILDROOT_DIR}/utils/check-package" -b > "${WORK}/check-package.log" 2>&1); then
	tail -n 2 "${WORK}/check-package.log" | sed 's/^/ok   check-package: /'
else
	echo "FAIL check-package:"
	cat "${WORK}/check-package.log"
	fail=1
fi

# Offline vendoring, the way package/scangate/scangate.mk does it. The
# module source is this machine's module cache when it has one (no
# network), else the Go proxy.
if command -v go > /dev/null; then
	cache=$(go env GOMODCACHE)
	proxy=${SCANGATE_GOPROXY:-https://proxy.golang.org,direct}
	if [ -d "${cache}/cache/download" ]; then
		proxy="file://${cache}/cache/download"
	fi
	mkdir -p "${WORK}/mod" "${WORK}/src"
	# The extension fonts as package/scangate cuts them: from the .deb, with
	# the vendored modules only.
	fontsdeb=${REPO}/.cache/fonts/fonts-hanazono_20170904-2.1_all.deb
	[ -f "${fontsdeb}" ] || (cd "${REPO}" && bash scripts/fonts.sh > /dev/null)
	cp "${REPO}/go.mod" "${REPO}/go.sum" "${WORK}/mod/"
	git -C "${REPO}" archive HEAD | tar -x -C "${WORK}/src"
	if (cd "${WORK}/mod" && GOFLAGS=-modcacherw GOMODCACHE="${WORK}/gomodcache" GOPROXY="${proxy}" go mod download) &&
		(cd "${WORK}/src" && GOFLAGS=-modcacherw GOPROXY=off GOMODCACHE="${WORK}/gomodcache" go mod vendor) &&
		(cd "${WORK}/src" && GOFLAGS=-mod=vendor GOPROXY=off GOMODCACHE="${WORK}/empty" \
			bash scripts/fonts.sh --deb "${fontsdeb}" > /dev/null && test -s fonts/ext/20-HanaMinB-sub.ttf) &&
		(cd "${WORK}/src" && GOFLAGS=-mod=vendor GOPROXY=off GOMODCACHE="${WORK}/empty" CGO_ENABLED=1 \
			go build -trimpath -buildvcs=false -tags sqlite_omit_load_extension -o "${WORK}/bin/" \
			github.com/scangate/scangate/cmd/scangated github.com/scangate/scangate/cmd/scangate); then
		echo "ok   vendoring: modules from go.mod/go.sum only, vendor, extension fonts and build with GOPROXY=off"
	else
		echo "FAIL vendoring: see above"
		fail=1
	fi
	chmod -R u+w "${WORK}" 2> /dev/null || true
fi

if [ "${fail}" -ne 0 ]; then
	echo "buildroot-check: FAILED"
	exit 1
fi
echo "buildroot-check: ok"
