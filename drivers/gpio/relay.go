package gpio

import (
	"context"
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/driver/driverreg"
	"periph.io/x/conn/v3/gpio"
)

// RelayConfig names the line that drives a door strike's or turnstile's
// relay and the optional passage sensor (a door contact or turnstile
// switch). Lines are "[!]NAME" or "[!]CHIP:OFFSET"; '!' is active-low: a
// relay board that closes with its input low, a contact to ground.
type RelayConfig struct {
	Line   string
	Sensor string // "" when none is fitted
}

// SensorDebounce ignores a contact's bounce after a passage.
const SensorDebounce = 50 * time.Millisecond

// Relay is the opened relay output and sensor input.
type Relay struct {
	out    gpio.PinOut
	sensor gpio.PinIn
	lines  []gpio.PinIO
}

// OpenRelay resolves the lines through the GPIO character device. The
// relay is driven off (door locked) at once.
func OpenRelay(cfg RelayConfig) (*Relay, error) {
	if _, err := driverreg.Init(); err != nil {
		return nil, fmt.Errorf("gpio: init periph: %w", err)
	}
	return openRelay(cfg, periphLines{})
}

func openRelay(cfg RelayConfig, f lineFinder) (*Relay, error) {
	r := &Relay{}
	p, activeLow, err := resolve(cfg.Line, f)
	if err != nil {
		return nil, fmt.Errorf("gpio: relay: %w", err)
	}
	r.lines = append(r.lines, p)
	r.out = p
	if activeLow {
		r.out = invertedOut{p}
	}
	if err := r.out.Out(gpio.Low); err != nil {
		r.Close()
		return nil, fmt.Errorf("gpio: relay %s: %w", cfg.Line, err)
	}
	if cfg.Sensor == "" {
		return r, nil
	}
	s, activeLow, err := resolve(cfg.Sensor, f)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("gpio: relay sensor: %w", err)
	}
	if s == p {
		r.Close()
		return nil, fmt.Errorf("gpio: relay sensor %s is the relay's own line", cfg.Sensor)
	}
	// A contact to ground needs the pull-up; one to 3V3 the pull-down.
	pull := gpio.PullDown
	if activeLow {
		pull = gpio.PullUp
	}
	if err := s.In(pull, gpio.BothEdges); err != nil {
		r.Close()
		return nil, fmt.Errorf("gpio: relay sensor %s: %w", cfg.Sensor, err)
	}
	r.lines = append(r.lines, s)
	r.sensor = s
	if activeLow {
		r.sensor = invertedIn{s}
	}
	return r, nil
}

// Set closes the relay (open: the strike releases, the turnstile turns)
// or opens it again.
func (r *Relay) Set(open bool) error {
	if r.out == nil {
		return errors.New("gpio: relay closed")
	}
	if err := r.out.Out(gpio.Level(open)); err != nil {
		return fmt.Errorf("gpio: relay %s: %w", r.out.Name(), err)
	}
	return nil
}

// HasSensor reports whether a passage sensor is fitted.
func (r *Relay) HasSensor() bool { return r.sensor != nil }

// WatchPassages calls passed once each time the sensor turns active (the
// door opens, the turnstile turns) until ctx is done; bounce within
// SensorDebounce is one passage. Without a sensor it waits for ctx.
func (r *Relay) WatchPassages(ctx context.Context, passed func()) {
	if r.sensor == nil {
		<-ctx.Done()
		return
	}
	WatchButton(ctx, r.sensor, SensorDebounce, passed)
}

// Close drives the relay off and releases the lines.
func (r *Relay) Close() error {
	var err error
	if r.out != nil {
		err = r.Set(false)
	}
	for _, l := range r.lines {
		if c, ok := l.(interface{ Close() }); ok {
			c.Close()
		}
	}
	r.out, r.sensor, r.lines = nil, nil, nil
	return err
}
