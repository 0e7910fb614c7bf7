#!/usr/bin/env bash
# make vmtest: boots a Debian kernel under QEMU with virtual camera (vivid),
# GPIO (gpio-sim), I2C (a PCF8574 test module) and a USB serial scanner, runs
# the real scangated in it and checks what a venue would see. Every check
# prints PASS/FAIL; the run fails on any FAIL. See docs/vmtest.md.
#
# Downloads and builds are cached in $SCANGATE_VMTEST_CACHE
# (default ~/.cache/scangate-vmtest) so CI can keep them between runs.
set -euo pipefail

cd "$(dirname "$0")/.."
CACHE=${SCANGATE_VMTEST_CACHE:-$HOME/.cache/scangate-vmtest}
GO=${GO:-go}
TAGS='sqlite_omit_load_extension osusergo netgo'
mkdir -p "$CACHE/debs"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/scangate-vmtest.XXXXXX")
QEMU_PID=
HOSTSCAN_PID=
cleanup() {
  if [[ -n $HOSTSCAN_PID ]]; then kill "$HOSTSCAN_PID" 2>/dev/null || true; fi
  if [[ -n $QEMU_PID ]]; then kill "$QEMU_PID" 2>/dev/null || true; fi
  [[ -n ${KEEP_WORK:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT

T0=$(date +%s.%N)
stage_start=$T0
stage() { # stage NAME: prints the previous stage's time and starts timing NAME
  local now; now=$(date +%s.%N)
  [[ -n ${STAGE:-} ]] && printf 'vmtest: stage %-10s %6.1fs\n' "$STAGE" "$(echo "$now - $stage_start" | bc)"
  STAGE=$1; stage_start=$now
}

# --- host tools ------------------------------------------------------------
stage tools
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
[[ -x /bin/busybox ]] && file -L /bin/busybox | grep -q 'statically linked' || need+=(busybox-static)
command -v depmod >/dev/null || need+=(kmod)
command -v cpio >/dev/null || need+=(cpio)
command -v bc >/dev/null || need+=(bc)
command -v gcc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
command -v xz >/dev/null || need+=(xz-utils)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v aplay >/dev/null || need+=(alsa-utils)
if ((${#need[@]})); then
  echo "vmtest: installing ${need[*]}"
  [[ $(id -u) == 0 ]] || { echo "vmtest: FAIL need root to install ${need[*]}"; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- kernel, headers, source: resolved at run time, cached -----------------
stage kernel
kimage=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}' || true)
if [[ -z $kimage ]]; then
  apt-get update -qq
  kimage=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
fi
KVER=${kimage#linux-image-}            # 6.1.0-N-amd64
KABI=${KVER%-amd64}                    # 6.1.0-N
KSER=${KVER%%.0-*}                     # 6.1
KDIR=$CACHE/kernel-$KVER
fetch() { # fetch PACKAGE: the candidate .deb into $CACHE/debs, once
  local p=$1 f
  f=$(find "$CACHE/debs" -maxdepth 1 -name "${p}_*.deb" | sort | head -1)
  if [[ -z $f ]]; then
    (cd "$CACHE/debs" && apt-get download -qq -o APT::Sandbox::User=root "$p" >/dev/null)
    f=$(find "$CACHE/debs" -maxdepth 1 -name "${p}_*.deb" | sort | head -1)
  fi
  echo "$f"
}
if [[ ! -f $KDIR/.done ]]; then
  rm -rf "$KDIR"; mkdir -p "$KDIR"
  echo "vmtest: fetching kernel $KVER"
  for p in "$kimage" "linux-headers-$KVER" "linux-headers-$KABI-common" "linux-kbuild-$KSER" "linux-source-$KSER"; do
    f=$(fetch "$p")
    case $p in
      linux-source-*) dpkg-deb --fsys-tarfile "$f" | tar -x -C "$KDIR" --wildcards './usr/src/linux-source-*.tar.xz' ;;
      *) dpkg-deb -x "$f" "$KDIR/root" ;;
    esac
  done
  touch "$KDIR/.done"
fi
HDR=$KDIR/root/usr/src/linux-headers-$KVER
# The headers' Makefile includes the common tree by absolute path.
sed -i "s#^include /usr/src/#include $KDIR/root/usr/src/#" "$HDR/Makefile"

# --- out-of-tree modules: gpio-sim, irq_sim (Debian builds neither), pcf8574_log
stage modules
MODS=$KDIR/mods
srcsum=$(cat vmtest/kmod/* | sha256sum | cut -c1-16)
if [[ ! -f $MODS/.done-$srcsum ]]; then
  rm -rf "$MODS"; mkdir -p "$MODS"
  tar -xJf "$KDIR"/usr/src/linux-source-*.tar.xz -C "$MODS" --strip-components=3 --wildcards \
    '*/drivers/gpio/gpio-sim.c' '*/drivers/gpio/gpiolib.h' '*/kernel/irq/irq_sim.c'
  # irq_to_desc() is not exported to modules; generic_handle_irq() does the same lookup.
  sed -i -e 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' \
    -e '0,/^#include/s//#include <linux\/module.h>\n#include/' "$MODS/irq_sim.c"
  grep -q 'generic_handle_irq(irqnum)' "$MODS/irq_sim.c" || { echo "vmtest: FAIL irq_sim.c no longer matches the patch"; exit 1; }
  printf '\nMODULE_DESCRIPTION("Interrupt simulator");\nMODULE_LICENSE("GPL");\n' >>"$MODS/irq_sim.c"
  cp vmtest/kmod/* "$MODS/"
  make -s -C "$HDR" M="$MODS" modules 2>&1 | grep -v 'Skipping BTF' || true
  ls "$MODS"/{gpio-sim,irq_sim,pcf8574_log}.ko >/dev/null
  touch "$MODS/.done-$srcsum"
fi

# --- binaries (static, for the guest) and test cards ------------------------
stage build
BIN=$WORK/bin
mkdir -p "$BIN"
export CGO_ENABLED=1
"$GO" build -tags "$TAGS" -ldflags '-linkmode external -extldflags -static' -o "$BIN/" \
  ./cmd/scangated ./cmd/scangate ./vmtest/guest 2>&1 | grep -v 'statically linked applications' || true
"$GO" build -o "$BIN/hostscan" ./vmtest/hostscan
file "$BIN/scangated" | grep -q 'statically linked' || { echo "vmtest: FAIL scangated is not static"; exit 1; }
CARDS=$WORK/root/cards
mkdir -p "$CARDS"
(
  cd "$CARDS"
  sg() { "$BIN/scangate" "$@" >/dev/null 2>&1 || { echo "vmtest: FAIL scangate $1"; exit 1; }; }
  sg keygen --issuer vm-centre --out keys
  sg issue --key keys/issuer.key --name 王秀英 --category elder --out valid.png
  sg issue --key keys/issuer.key --name 李明 --category child --out valid2.png
  sg issue --key keys/issuer.key --name 欧阳娜娜 --category elder --out valid3.png
  sg issue --key keys/issuer.key --name 周芳 --category elder --out relay1.png
  sg issue --key keys/issuer.key --name 吴磊 --category child --out relay2.png
  sg issue --key keys/issuer.key --name 张伟 --category companion --out revoked.png
  sg revoke --key keys/issuer.key --revocations keys/revocations.json \
    "$(sed -n 's/.*"card_id": *"\([0-9a-f]*\)".*/\1/p' revoked.png.json | head -1)"
  sg keygen --issuer vm-centre --out forger
  sg issue --key forger/issuer.key --name 赵强 --category elder --out forged.png
  # The power-cut run's cards: only the manifest (card ids, QR texts) goes
  # in, the serial scanner types them.
  { echo name,category; for i in $(seq 16); do echo "断电测试$i,elder"; done; } >pc.csv
  sg issue --key keys/issuer.key --csv pc.csv --out pc
  rm -rf pc pc.csv
  rm -rf forger keys/issuer.key
)

# --- initramfs -------------------------------------------------------------
stage initramfs
R=$WORK/root
mkdir -p "$R"/{bin,sbin,etc,proc,sys,dev,tmp,run,data,lib/modules}
cp /bin/busybox "$R/bin/busybox"
cp "$BIN/scangated" "$BIN/scangate" "$R/bin/"
cp "$BIN/guest" "$R/bin/vmguest"
# The host's aplay (arecord is the same program) with its libraries and
# ALSA's configuration, and the committed voice prompts, for the voice check.
cp "$(command -v aplay)" "$R/bin/aplay"
ln -s aplay "$R/bin/arecord"
for lib in $(ldd "$(command -v aplay)" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'); do
  mkdir -p "$R$(dirname "$lib")"; cp -L "$lib" "$R$lib"
done
mkdir -p "$R/usr/share/alsa" "$R/usr/share/scangate/voice"
cp -r /usr/share/alsa/alsa.conf /usr/share/alsa/cards /usr/share/alsa/pcm "$R/usr/share/alsa/"
cp -r voice/prompts/zh voice/prompts/en "$R/usr/share/scangate/voice/"
M=$R/lib/modules/$KVER
KM=$KDIR/root/lib/modules/$KVER
mkdir -p "$M/extra"
cp "$MODS"/{gpio-sim,irq_sim,pcf8574_log}.ko "$M/extra/"
# Only the modules the test loads, with their dependencies (modules.dep is
# made by depmod: the .deb has none).
if [[ ! -f $KM/modules.dep ]]; then depmod -b "$KDIR/root" -F "$KDIR/root/boot/System.map-$KVER" "$KVER"; fi
want="configfs vivid i2c-dev xhci-pci ftdi_sio virtio_pci virtio_blk dm-log-writes dm-snapshot ext4 crc32c_generic brd snd-aloop"
deps() { awk -v m="$1" -F: '{n=$1; sub(/.*\//,"",n); sub(/\.ko.*$/,"",n); gsub(/-/,"_",n); mm=m; gsub(/-/,"_",mm); if (n==mm) {print $1; print $2}}' "$KM/modules.dep" | tr ' ' '\n' | grep . ; }
for m in $want; do
  for f in $(deps "$m"); do mkdir -p "$M/$(dirname "$f")"; cp "$KM/$f" "$M/$f"; done
done
cp "$KM"/modules.{order,builtin,builtin.modinfo} "$M/" 2>/dev/null || true
depmod -b "$R" -F "$KDIR/root/boot/System.map-$KVER" "$KVER"
cat >"$R/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mount -t tmpfs data /data
mount -t debugfs none /sys/kernel/debug
ip link set lo up
stty -F /dev/ttyS1 115200 raw -echo
/bin/vmguest
poweroff -f
INIT
chmod +x "$R/init"
(cd "$R" && find . | cpio -o -H newc --quiet) >"$WORK/initramfs.cpio"

# --- power-cut disks: the data partition as genimage makes it (mke2fs
# defaults, label data, 256 MiB), its pristine copy for the replay, and the
# write log. Inode tables are initialised now: the lazy-init thread would
# otherwise fill the log. Sparse files; cache=unsafe below only skips host
# fsyncs, the guest still sees a write-back cache and sends its flushes.
PC=$WORK/pc; mkdir -p "$PC"
truncate -s 256M "$PC/data.img" "$PC/log.img"
mkfs.ext4 -q -F -L data -E lazy_itable_init=0,lazy_journal_init=0 "$PC/data.img"
cp --sparse=always "$PC/data.img" "$PC/base.img"
disks=()
for d in data log base; do
  disks+=(-drive "file=$PC/$d.img,if=none,id=pc$d,format=raw,cache=unsafe" -device "virtio-blk-pci,drive=pc$d,serial=pc$d")
done

# --- boot ------------------------------------------------------------------
stage kvm
ACCEL=tcg
# /dev/kvm may exist and still not run this kernel (nested virtualisation):
# boot the real kernel once under KVM with a guest that only says hello.
probe=$CACHE/kvm-$KVER-$(uname -r)
if [[ ! -w /dev/kvm ]]; then
  echo "vmtest: /dev/kvm not usable by $(id -un)"
elif [[ ! -f $probe ]]; then
  P=$WORK/probe; mkdir -p "$P/bin"; cp /bin/busybox "$P/bin/"
  printf '#!/bin/busybox sh\n/bin/busybox echo KVM-PROBE-OK\n/bin/busybox poweroff -f\n' >"$P/init"; chmod +x "$P/init"
  (cd "$P" && find . | cpio -o -H newc --quiet) >"$WORK/probe.cpio"
  verdict=no
  if timeout 30 qemu-system-x86_64 -accel kvm -cpu host -m 256 -smp 1 -nodefaults -no-user-config -display none \
      -serial stdio -no-reboot -kernel "$KDIR/root/boot/vmlinuz-$KVER" -initrd "$WORK/probe.cpio" \
      -append 'console=ttyS0 panic=-1 quiet' 2>/dev/null </dev/null | grep -q KVM-PROBE-OK; then verdict=yes; fi
  echo "$verdict" >"$probe"
fi
[[ -w /dev/kvm && -f $probe && $(cat "$probe") == yes ]] && ACCEL=kvm
echo "vmtest: accelerator $ACCEL"

stage vm
SOCK=$WORK/sock; mkdir -p "$SOCK"
cpu=(); [[ $ACCEL == kvm ]] && cpu=(-cpu host)
timeout_s=${SCANGATE_VMTEST_TIMEOUT:-300}
append='console=ttyS0 panic=-1 quiet loglevel=3'
# Also replay each run of writes before a flush with every second one lost.
[[ -n ${SCANGATE_VMTEST_TORN:-} ]] && append+=' scangate.torn'
timeout "$timeout_s" qemu-system-x86_64 -accel "$ACCEL" "${cpu[@]}" -m 1024 -smp 1 -nodefaults -no-user-config -display none \
  -no-reboot -kernel "$KDIR/root/boot/vmlinuz-$KVER" -initrd "$WORK/initramfs.cpio" \
  -append "$append" \
  -serial stdio \
  -chardev socket,id=ctl,path="$SOCK/ctl",server=on,wait=off -serial chardev:ctl \
  -device qemu-xhci -chardev socket,id=scan,path="$SOCK/scan",server=on,wait=off -device usb-serial,chardev=scan \
  "${disks[@]}" \
  </dev/null >"$WORK/console.log" 2>&1 &
QEMU_PID=$!
for _ in $(seq 100); do [[ -S $SOCK/scan && -S $SOCK/ctl ]] && break; sleep 0.05; done
"$BIN/hostscan" --scanner "$SOCK/scan" --control "$SOCK/ctl" &
HOSTSCAN_PID=$!
tail -n +1 -s 0.2 -f "$WORK/console.log" --pid "$QEMU_PID" | sed -u -n 's/\r$//; /^vmtest:/p' &
SHOW=$!
qrc=0; wait "$QEMU_PID" || qrc=$?
QEMU_PID=
wait "$SHOW" || true
((qrc == 124)) && echo "vmtest: FAIL the guest did not finish within ${timeout_s}s (SCANGATE_VMTEST_TIMEOUT)"
stage "done"
printf 'vmtest: total %.1fs\n' "$(echo "$(date +%s.%N) - $T0" | bc)"
# The serial console ends lines with CR LF.
result=$(tr -d '\r' <"$WORK/console.log" | grep -a '^vmtest: [0-9]* passed, [0-9]* failed' | tail -1 || true)
if [[ -z $result ]]; then
  echo "vmtest: FAIL the guest did not report; console:"; tail -n 60 "$WORK/console.log"; exit 1
fi
if grep -aq '^vmtest: FAIL' "$WORK/console.log" || [[ $result != *" 0 failed" ]]; then
  echo "vmtest: FAIL $result"
  [[ -n ${VERBOSE:-} ]] && cat "$WORK/console.log"
  exit 1
fi
