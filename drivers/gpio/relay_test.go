package gpio

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

func TestRelayActiveLowAndSensor(t *testing.T) {
	c := newFakeChip("GPIO23", "GPIO24")
	c.pins[0].L = gpio.Low // an active-low relay left closed (door open) by a crash
	r, err := openRelay(RelayConfig{Line: "!GPIO23", Sensor: "!gpiochip0:1"}, c)
	if err != nil {
		t.Fatal(err)
	}
	if c.pins[0].L != gpio.High {
		t.Error("active-low relay not driven off (high) at open")
	}
	if c.pins[1].P != gpio.PullUp {
		t.Errorf("active-low sensor pull = %v, want PullUp", c.pins[1].P)
	}
	if err := r.Set(true); err != nil || c.pins[0].L != gpio.Low {
		t.Errorf("open: wire %v, err %v", c.pins[0].L, err)
	}
	if !r.HasSensor() {
		t.Fatal("no sensor")
	}
	var passages atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		r.WatchPassages(ctx, func() { passages.Add(1) })
		close(done)
	}()
	// Contact to ground: the door opens (low), closes (high), twice.
	for _, l := range []gpio.Level{gpio.Low, gpio.High} {
		c.pins[1].EdgesChan <- l
	}
	deadline := time.Now().Add(5 * time.Second)
	for passages.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(SensorDebounce + 10*time.Millisecond)
	for _, l := range []gpio.Level{gpio.Low, gpio.High} {
		c.pins[1].EdgesChan <- l
	}
	for passages.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if n := passages.Load(); n != 2 {
		t.Errorf("passages = %d, want 2", n)
	}
	if err := r.Close(); err != nil || c.pins[0].L != gpio.High {
		t.Errorf("Close left the door open: wire %v, err %v", c.pins[0].L, err)
	}
	if err := r.Set(true); err == nil {
		t.Error("Set after Close succeeded")
	}
}

func TestRelayErrors(t *testing.T) {
	c := newFakeChip("GPIO23", "GPIO24")
	for cfg, want := range map[RelayConfig]string{
		{Line: "GPIO99"}:                        `gpio: relay: gpio: line "GPIO99" not found`,
		{Line: "GPIO23", Sensor: "GPIO98"}:      `gpio: relay sensor: gpio: line "GPIO98" not found`,
		{Line: "GPIO23", Sensor: "!GPIO23"}:     "is the relay's own line",
		{Line: "gpiochip0:x", Sensor: "GPIO24"}: "not a number",
	} {
		if _, err := openRelay(cfg, c); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v, want %q", cfg, err, want)
		}
	}
	r := &Relay{out: &failingPin{gpiotest.Pin{N: "GPIO23"}}}
	if err := r.Set(true); !errors.Is(err, syscall.EBUSY) || !strings.Contains(err.Error(), "gpio: relay GPIO23") {
		t.Errorf("a failing line: %v", err)
	}
	// No sensor: WatchPassages only waits.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	(&Relay{}).WatchPassages(ctx, func() { t.Error("passage without a sensor") })
}
