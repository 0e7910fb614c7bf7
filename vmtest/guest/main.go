// Command vmguest is the test that runs inside the VM of `make vmtest`: it
// loads the virtual hardware drivers (vivid, gpio-sim, a PCF8574 test
// adapter, an FTDI USB serial port), starts the real scangated on them and
// checks what a venue would see. Each check prints one PASS or FAIL line;
// the last line is "vmtest: N passed, M failed". It expects the initramfs
// laid out by scripts/vmtest.sh (busybox, modules, /cards, /bin/scangate*).
package main

import (
	"encoding/json"
	"fmt"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"strings"
	"time"
)

const (
	width, height = 1280, 720
	dataDir       = "/data/scangate"
	configPath    = "/etc/scangate.toml"
	trustPath     = "/cards/keys/trust.json"
	lcdLog        = "/sys/kernel/debug/pcf8574_log/bytes"
)

var passed, failed int

func check(name string, ok bool, format string, args ...any) bool {
	word := "PASS"
	if ok {
		passed++
	} else {
		word = "FAIL"
		failed++
	}
	fmt.Printf("vmtest: %s %s: %s\n", word, name, fmt.Sprintf(format, args...))
	return ok
}

func logf(format string, args ...any) {
	fmt.Printf("vmtest: %8.2fs "+format+"\n", append([]any{time.Since(start).Seconds()}, args...)...)
}

var start = time.Now()

func main() {
	err := run()
	if err != nil {
		check("setup", false, "%v", err)
	}
	fmt.Printf("vmtest: %d passed, %d failed\n", passed, failed)
}

func sh(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func waitFor(what string, timeout time.Duration, f func() bool) bool {
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		if f() {
			return true
		}
		if time.Now().After(deadline) {
			logf("timed out after %v waiting for %s", timeout, what)
			return false
		}
	}
}

// card is an issued card as the host wrote it: image and .json.
type card struct {
	name   string
	img    image.Image
	qr     string
	cardID string
}

func loadCard(name string) (card, error) {
	c := card{name: name}
	f, err := os.Open("/cards/" + name + ".png")
	if err != nil {
		return c, err
	}
	defer f.Close()
	if c.img, _, err = image.Decode(f); err != nil {
		return c, fmt.Errorf("decode %s: %w", name, err)
	}
	b, err := os.ReadFile("/cards/" + name + ".png.json")
	if err != nil {
		return c, err
	}
	var meta []struct {
		CardID string `json:"card_id"`
		QR     string `json:"qr"`
	}
	if err := json.Unmarshal(b, &meta); err != nil || len(meta) != 1 {
		return c, fmt.Errorf("%s.png.json: want one card: %v", name, err)
	}
	c.qr, c.cardID = meta[0].QR, meta[0].CardID
	return c, nil
}

func setupModules() (*simChip, error) {
	steps := [][]string{
		{"modprobe", "configfs"},
		{"mount", "-t", "configfs", "none", "/sys/kernel/config"},
		{"modprobe", "vivid", "n_devs=1", "node_types=0x101"},
		{"modprobe", "gpio-sim"},
		{"modprobe", "i2c-dev"},
		{"modprobe", "pcf8574_log", "bus=1", "addr=0x27"},
		{"modprobe", "xhci-pci"},
		{"modprobe", "ftdi_sio"},
	}
	for _, s := range steps {
		if err := sh(s[0], s[1:]...); err != nil {
			return nil, err
		}
	}
	chip, err := newSimChip("kiosk", []string{"GREEN", "RED", "AMBER", "BUZZER", "RELAY", "DOOR"})
	if err != nil {
		return nil, err
	}
	for _, dev := range []string{"/dev/i2c-1", "/dev/ttyUSB0"} {
		if !waitFor(dev, 20*time.Second, func() bool { _, err := os.Stat(dev); return err == nil }) {
			return nil, fmt.Errorf("%s did not appear", dev)
		}
	}
	return chip, nil
}

func writeConfig(capture, extra string) error {
	cfg := fmt.Sprintf(`[device]
name = "vm-kiosk"
data = %q

[camera]
enabled = true
device = %q
width = %d
height = %d
fps = 10
buffers = 3
format = "YUYV"
input = 3
controls = { "0x00f0f025" = 1, "0x00f0f001" = 2 }

[serial]
enabled = true
device = "/dev/ttyUSB0"
baud = 9600
terminator = "cr"

[scanner]
# The same card is sent again right after its pattern ("serial again"):
# re-armed at once, not after the 1.5 s a held card's resends take.
rearm_text = "100ms"

[gpio]
enabled = true
chip = "gpiochip0"
green = "GREEN"
red = "RED"
amber = "AMBER"
buzzer = "BUZZER"

[screen]
type = "hd44780"
bus = "/dev/i2c-1"
addr = 0x27
cols = 16
rows = 2
smbus = false
`, dataDir, capture, width, height) + extra
	return os.WriteFile(configPath, []byte(cfg), 0o644)
}
