#!/usr/bin/env bash
# make imagetest: the image's real boot chain under qemu-system-aarch64
# (TCG). U-Boot is built from Debian's u-boot source package with the
# project's own fragment; the card is laid out by the project's
# post-build.sh, post-image.sh and genimage.cfg; the root slots carry the
# project's overlay, units, RAUC system.conf and the static arm64
# scangated. Debian's arm64 kernel and userland (systemd, dbus, RAUC
# rebuilt with streaming, fw_setenv) stand in for what Buildroot would
# build (docs/architecture.md §7 lists which part is which). Then
# imagetest/host boots the card and prints one PASS/FAIL line a scenario.
#
# Downloads and builds are cached in $SCANGATE_IMAGETEST_CACHE
# (default ~/.cache/scangate-imagetest).
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
BOARD=$REPO/buildroot/board/scangate
CACHE=${SCANGATE_IMAGETEST_CACHE:-$HOME/.cache/scangate-imagetest}
GO=${GO:-go}
COMPAT=scangate-qemu-aarch64
mkdir -p "$CACHE/debs" "$CACHE/src"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/scangate-imagetest.XXXXXX")
# shellcheck disable=SC2317 # called by the trap
cleanup() { [[ -n ${KEEP_WORK:-} ]] || rm -rf "$WORK"; }
trap cleanup EXIT

T0=$(date +%s.%N)
stage_start=$T0
stage() { # stage NAME: prints the previous stage's time and starts timing NAME
	local now
	now=$(date +%s.%N)
	[[ -n ${STAGE:-} ]] && printf 'imagetest: stage %-10s %6.1fs\n' "$STAGE" "$(echo "$now - $stage_start" | bc)"
	STAGE=$1
	stage_start=$now
}
fail() {
	echo "imagetest: FAIL $*"
	exit 1
}
heavy() { flock /tmp/scangate-heavy.lock nice "$@"; }

# --- host tools ------------------------------------------------------------
stage tools
need=()
for t in qemu-system-aarch64:qemu-system-arm aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu bison:bison flex:flex \
	bc:bc genimage:genimage rauc:rauc mkimage:u-boot-tools mksquashfs:squashfs-tools mcopy:mtools \
	mkfs.vfat:dosfstools mke2fs:e2fsprogs sfdisk:fdisk dpkg-source:dpkg-dev xz:xz-utils bmaptool:bmap-tools autoreconf:autoconf automake:automake libtoolize:libtool \
	cpio:cpio depmod:kmod openssl:openssl; do
	command -v "${t%%:*}" > /dev/null || need+=("${t##*:}")
done
[[ -f /usr/include/openssl/ssl.h ]] || need+=(libssl-dev)
[[ -f /usr/include/gnutls/gnutls.h ]] || need+=(libgnutls28-dev)
if ((${#need[@]})); then
	echo "imagetest: installing ${need[*]}"
	[[ $(id -u) == 0 ]] || fail "need root to install ${need[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null
fi
# Debian's arm64 packages and source packages: the only downloads.
if ! dpkg --print-foreign-architectures | grep -qx arm64 || ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list; then
	[[ $(id -u) == 0 ]] || fail "need root for dpkg --add-architecture arm64 and deb-src"
	dpkg --add-architecture arm64
	sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/scangate-imagetest-src.sources
	apt-get update -qq
fi

# --- U-Boot from Debian's source package, with the project's fragment ------
stage u-boot
UB_SRC=$CACHE/src/u-boot
if [[ ! -f $UB_SRC/.done ]]; then
	(cd "$CACHE/src" && apt-get source --download-only -qq u-boot > /dev/null 2>&1) || fail "apt-get source u-boot"
	rm -rf "$UB_SRC"
	dpkg-source -x "$(find "$CACHE/src" -maxdepth 1 -name 'u-boot_*.dsc' | sort | tail -1)" "$UB_SRC" > /dev/null 2>&1
	touch "$UB_SRC/.done"
fi
# ubconfig DEFCONFIG FRAGMENT OUT: merge the fragment over the defconfig
# as Buildroot's BR2_TARGET_UBOOT_CONFIG_FRAGMENT_FILES does.
ubconfig() {
	make -s -C "$UB_SRC" O="$3" CROSS_COMPILE=aarch64-linux-gnu- "$1" > /dev/null
	(cd "$UB_SRC" && ./scripts/kconfig/merge_config.sh -m -O "$3" "$3/.config" "$2" > "$3/merge.log" 2>&1)
	make -s -C "$UB_SRC" O="$3" CROSS_COMPILE=aarch64-linux-gnu- olddefconfig > /dev/null
}
# The test of the issue: both defconfigs the images build, merged with the
# fragments, enable what boot.scr and fw_env.config need.
bad=0
for pair in rpi_arm64:uboot.fragment qemu_arm64:uboot-qemu.fragment; do
	def=${pair%%:*}
	out=$WORK/ubcfg-$def
	ubconfig "${def}_defconfig" "$BOARD/${pair##*:}" "$out"
	missing=()
	for want in CONFIG_ZSTD=y CONFIG_FS_SQUASHFS=y CONFIG_CMD_SQUASHFS=y CONFIG_CMD_SETEXPR=y CONFIG_CMD_NVEDIT_LOAD=y \
		CONFIG_ENV_IS_IN_FAT=y CONFIG_SYS_REDUNDAND_ENVIRONMENT=y 'CONFIG_ENV_FAT_FILE="uboot.env"' \
		'CONFIG_ENV_FAT_FILE_REDUND="uboot-redund.env"' 'CONFIG_ENV_FAT_DEVICE_AND_PART="0:1"' \
		CONFIG_ENV_SIZE=0x4000 CONFIG_BOOTDELAY=-2 CONFIG_DISTRO_DEFAULTS=y CONFIG_CMD_FAT=y CONFIG_FAT_WRITE=y; do
		grep -qxF "$want" "$out/.config" || missing+=("$want")
	done
	grep -qx 'CONFIG_ENV_IS_IN_FLASH=y' "$out/.config" && missing+=("not CONFIG_ENV_IS_IN_FLASH")
	# fw_env.config must name the same files and size.
	for f in uboot.env uboot-redund.env; do
		grep -Eq "^/boot/${f}[[:space:]]+0x0000[[:space:]]+0x4000" "$BOARD/rootfs-overlay/etc/fw_env.config" || missing+=("fw_env.config /boot/$f 0x4000")
	done
	if ((${#missing[@]})); then
		echo "imagetest: FAIL u-boot config ${def} + ${pair##*:}: missing ${missing[*]}"
		bad=1
	else
		echo "imagetest: PASS u-boot config ${def} + ${pair##*:}: zstd SquashFS, redundant 16 KiB FAT env matching fw_env.config, no key stops autoboot"
	fi
done
((bad == 0)) || exit 1
fragsum=$(sha256sum < "$BOARD/uboot-qemu.fragment" | cut -c1-16)
UB_OUT=$CACHE/u-boot-qemu-$fragsum
if [[ ! -f $UB_OUT/u-boot.bin ]]; then
	rm -rf "$UB_OUT"
	ubconfig qemu_arm64_defconfig "$BOARD/uboot-qemu.fragment" "$UB_OUT"
	heavy make -s -j2 -C "$UB_SRC" O="$UB_OUT" CROSS_COMPILE=aarch64-linux-gnu- u-boot.bin > "$UB_OUT/build.log" 2>&1 ||
		{ tail -20 "$UB_OUT/build.log"; fail "u-boot build"; }
fi

# --- Debian arm64 packages: kernel and the userland Buildroot would build --
stage debs
fetch() { # fetch PACKAGE: the candidate arm64 .deb into $CACHE/debs, once
	local p=$1 f
	f=$(find "$CACHE/debs" -maxdepth 1 -name "${p%%:*}_*_arm64.deb" -o -maxdepth 1 -name "${p%%:*}_*_all.deb" | sort | head -1)
	if [[ -z $f ]]; then
		# Architecture "all" packages have no :arm64 candidate.
		(cd "$CACHE/debs" && { apt-get download -qq -o APT::Sandbox::User=root "$p" > /dev/null 2>&1 ||
			apt-get download -qq -o APT::Sandbox::User=root "${p%%:*}" > /dev/null 2>&1; }) || { echo "imagetest: FAIL apt-get download $p" >&2; exit 1; }
		f=$(find "$CACHE/debs" -maxdepth 1 -name "${p%%:*}_*_arm64.deb" -o -maxdepth 1 -name "${p%%:*}_*_all.deb" | sort | head -1)
	fi
	echo "$f"
}
KPKG=$(apt-cache depends linux-image-arm64:arm64 | awk '/Depends: linux-image-[0-9]/{sub(/:arm64/,"",$2); print $2; exit}')
[[ -n $KPKG ]] || fail "no linux-image-arm64 in apt (apt-get update?)"
KVER=${KPKG#linux-image-}
# The root file system's packages and what they need at run time.
top=(systemd udev dbus rauc libubootenv-tool util-linux fdisk e2fsprogs dosfstools kmod systemd-timesyncd
	dash coreutils sed grep libnl-genl-3-200 libjson-glib-1.0-0 libcurl3-gnutls libglib2.0-0 libfdisk1)
skip='^(perl|perl-base|perl-modules-.*|libperl.*|debconf|cdebconf|adduser|dpkg|install-info|usrmerge|usr-is-merged|init-system-helpers|lib.*-perl|libdebian-installer4|libnewt0.52|libslang2|libtextwrap1|readline-common|tar|passwd|libsemanage.*|debianutils|base-files|base-passwd|sensible-utils|gcc-12-base)$'
list=$CACHE/debs/closure-$(printf '%s\n' "${top[@]}" | sha256sum | cut -c1-12).txt
if [[ ! -s $list ]]; then
	apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
		"${top[@]/%/:arm64}" 2> /dev/null | grep -v '^[ <]' | sed 's/:arm64$//' | sort -u | grep -Ev "$skip" > "$list.tmp"
	mv "$list.tmp" "$list"
fi
debs=()
while read -r p; do
	f=$(fetch "$p:arm64") || exit 1
	debs+=("$f")
done < "$list"
kdeb=$(fetch "$KPKG:arm64")
bbdeb=$(fetch busybox-static:arm64)

# RAUC with streaming: Debian builds it without libnl, so it can only
# download bundles whole (8 MiB cap). Rebuilt from Debian's own source
# package with streaming on, as Buildroot's BR2_PACKAGE_RAUC_STREAMING does.
stage rauc
RAUC_ROOT=$CACHE/rauc-streaming/root
if [[ ! -x $RAUC_ROOT/usr/bin/rauc ]]; then
	for p in libglib2.0-dev libcurl4-gnutls-dev libssl-dev libjson-glib-dev libnl-genl-3-dev libfdisk-dev libdbus-1-dev; do
		dpkg-query -W -f='${Status}' "$p:arm64" 2> /dev/null | grep -q 'install ok installed' || need+=("$p:arm64")
	done
	if ((${#need[@]})); then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null
	fi
	if [[ ! -x $CACHE/src/rauc/rauc ]]; then
		(cd "$CACHE/src" && apt-get source --download-only -qq rauc > /dev/null 2>&1) || fail "apt-get source rauc"
		rm -rf "$CACHE/src/rauc"
		dpkg-source -x "$(find "$CACHE/src" -maxdepth 1 -name 'rauc_*.dsc' | sort | tail -1)" "$CACHE/src/rauc" > /dev/null 2>&1
		(cd "$CACHE/src/rauc" && autoreconf -fi > autoreconf.log 2>&1 && PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig \
			./configure --host=aarch64-linux-gnu --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
			--enable-streaming --enable-network --enable-json --with-streaming-user=nobody > configure.log 2>&1 &&
			heavy make -j2 rauc > build.log 2>&1) || fail "rauc build (see $CACHE/src/rauc/build.log)"
	fi
	# The binary, its D-Bus service and policy and its systemd unit.
	rm -rf "$RAUC_ROOT"
	(cd "$CACHE/src/rauc" && make install-binPROGRAMS install-nodist_systemdunitDATA install-nodist_dbussystemserviceDATA \
		install-dist_dbuspolicyDATA install-nodist_dbuswrapperSCRIPTS DESTDIR="$RAUC_ROOT" > install.log 2>&1 ||
		make install DESTDIR="$RAUC_ROOT" > install.log 2>&1) || fail "rauc install (see $CACHE/src/rauc/install.log)"
	[[ -x $RAUC_ROOT/usr/bin/rauc ]] || fail "rauc install made no usr/bin/rauc"
fi

# --- the static arm64 binaries and the test's guest agent -------------------
stage build
BIN=$WORK/bin
mkdir -p "$BIN"
CGO_ENABLED=1 GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc heavy "$GO" build \
	-tags 'sqlite_omit_load_extension osusergo netgo kiosk' -ldflags '-s -w -linkmode external -extldflags -static' \
	-o "$BIN/" ./cmd/scangated ./cmd/scangate 2>&1 | grep -v 'statically linked applications' || true
CGO_ENABLED=0 GOOS=linux GOARCH=arm64 "$GO" build -o "$BIN/imagetest-agent" ./imagetest/agent
"$GO" build -o "$BIN/imagetest-host" ./imagetest/host
"$GO" build -tags sqlite_omit_load_extension -o "$BIN/scangate-host" ./cmd/scangate
file "$BIN/scangated" | grep -q 'statically linked' || fail "scangated is not static"

# --- root file system: Debian's packages, then the project's tree ----------
stage rootfs
T=$WORK/target
# Buildroot's skeleton: the merged /usr and the mount points.
mkdir -p "$T/usr/bin" "$T/usr/sbin" "$T/usr/lib" "$T"/{proc,sys,dev,run,tmp,var,root,data,boot,mnt,etc}
ln -s usr/bin "$T/bin"
ln -s usr/sbin "$T/sbin"
ln -s usr/lib "$T/lib"
for d in "${debs[@]}"; do dpkg-deb --fsys-tarfile "$d" | tar -x --keep-directory-symlink -C "$T"; done
tar -C "$RAUC_ROOT" -c . | tar -x --keep-directory-symlink -C "$T"
ln -sf dash "$T/bin/sh"
# What systemd-sysv (Buildroot: BR2_INIT_SYSTEMD) provides.
ln -sf ../lib/systemd/systemd "$T/usr/sbin/init"
KT=$WORK/kernel
mkdir -p "$KT"
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$KT"
KM=$KT/lib/modules/$KVER
[[ -f $KM/modules.dep ]] || depmod -b "$KT" "$KVER"
# modset DEST MODULE...: the modules and their dependencies, for depmod.
modset() {
	local dest=$1 m f
	shift
	for m in "$@"; do
		for f in $(awk -v m="$m" -F: '{n=$1; sub(/.*\//,"",n); sub(/\.ko.*$/,"",n); gsub(/-/,"_",n); mm=m; gsub(/-/,"_",mm); if (n==mm) {print $1; print $2}}' "$KM/modules.dep" | tr ' ' '\n' | grep .); do
			mkdir -p "$dest/lib/modules/$KVER/$(dirname "$f")"
			cp "$KM/$f" "$dest/lib/modules/$KVER/$f"
		done
	done
	cp "$KM"/modules.{order,builtin,builtin.modinfo} "$dest/lib/modules/$KVER/"
	depmod -b "$dest" "$KVER"
}
# Built into the Buildroot kernels (linux.fragment); modules here.
modset "$T" autofs4 configfs crc32c_generic libcrc32c virtio_blk virtio_pci virtio_net squashfs vfat nls_cp437 nls_ascii nls_utf8 nls_iso8859-1 ext4 loop dm-verity \
	nbd i6300esb xhci-pci ftdi_sio virtio-gpu af_packet
mkdir -p "$T/boot"
# Debian ships the arm64 kernel as a plain Image (booti takes it as is).
cp "$KT/boot/vmlinuz-$KVER" "$T/boot/Image"
# Initramfs: load the disk and SquashFS modules, start the watchdog (the
# Pi's U-Boot starts its own; QEMU's i6300esb is a PCI module), mount the
# slot and hand over to systemd. A slot with no init panics (panic=5).
I=$WORK/initramfs
mkdir -p "$I"/{bin,dev,proc,sys,root}
dpkg-deb --fsys-tarfile "$bbdeb" | tar -x -C "$WORK" ./bin/busybox
cp "$WORK/bin/busybox" "$I/bin/busybox"
modset "$I" virtio_blk virtio_pci squashfs i6300esb
cat > "$I/init" << 'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in virtio_pci virtio_blk squashfs; do modprobe $m; done
# nowayout: closing the device does not stop it; systemd opens it next.
modprobe i6300esb nowayout=1 heartbeat=60 && printf 'x' > /dev/watchdog
root=$(sed -n 's/.*root=\([^ ]*\).*/\1/p' /proc/cmdline)
for _ in $(seq 50); do [ -b "$root" ] && break; sleep 0.1; done
mount -t squashfs -o ro "$root" /root || { echo "initramfs: cannot mount $root"; exit 1; }
umount /sys /proc
exec switch_root /root /sbin/init
INIT
chmod +x "$I/init"
(cd "$I" && find . | cpio -o -H newc --quiet | gzip -1) > "$T/boot/initrd.img"

# The project's tree: overlay, package files, post-build.sh.
cp -r "$BOARD/rootfs-overlay/." "$T/"
install -m 0755 "$BIN/scangated" "$BIN/scangate" "$T/usr/bin/"
install -D -m 0644 "$REPO/buildroot/package/scangate/scangated.service" "$T/usr/lib/systemd/system/scangated.service"
# Users and groups: Buildroot's skeleton, plus the package's users table.
cat > "$T/etc/passwd" << 'EOF'
root:x:0:0:root:/root:/bin/sh
messagebus:x:100:101::/run/dbus:/bin/false
systemd-network:x:101:102::/:/bin/false
systemd-timesync:x:102:103::/:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > "$T/etc/group" << 'EOF'
root:x:0:
tty:x:5:
dialout:x:20:
audio:x:29:
video:x:44:
input:x:104:
render:x:105:
kvm:x:106:
sgx:x:107:
messagebus:x:101:
systemd-network:x:102:
systemd-timesync:x:103:
systemd-journal:x:108:
i2c:x:109:
gpio:x:110:
spi:x:111:
nogroup:x:65534:
EOF
printf 'root:*:1::::::\n' > "$T/etc/shadow"
while read -r user uid group gid _pw home _shell groups _; do
	[[ $user == \#* || -z $user ]] && continue
	[[ $uid == -1 ]] && uid=200
	[[ $gid == -1 ]] && gid=200
	echo "$group:x:$gid:" >> "$T/etc/group"
	echo "$user:x:$uid:$gid::$home:/bin/false" >> "$T/etc/passwd"
	echo "$user:*:1::::::" >> "$T/etc/shadow"
	for g in ${groups//,/ }; do sed -i "s/^\($g:x:[0-9]*:\)\(.*\)$/\1\2,$user/; s/:,/:/" "$T/etc/group"; done
done < <(sed -n 's/^SCANGATE_USERS = //p' "$REPO/buildroot/package/scangate/scangate.mk")
echo scangate > "$T/etc/hostname"
: > "$T/etc/machine-id"
# What Buildroot's systemd package does for a read-only root
# (BR2_INIT_SYSTEMD_VAR_FACTORY): /var is a tmpfs.
cat > "$T/usr/lib/systemd/system/var.mount" << 'EOF'
[Unit]
Description=/var on tmpfs (read-only root)
DefaultDependencies=no
Before=local-fs.target
[Mount]
What=tmpfs
Where=/var
Type=tmpfs
Options=mode=0755,nosuid,nodev
EOF
mkdir -p "$T/usr/lib/systemd/system/local-fs.target.wants"
ln -sf ../var.mount "$T/usr/lib/systemd/system/local-fs.target.wants/var.mount"
# Enable the project's units as Buildroot's systemd presets do.
for u in scangated scangate-mark-good scangate-growdata scangate-machine-id scangate-console-password scangate-network systemd-networkd systemd-timesyncd; do
	f=$(find "$T/usr/lib/systemd/system" "$T/etc/systemd/system" -maxdepth 1 -name "$u.service" 2> /dev/null | head -1)
	[[ -n $f ]] || continue
	while read -r w; do
		mkdir -p "$T/etc/systemd/system/$w.wants"
		ln -sf "${f#"$T"}" "$T/etc/systemd/system/$w.wants/$u.service"
	done < <(sed -n 's/^WantedBy=//p' "$f")
done
# The Buildroot images have no VT (linux.fragment); the Debian kernel has:
# no getty there either.
ln -sf /dev/null "$T/etc/systemd/system/getty@tty1.service"
ln -sf /dev/null "$T/etc/systemd/system/autovt@.service"
# Test-only: the agent through which imagetest/host drives the guest
# (rauc install, reading the screen), on a port only QEMU's user network
# forwards. Not part of any image a device gets.
install -m 0755 "$BIN/imagetest-agent" "$T/usr/bin/imagetest-agent"
cat > "$T/usr/lib/systemd/system/imagetest-agent.service" << 'EOF'
[Unit]
Description=imagetest agent (test image only)
After=network.target
[Service]
ExecStart=/usr/bin/imagetest-agent --listen :7070
Restart=always
[Install]
WantedBy=multi-user.target
EOF
ln -sf /usr/lib/systemd/system/imagetest-agent.service "$T/etc/systemd/system/multi-user.target.wants/imagetest-agent.service"

# Test-only: a 90 s self-test wait instead of 3 min, so three failed tries
# of a bad slot take minutes, not a quarter of an hour.
mkdir -p "$T/etc/systemd/system/scangate-mark-good.service.d"
printf '[Service]\nEnvironment=SCANGATE_SELFTEST_WAIT=90\n' > "$T/etc/systemd/system/scangate-mark-good.service.d/imagetest.conf"

KEYS=$WORK/keys
sh "$BOARD/rauc-devkeys.sh" "$KEYS" > /dev/null
export SCANGATE_RAUC_KEY_DIR=$KEYS
sh "$BOARD/post-build.sh" "$T" "$COMPAT" /dev/vda ttyAMA0

# --- the card and the bundles: post-image.sh and genimage.cfg ---------------
stage image
# image NAME VERSION [bundle]: rootfs.squashfs of $T, then post-image.sh
# into $WORK/NAME (the card too unless "bundle").
image() {
	local out=$WORK/$1
	mkdir -p "$out"
	echo "$2" > "$T/etc/scangate-version"
	# zstd like BR2_TARGET_ROOTFS_SQUASHFS4_ZSTD, at a fast level: the
	# same decompressor in U-Boot and the kernel, a quarter of the time.
	heavy mksquashfs "$T" "$out/rootfs.squashfs" -comp zstd -Xcompression-level 3 -noappend -quiet -all-root > /dev/null
	cp "$UB_OUT/u-boot.bin" "$out/u-boot.bin"
	SCANGATE_BUNDLE_ONLY=${3:-} SCANGATE_VERSION=$2 BUILD_DIR=$out sh "$BOARD/post-image.sh" "$out" "$COMPAT" /dev/vda ttyAMA0 > "$out/post-image.log" 2>&1 ||
		{ cat "$out/post-image.log"; fail "post-image.sh $1"; }
}
image a imagetest-a
image b imagetest-b bundle
# A bundle whose self-test fails: the kiosk daemon cannot start.
mv "$T/usr/bin/scangated" "$WORK/scangated.good"
printf '#!/bin/sh\necho "scangated: broken build" >&2\nexit 1\n' > "$T/usr/bin/scangated"
chmod 0755 "$T/usr/bin/scangated"
image badtest imagetest-badtest bundle
mv "$WORK/scangated.good" "$T/usr/bin/scangated"
# A bundle whose kernel panics: the slot has no init.
mv "$T/usr/lib/systemd/systemd" "$WORK/systemd.good"
image panic imagetest-panic bundle
mv "$WORK/systemd.good" "$T/usr/lib/systemd/systemd"
[[ -f $WORK/a/sdcard.img.xz && -f $WORK/a/sdcard.img.bmap && -f $WORK/a/sdcard.img.sha256 ]] || fail "post-image.sh made no .img.xz/.bmap/.sha256"
(cd "$WORK/a" && sha256sum -c --quiet sdcard.img.sha256) || fail "sdcard.img.sha256 does not match"
echo "imagetest: PASS image: sdcard.img ($(($(stat -c %s "$WORK/a/sdcard.img") >> 20)) MiB), .img.xz, .bmap and .sha256 from post-image.sh"
# The card is flashed the way docs/technician.md says: bmaptool copy of the
# .img.xz (it finds the .bmap beside it and checks every mapped block), here
# onto a file that stands in for the SD card. That file is what boots.
rm -f "$WORK/a/sdcard.img" # only the download files go on
heavy bmaptool -q copy "$WORK/a/sdcard.img.xz" "$WORK/card.img" > "$WORK/bmaptool.log" 2>&1 || { cat "$WORK/bmaptool.log"; fail "bmaptool copy sdcard.img.xz"; }
echo "imagetest: PASS flashed: bmaptool copy sdcard.img.xz (checked against sdcard.img.bmap) onto the card the VM boots"

# --- boot it ----------------------------------------------------------------
stage boot
rc=0
heavy "$BIN/imagetest-host" --work "$WORK" --qemu qemu-system-aarch64 --bios "$WORK/a/u-boot.bin" \
	--disk "$WORK/card.img" --bundles "$WORK" --scangate "$BIN/scangate-host" --compatible "$COMPAT" \
	--timeout "${SCANGATE_IMAGETEST_TIMEOUT:-2400}s" || rc=$?
stage "done"
printf 'imagetest: total %.1fs\n' "$(echo "$(date +%s.%N) - $T0" | bc)"
exit "$rc"
