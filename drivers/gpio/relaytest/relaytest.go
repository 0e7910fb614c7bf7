// Package relaytest is a fake of gpio.Relay for tests of the code that
// drives a door strike: the relay line records every level it is driven
// to, stamped with the test's clock, fails like a line whose chip went
// away, and the sensor delivers passages the way gpio.Relay.WatchPassages
// does (from the watching goroutine, bounce within gpio.SensorDebounce
// dropped).
package relaytest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/drivers/gpio"
)

// Level is one change of the relay line.
type Level struct {
	At   time.Time
	Open bool
}

// Relay is the fake. The zero value is not usable: call New.
type Relay struct {
	clock  clock.Clock
	sensor bool

	mu       sync.Mutex
	open     bool
	levels   []Level
	fail     error
	closed   bool
	changed  chan struct{}
	passages chan struct{}
	last     time.Time
}

// New returns a relay driven off (its first Level), as gpio.OpenRelay
// leaves it, with a passage sensor when sensor is set.
func New(c clock.Clock, sensor bool) *Relay {
	return &Relay{clock: c, sensor: sensor, changed: make(chan struct{}), passages: make(chan struct{}, 16),
		levels: []Level{{At: c.Now()}}}
}

// Set drives the relay, as gpio.Relay.Set.
func (r *Relay) Set(open bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return errors.New("gpio: relay closed")
	case r.fail != nil:
		return fmt.Errorf("gpio: relay FAKE: %w", r.fail)
	}
	if open != r.open {
		r.open = open
		r.levels = append(r.levels, Level{At: r.clock.Now(), Open: open})
		close(r.changed)
		r.changed = make(chan struct{})
	}
	return nil
}

// FailWith makes every Set fail with err (nil: work again).
func (r *Relay) FailWith(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

// IsOpen reports the line's level now.
func (r *Relay) IsOpen() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.open
}

// Levels returns every change so far.
func (r *Relay) Levels() []Level {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Level(nil), r.levels...)
}

// WaitOpen waits up to timeout (real time: the code under test runs in
// other goroutines) for the line to be open, or closed.
func (r *Relay) WaitOpen(open bool, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		now, ch := r.open, r.changed
		r.mu.Unlock()
		if now == open {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		}
	}
}

// HasSensor reports whether the fake has a sensor.
func (r *Relay) HasSensor() bool { return r.sensor }

// Pass is one person going through the door or turnstile.
func (r *Relay) Pass() { r.passages <- struct{}{} }

// WatchPassages calls passed for each Pass until ctx is done, dropping a
// passage within gpio.SensorDebounce of the one before (by the clock).
func (r *Relay) WatchPassages(ctx context.Context, passed func()) {
	if !r.sensor {
		<-ctx.Done()
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.passages:
		}
		now := r.clock.Now()
		r.mu.Lock()
		bounce := !r.last.IsZero() && now.Sub(r.last) < gpio.SensorDebounce
		if !bounce {
			r.last = now
		}
		r.mu.Unlock()
		if !bounce {
			passed()
		}
	}
}

// Close drives the relay off and refuses later Sets, as gpio.Relay.Close.
func (r *Relay) Close() error {
	err := r.Set(false)
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	return err
}
