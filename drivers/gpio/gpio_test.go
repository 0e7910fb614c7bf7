package gpio

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// fakeChip resolves names and "gpiochip0:N" to gpiotest pins.
type fakeChip struct{ pins []*gpiotest.Pin }

func newFakeChip(names ...string) *fakeChip {
	c := &fakeChip{}
	for i, n := range names {
		c.pins = append(c.pins, &gpiotest.Pin{N: n, Num: i, EdgesChan: make(chan gpio.Level, 4)})
	}
	return c
}

func (c *fakeChip) byName(name string) gpio.PinIO {
	for _, p := range c.pins {
		if p.N == name {
			return p
		}
	}
	return nil
}

func (c *fakeChip) byOffset(chip string, off int) gpio.PinIO {
	if chip != "gpiochip0" || off >= len(c.pins) {
		return nil
	}
	return c.pins[off]
}

func TestOpenResolvesAndDrivesOff(t *testing.T) {
	c := newFakeChip("GPIO17", "GPIO27", "GPIO22", "GPIO23")
	c.pins[1].L = gpio.High // left on by a previous run
	o, err := open(Config{Green: "GPIO17", Red: "gpiochip0:1", Buzzer: "!GPIO22"}, c)
	if err != nil {
		t.Fatal(err)
	}
	if c.pins[0].L != gpio.Low || c.pins[1].L != gpio.Low {
		t.Error("LEDs not switched off at open")
	}
	if c.pins[2].L != gpio.High {
		t.Error("active-low buzzer: off must drive the wire high")
	}
	if err := o.SetBuzzer(true); err != nil || c.pins[2].L != gpio.Low {
		t.Errorf("active-low buzzer on: wire %v, err %v", c.pins[2].L, err)
	}
	// No amber LED: amber shows as red and green together.
	if err := o.SetLights(false, false, true); err != nil || c.pins[0].L != gpio.High || c.pins[1].L != gpio.High {
		t.Errorf("amber without an amber LED: green %v red %v err %v", c.pins[0].L, c.pins[1].L, err)
	}
	if err := o.SetLights(false, true, false); err != nil || c.pins[0].L != gpio.Low || c.pins[1].L != gpio.High {
		t.Errorf("red: green %v red %v", c.pins[0].L, c.pins[1].L)
	}
	if err := o.Close(); err != nil || c.pins[1].L != gpio.Low || c.pins[2].L != gpio.High {
		t.Errorf("Close left lines on: red %v buzzer wire %v err %v", c.pins[1].L, c.pins[2].L, err)
	}
}

func TestOpenUnknownLines(t *testing.T) {
	c := newFakeChip("GPIO17")
	for _, spec := range []string{"GPIO99", "gpiochip0:5", "gpiochip1:0", "gpiochip0:x", "gpiochip0:-1"} {
		if _, err := open(Config{Green: spec}, c); err == nil || !strings.HasPrefix(err.Error(), "gpio: ") {
			t.Errorf("open(%q) = %v, want a gpio: error", spec, err)
		}
	}
}

// failingPin is a line whose request fails, like a line held by another
// process (EBUSY from the character device).
type failingPin struct{ gpiotest.Pin }

func (p *failingPin) Out(gpio.Level) error { return syscall.EBUSY }

func TestSetLightsReportsEveryFailure(t *testing.T) {
	o := &Outputs{Green: &failingPin{gpiotest.Pin{N: "G"}}, Red: &failingPin{gpiotest.Pin{N: "R"}}}
	err := o.SetLights(true, true, false)
	if !errors.Is(err, syscall.EBUSY) || !strings.Contains(err.Error(), "G") || !strings.Contains(err.Error(), "R") {
		t.Errorf("err = %v", err)
	}
}

func TestButtonActiveLow(t *testing.T) {
	c := newFakeChip("BTN")
	o, err := open(Config{Button: "!BTN"}, c)
	if err != nil {
		t.Fatal(err)
	}
	if c.pins[0].P != gpio.PullUp {
		t.Errorf("active-low button pull = %v, want PullUp", c.pins[0].P)
	}
	if o.Button.Read() != gpio.Low {
		t.Error("released button reads as pressed")
	}
	var presses atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		WatchButton(ctx, o.Button, 0, func() { presses.Add(1) })
		close(done)
	}()
	for _, l := range []gpio.Level{gpio.Low, gpio.High, gpio.Low, gpio.High} { // press, release, press, release
		c.pins[0].EdgesChan <- l
	}
	deadline := time.Now().Add(5 * time.Second)
	for presses.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(2 * pollEdge):
		t.Fatal("WatchButton did not stop after cancel")
	}
	if n := presses.Load(); n != 2 {
		t.Errorf("presses = %d, want 2", n)
	}
}

func TestPWMTone(t *testing.T) {
	root := t.TempDir()
	fs, err := NewFakePWM(root, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	p, err := OpenPWM(fs, root, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	o := &Outputs{Tone: p, ToneHz: 2000}
	if err := o.SetBuzzer(true); err != nil {
		t.Fatal(err)
	}
	if err := p.Tone(5000); err != nil { // period below the current duty
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pwmchip0/export=1",
		"pwmchip0/pwm1/period=500000", "pwmchip0/pwm1/duty_cycle=250000", "pwmchip0/pwm1/enable=1",
		"pwmchip0/pwm1/duty_cycle=0", "pwmchip0/pwm1/period=200000", "pwmchip0/pwm1/duty_cycle=100000",
		"pwmchip0/pwm1/duty_cycle=0", "pwmchip0/pwm1/enable=0",
		"pwmchip0/unexport=1",
	}
	if got := strings.Join(fs.Writes, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("writes:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if fs.Exists(filepath.Join(root, "pwmchip0", "pwm1")) {
		t.Error("channel still exported after Close")
	}
}

func TestFakePWMKernelRules(t *testing.T) {
	root := t.TempDir()
	fs, err := NewFakePWM(root, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	chip := filepath.Join(root, "pwmchip0")
	ch := filepath.Join(chip, "pwm0")
	for _, tc := range []struct {
		path, val string
		want      error
	}{
		{filepath.Join(chip, "export"), "1", syscall.EINVAL}, // npwm is 1
		{filepath.Join(chip, "unexport"), "0", syscall.ENODEV},
		{filepath.Join(chip, "export"), "0", nil},
		{filepath.Join(chip, "export"), "0", syscall.EBUSY},
		{filepath.Join(ch, "duty_cycle"), "10", syscall.EINVAL}, // period still 0
		{filepath.Join(ch, "enable"), "1", syscall.EINVAL},
		{filepath.Join(ch, "period"), "1000", nil},
		{filepath.Join(ch, "duty_cycle"), "600", nil},
		{filepath.Join(ch, "period"), "500", syscall.EINVAL}, // below duty
		{filepath.Join(ch, "duty_cycle"), "1001", syscall.EINVAL},
		{filepath.Join(ch, "enable"), "2", syscall.EINVAL},
		{filepath.Join(ch, "period"), "abc", syscall.EINVAL},
		{filepath.Join(ch, "enable"), "1", nil},
	} {
		err := fs.WriteFile(tc.path, tc.val)
		if (tc.want == nil && err != nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("write %s=%s: %v, want %v", tc.path, tc.val, err, tc.want)
		}
	}
	if p, _ := fs.ReadFile(filepath.Join(ch, "period")); p != "1000" {
		t.Errorf("period after a refused write = %s, want 1000", p)
	}
}

func TestOpenPWMMissingChip(t *testing.T) {
	if _, err := OpenPWM(SysFS{}, t.TempDir(), 3, 0); err == nil {
		t.Error("OpenPWM on a missing chip succeeded")
	}
}

func FuzzResolve(f *testing.F) {
	for _, s := range []string{"GPIO17", "!GPIO17", "gpiochip0:3", "!gpiochip0:0", "gpiochip0:", ":", "!", "gpiochip0:99999999999999999999"} {
		f.Add(s)
	}
	c := newFakeChip("GPIO17", "GPIO27", "GPIO22", "GPIO23")
	f.Fuzz(func(t *testing.T, spec string) {
		p, low, err := resolve(spec, c)
		if err != nil {
			if p != nil {
				t.Fatal("pin returned with an error")
			}
			return
		}
		if low != strings.HasPrefix(spec, "!") {
			t.Fatalf("%q: active-low %v", spec, low)
		}
		if n := strings.TrimPrefix(spec, "!"); p.Name() != n && fmt.Sprintf("gpiochip0:%d", p.Number()) != n {
			// chip:offset may have leading zeros or a plus sign
			if !strings.HasPrefix(n, "gpiochip0:") {
				t.Fatalf("%q resolved to %s", spec, p)
			}
		}
	})
}

// closingPin counts Close calls like gpioioctl.GPIOLine releasing its request.
type closingPin struct {
	gpiotest.Pin
	closed int
}

func (p *closingPin) Close() { p.closed++ }

type closingChip struct{ pins map[string]*closingPin }

func (c closingChip) byName(n string) gpio.PinIO {
	if p, ok := c.pins[n]; ok {
		return p
	}
	return nil
}
func (c closingChip) byOffset(string, int) gpio.PinIO { return nil }

func TestCloseReleasesLines(t *testing.T) {
	c := closingChip{pins: map[string]*closingPin{"G": {Pin: gpiotest.Pin{N: "G"}}, "B": {Pin: gpiotest.Pin{N: "B"}}}}
	o, err := open(Config{Green: "G", Buzzer: "!B"}, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if c.pins["G"].closed != 1 || c.pins["B"].closed != 1 {
		t.Errorf("lines closed %d and %d times, want once each", c.pins["G"].closed, c.pins["B"].closed)
	}
	if c.pins["B"].L != gpio.High {
		t.Error("active-low buzzer left sounding at Close")
	}
}
