package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

const bootTimeout = 4 * time.Minute

func bundleURL(o options, name string) (path, url string) {
	path = fmt.Sprintf("/%s/scangate-%s.raucb", name, o.compatible)
	return path, fmt.Sprintf("http://10.0.2.2:%d%s", o.httpPort, path)
}

func run(o options) error {
	col, err := startCollector(o)
	if err != nil {
		return err
	}
	defer col.cmd.Process.Kill()
	pub, cs, err := cards(o, 6)
	if err != nil {
		return err
	}
	token, err := col.setup(pub)
	if err != nil {
		return err
	}
	colPub, err := os.ReadFile(o.work + "/collector.key.pub")
	if err != nil {
		return fmt.Errorf("collector public key: %w", err)
	}
	good := kioskConfig(o, token)
	if err := o.putBoot("scangate.toml", []byte(good)); err != nil {
		return err
	}
	if err := o.putBoot("collector.pub", colPub); err != nil {
		return err
	}
	srv, err := serveBundles(o.bundles, o.httpPort)
	if err != nil {
		return err
	}

	// 1. First boot: U-Boot's default environment, boot.scr picks A, the
	// daemon comes up, the self-test marks A good.
	t := time.Now()
	v, err := o.start()
	if err != nil {
		return err
	}
	defer func() { v.kill() }()
	s, ok := v.waitGood("A", bootTimeout)
	if !check("first boot", ok && s.aLeft == "3", "%s in %.0fs", s, time.Since(t).Seconds()) {
		v.diag()
		return fmt.Errorf("no point going on")
	}
	check("env both copies", v.out("ls /boot/uboot.env /boot/uboot-redund.env | wc -l") == "2" && !strings.Contains(v.serial(), "bootcmd\" not defined"),
		"U-Boot wrote uboot.env and uboot-redund.env, fw_printenv reads them (%s)", v.out("fw_printenv BOOT_ORDER"))
	check("locked root", v.out("cut -d: -f1,2 /etc/shadow | grep '^root:'") == "root:*" && v.out("systemctl is-active getty@tty1 || true") != "active",
		"root password %q, getty@tty1 %s", v.out("cut -d: -f2 /etc/shadow | head -1"), v.out("systemctl is-active getty@tty1 || true"))
	user := v.out("stat -c %U /proc/$(systemctl show -p MainPID --value scangated)")
	check("kiosk user", user == "scangate" && v.out("systemctl show -p NoNewPrivileges --value scangated") == "yes",
		"scangated runs as %q, NoNewPrivileges=%s, ProtectSystem=%s, capabilities %s", user,
		v.out("systemctl show -p NoNewPrivileges --value scangated"), v.out("systemctl show -p ProtectSystem --value scangated"),
		v.out("grep CapEff /proc/$(systemctl show -p MainPID --value scangated)/status"))

	// 2. Check-ins over the user network (DHCP) to the host's collector.
	dhcp := v.out("networkctl status --no-pager 2>/dev/null | grep -c 'DHCPv4\\|10.0.2.15' || ip -4 addr")
	for _, c := range cs[:3] {
		if err := v.scanText(c.qr); err != nil {
			return err
		}
		time.Sleep(1500 * time.Millisecond)
	}
	vs, ok := col.uploaded(3, 90*time.Second)
	check("check-ins uploaded", ok, "%d of 3 check-ins at the collector from device %s over DHCP (%s)", len(vs), devices(vs), dhcp)
	dev := devices(vs)

	// 3. The fleet's update: scangate.toml's [update] url names B's
	// bundle; scangate-update (its timer's job, started now rather than in
	// an hour) sees a version other than the booted slot's, installs it
	// streamed and reboots. B good, rows kept.
	path, url := bundleURL(o, "b")
	t = time.Now()
	boots := strings.Count(v.serial(), "scangate: booting slot")
	r, err := v.sh(30*time.Second, "systemctl start --no-block scangate-update.service")
	rebooted := err == nil && r.Code == 0 && v.waitSerial("scangate: booting slot", boots+1, 10*time.Minute)
	ranges, whole, sent := srv.stats(path)
	size := fileSize(o.bundles + path)
	check("streamed update from [update] url", rebooted && ranges > 0 && whole == 0,
		"scangate-update installed %s and rebooted in %.0fs: %d range requests, %d whole downloads, %d of %d bytes sent (err %v)",
		url, time.Since(t).Seconds(), ranges, whole, sent, size, err)
	t = time.Now()
	s, ok = v.waitGood("B", bootTimeout)
	check("update to B", ok, "%s in %.0fs, version %s", s, time.Since(t).Seconds(), v.out("cat /etc/scangate-version"))
	if err := v.scanText(cs[3].qr); err != nil {
		return err
	}
	vs, ok = col.uploaded(4, 90*time.Second)
	check("check-ins kept", ok && devices(vs) == dev, "%d rows at the collector from device %s after the update (before: 3 from %s)", len(vs), devices(vs), dev)

	// 4. A bundle whose self-test fails (its daemon cannot start): three
	// tries of the new slot, then U-Boot boots the last good one.
	_, url = bundleURL(o, "badtest")
	r, err = v.sh(10*time.Minute, "rauc install "+url)
	if check("bad bundle installs", err == nil && r.Code == 0, "exit %d %s (err %v)", r.Code, lastLine(r.Out), err) {
		before := strings.Count(v.serial(), "scangate: booting slot A")
		v.sh(10*time.Second, "systemctl reboot")
		t = time.Now()
		tried := v.waitSerial("scangate: booting slot A", before+3, 3*bootTimeout)
		tried = tried && v.waitSerial("scangate: booting slot B", strings.Count(v.serial(), "scangate: booting slot B")+1, bootTimeout)
		s, ok = v.waitGood("B", bootTimeout)
		check("failed self-test falls back", tried && ok && s.aLeft == "0",
			"3 tries of A (%d boots of A seen), then %s in %.0fs", strings.Count(v.serial(), "scangate: booting slot A")-before, s, time.Since(t).Seconds())
		if err := v.scanText(cs[4].qr); err != nil {
			return err
		}
		vs, ok = col.uploaded(5, 90*time.Second)
		check("no check-in lost", ok && devices(vs) == dev, "%d rows at the collector from %s", len(vs), devices(vs))
	}

	// 5. A bundle whose kernel panics (no init): panic=5 resets, three
	// tries, fallback.
	_, url = bundleURL(o, "panic")
	r, err = v.sh(10*time.Minute, "rauc install "+url)
	if check("panic bundle installs", err == nil && r.Code == 0, "exit %d %s (err %v)", r.Code, lastLine(r.Out), err) {
		before := strings.Count(v.serial(), "Kernel panic")
		v.sh(10*time.Second, "systemctl reboot")
		t = time.Now()
		panics := v.waitSerial("Kernel panic", before+3, 3*bootTimeout)
		s, ok = v.waitGood("B", bootTimeout)
		check("kernel panic falls back", panics && ok, "%d panics, then %s in %.0fs", strings.Count(v.serial(), "Kernel panic")-before, s, time.Since(t).Seconds())
	}

	// 6. A config typo (written the way Notepad does: BOM, CRLF): shown,
	// written to the boot partition, no reboot, same slot.
	boots = strings.Count(v.serial(), "scangate: booting slot")
	bad := strings.Replace(good, "[camera]\nenabled = false", "[camera]\nenabled = false\nwidht = 640", 1)
	bad = strings.Replace(bad, "device = \"/dev/ttyUSB0\"", "device = \"/dev/ttyUSB0\"\nparity = \"mark\"", 1)
	bad = "\ufeff" + strings.ReplaceAll(bad, "\n", "\r\n")
	if err := v.putGuestFile("/boot/scangate.toml", bad); err != nil {
		return err
	}
	v.sh(30*time.Second, "systemctl restart scangated")
	time.Sleep(20 * time.Second)
	errText := v.out("cat /boot/scangate-error.txt")
	screen := v.out("systemctl show -p StatusText --value scangated")
	fb := v.out("head -c 4096 /dev/fb0 | od -An -tx1 | tr -s ' \\n' ' ' | head -c 64")
	s = v.state()
	// The screen: the framebuffer filled with the fault colour (f5a600,
	// stored B G R X) behind the text.
	// and text drawn over it (more than the one colour in the top rows).
	colours := v.out("head -c 1048576 /dev/fb0 | od -An -tx4 -v | tr -s ' ' '\\n' | sort -u | grep -c .")
	amber := strings.Contains(fb, "00 a6 f5") && colours != "" && colours != "1" && colours != "2"
	check("config typo", strings.Contains(errText, "scangate.toml:") && strings.Contains(errText, "camera.widht") && strings.Contains(errText, "serial.parity") && amber &&
		strings.Count(v.serial(), "scangate: booting slot") == boots && s.booted == "B" && v.out("systemctl is-active scangated") == "active",
		"error file %q; daemon status %q; framebuffer amber with text %v (%s, %s colours); %s, %d reboots", oneLine(errText), screen, amber, fb, colours, s, strings.Count(v.serial(), "scangate: booting slot")-boots)
	if err := v.putGuestFile("/boot/scangate.toml", good); err != nil {
		return err
	}
	v.sh(30*time.Second, "systemctl restart scangated")

	// 7. Power cut while U-Boot writes the environment: QEMU is killed as
	// U-Boot starts saving, and the copy it was writing is torn (its
	// second half overwritten), as a cut mid-write leaves it.
	saves := strings.Count(v.serial(), "Saving Environment to FAT")
	v.sh(10*time.Second, "systemctl reboot")
	cut := v.waitSerial("Saving Environment to FAT", saves+1, bootTimeout)
	v.kill()
	torn, err := o.tearNewerEnv()
	if err != nil {
		return err
	}
	v, err = o.start()
	if err != nil {
		return err
	}
	s, ok = v.waitGood("B", bootTimeout)
	check("power cut during env write", cut && ok && !strings.Contains(v.serial(), "bootcmd\" not defined"),
		"QEMU killed as U-Boot saved, %s torn; next boot %s", torn, s)

	// 8. Power cut in the middle of a streamed install.
	path, url = bundleURL(o, "b")
	_, _, sentBefore := srv.stats(path)
	v.sh(10*time.Second, "nohup rauc install "+url+" > /tmp/install.log 2>&1 &")
	mid := false
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if _, _, n := srv.stats(path); n-sentBefore > size/4 {
			mid = true
			break
		}
	}
	v.kill()
	v, err = o.start()
	if err != nil {
		return err
	}
	s, ok = v.waitGood("B", bootTimeout)
	check("power cut during install", mid && ok, "QEMU killed with part of the bundle written to A; next boot %s", s)
	return nil
}

func (v *vm) putGuestFile(path, content string) error {
	r, err := v.sh(30*time.Second, fmt.Sprintf("printf '%%s' '%s' > %s.tmp && mv %s.tmp %s && sync", strings.ReplaceAll(content, "'", `'\''`), path, path, path))
	if err != nil || r.Code != 0 {
		return fmt.Errorf("write %s in the guest: %v %s", path, err, r.Out)
	}
	return nil
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

func lastLine(s string) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	return ls[len(ls)-1]
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " | ") }

// tearNewerEnv finds the environment copy with the newer flag byte (U-Boot
// writes the older one, so this is the one written last) on the card and
// overwrites its second half.
func (o options) tearNewerEnv() (string, error) {
	read := func(name string) ([]byte, error) {
		dst := o.work + "/env-" + name
		if out, err := exec.Command("mcopy", "-o", "-n", "-i", o.disk+"@@4M", "::"+name, dst).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("mcopy %s: %w: %s", name, err, out)
		}
		return os.ReadFile(dst)
	}
	a, err := read("uboot.env")
	if err != nil {
		return "", err
	}
	b, err := read("uboot-redund.env")
	if err != nil {
		return "", err
	}
	if len(a) < 16 || len(b) < 16 {
		return "", fmt.Errorf("environment copies of %d and %d bytes", len(a), len(b))
	}
	name, env := "uboot.env", a
	// Flags count up and wrap: the newer copy is one ahead of the other.
	if b[4] == a[4]+1 {
		name, env = "uboot-redund.env", b
	}
	for i := len(env) / 2; i < len(env); i++ {
		env[i] = 0x5a
	}
	return name, o.putBoot(name, env)
}

// diag prints what the guest's journal says about the kiosk units.
func (v *vm) diag() {
	r, err := v.sh(30*time.Second, "systemctl --failed --no-pager; journalctl -b --no-pager -u scangated -u scangate-mark-good -u rauc | tail -40")
	fmt.Printf("imagetest: guest journal (err %v):\n%s\n", err, r.Out)
}
