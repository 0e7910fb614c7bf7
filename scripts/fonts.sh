#!/usr/bin/env bash
# Write the extension fonts fonts/ext embeds (CJK Extension A and B, for rare
# characters in names): Debian's fonts-hanazono, fetched with apt-get download
# (apt checks it against the signed archive index) and checked against the
# SHA-256 pinned here, cut by fonts/internal/mkext to the characters the base
# font lacks. Deterministic: the same package gives the same files. The .deb
# is cached in .cache/fonts. Why and how big: docs/cards.md.
#
# scripts/fonts.sh --deb FILE cuts the fonts from a .deb fetched elsewhere
# (Buildroot's package/scangate, which has no apt): the same checks, the
# same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
deb_arg=
if [ "${1:-}" = --deb ]; then
	deb_arg=$(realpath "$2")
fi

pkg=fonts-hanazono
version=20170904-2.1
sha256=a6943366b4f5a6cec34221f8b4eb22555a628f0ee6ef4e3d3401cabe9363aeae
go=${GO:-go}

cache=.cache/fonts
deb=${deb_arg:-$PWD/$cache/${pkg}_${version}_all.deb}
mkdir -p fonts/ext
check() { echo "$sha256  $deb" | sha256sum --check --status; }
if [ -z "$deb_arg" ] && { [ ! -f "$deb" ] || ! check; }; then
	mkdir -p "$cache"
	rm -f "$deb"
	fetch() { (cd "$cache" && apt-get download "$pkg=$version"); }
	# A fresh system (a container) may have no package lists yet.
	if command -v apt-get >/dev/null && ! fetch && [ "$(id -u)" = 0 ]; then
		if apt-get update -qq; then fetch || true; fi
	fi
	if [ ! -f "$deb" ]; then
		echo "fonts.sh: cannot fetch $pkg $version with apt-get download (Debian 12; run apt-get update first)." >&2
		echo "fonts.sh: or put ${pkg}_${version}_all.deb (SHA-256 $sha256) into $cache/ by hand." >&2
		exit 1
	fi
fi
if ! check; then
	echo "fonts.sh: $deb does not have the pinned SHA-256 $sha256; refusing it" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# ar and tar, not dpkg-deb: a Buildroot host need not be Debian.
(cd "$tmp" && ar x "$deb" data.tar.xz && tar -xJf data.tar.xz && rm data.tar.xz)
dir=$tmp/usr/share/fonts/truetype/hanazono
"$go" run ./fonts/internal/mkext -a "$dir/HanaMinA.ttf" -b "$dir/HanaMinB.ttf" -out fonts/ext
cmp -s "$tmp/usr/share/doc/$pkg/copyright" fonts/HanaMin.COPYRIGHT ||
	{ echo "fonts.sh: $pkg's copyright differs from fonts/HanaMin.COPYRIGHT: review and update it" >&2; exit 1; }
touch fonts/ext/.stamp
