package kiosk

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/drivers/gpio"
)

// relayHardware is the door's relay and its optional passage sensor
// (gpio.Relay; relaytest.Relay in tests).
type relayHardware interface {
	Set(open bool) error
	HasSensor() bool
	WatchPassages(ctx context.Context, passed func())
	Close() error
}

// doorRelay opens the door strike or turnstile for each admitted check-in
// once it is durable, and, with a sensor, records a check-in whose holder
// did not pass within the window as not entered: a new record in the
// ledger, the check-in itself untouched.
//
// Passages are matched to admissions oldest first (one turnstile, one
// person at a time). A card admitted again while its earlier admission
// still waits replaces it: the same person is still at the door.
type doorRelay struct {
	hw     relayHardware
	clock  clock.Clock
	pulse  time.Duration
	window time.Duration
	memo   *entryMemo // nil without a sensor
	log    *slog.Logger

	mu      sync.Mutex
	gen     uint64 // pulses: a later admission's pulse outlives an earlier one's end
	pending []*pendingEntry
	closed  bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

type pendingEntry struct {
	seq   int64
	entry door.Entry
	timer clock.Timer
}

// relayOpener opens the hardware; gpio.OpenRelay on a device.
type relayOpener func(gpio.RelayConfig) (relayHardware, error)

func openGPIORelay(c gpio.RelayConfig) (relayHardware, error) {
	r, err := gpio.OpenRelay(c)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// newDoorRelay opens [relay] and starts watching its sensor. ledger is the
// gate's; the returned ledger is what the gate must record through (it
// remembers admitted entries for the not-entered record) — ledger itself
// when there is no sensor.
func newDoorRelay(cfg config.Relay, open relayOpener, ledger door.Ledger, clk clock.Clock, log *slog.Logger) (*doorRelay, door.Ledger, error) {
	line := func(name string, activeLow bool) string {
		if name != "" && activeLow {
			return "!" + name
		}
		return name
	}
	hw, err := open(gpio.RelayConfig{Line: line(cfg.Line, cfg.ActiveLow), Sensor: line(cfg.SensorLine, cfg.SensorActiveLow)})
	if err != nil {
		return nil, nil, fmt.Errorf("kiosk: relay: %w", err)
	}
	r := &doorRelay{hw: hw, clock: clk, pulse: cfg.Pulse.Duration, window: cfg.PassWindow.Duration, log: log}
	if hw.HasSensor() {
		r.memo = newEntryMemo(ledger)
		ledger = r.memo
		ctx, cancel := context.WithCancel(context.Background())
		r.cancel = cancel
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			hw.WatchPassages(ctx, r.passed)
		}()
	}
	return r, ledger, nil
}

// admitted fires the relay for d when it is an admission the ledger holds
// (Seq set only once the check-in is committed): a decision that could not
// be recorded never opens the door, not even under device.fail_open.
func (r *doorRelay) admitted(d door.Decision) {
	if r == nil || !d.Admitted() || d.Seq == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.gen++
	gen := r.gen
	if err := r.hw.Set(true); err != nil {
		// The person was told to go in and the door stays shut: staff must
		// know. The sensor still decides whether they passed.
		r.log.Error("kiosk: relay did not open", "seq", d.Seq, "err", err)
	} else {
		r.log.Debug("kiosk: relay open", "seq", d.Seq)
	}
	r.clock.AfterFunc(r.pulse, func() { r.pulseEnd(gen) })
	if r.memo == nil {
		return
	}
	e, ok := r.memo.take(d.Seq)
	if !ok {
		r.log.Warn("kiosk: relay: admission not in the ledger's memory; no pass window", "seq", d.Seq)
		return
	}
	for i, p := range r.pending {
		if p.entry.CardID != "" && p.entry.CardID == e.CardID {
			p.timer.Stop()
			r.pending = append(r.pending[:i], r.pending[i+1:]...)
			break
		}
	}
	p := &pendingEntry{seq: d.Seq, entry: e}
	p.timer = r.clock.AfterFunc(r.window, func() { r.expire(p) })
	r.pending = append(r.pending, p)
}

func (r *doorRelay) pulseEnd(gen uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if gen != r.gen || r.closed {
		return // a later admission holds the door open longer
	}
	if err := r.hw.Set(false); err != nil {
		r.log.Error("kiosk: relay did not close", "err", err)
	}
}

// passed is the sensor's report of one person through the door.
func (r *doorRelay) passed() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) == 0 {
		r.log.Info("kiosk: relay sensor: a passage with no admission waiting")
		return
	}
	p := r.pending[0]
	p.timer.Stop()
	r.pending = r.pending[1:]
	r.log.Debug("kiosk: relay: passed", "seq", p.seq)
}

// expire records p as not entered: nobody passed within the window.
func (r *doorRelay) expire(p *pendingEntry) {
	r.mu.Lock()
	found := false
	for i, q := range r.pending {
		if q == p {
			r.pending = append(r.pending[:i], r.pending[i+1:]...)
			found = true
			break
		}
	}
	if !found || r.closed {
		r.mu.Unlock()
		return // passed, replaced or shutting down meanwhile
	}
	r.wg.Add(1)
	r.mu.Unlock()
	defer r.wg.Done()
	e := p.entry
	e.At, e.Outcome = r.clock.Now(), door.NotEntered // the admission's reason, card and group stay
	seq, err := r.memo.Ledger.Record(context.Background(), e)
	if err != nil {
		r.log.Error("kiosk: relay: not-entered record failed", "admission", p.seq, "err", err)
		return
	}
	r.log.Info("kiosk: relay: admitted but not entered within the window", "admission", p.seq, "seq", seq)
}

// close stops the sensor, drops the admissions still waiting (a stopping
// kiosk cannot tell whether they passed) and switches the relay off.
func (r *doorRelay) close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	r.closed = true
	for _, p := range r.pending {
		p.timer.Stop()
	}
	if n := len(r.pending); n > 0 {
		r.log.Info("kiosk: relay: stopping with admissions in their pass window", "waiting", n)
	}
	r.pending = nil
	r.mu.Unlock()
	if r.cancel != nil {
		r.cancel()
	}
	r.wg.Wait()
	return r.hw.Close()
}

// simRelay stands in for the relay in simulation: it draws the strike on
// the terminal and has no sensor.
type simRelay struct {
	w  io.Writer
	mu sync.Mutex
}

func (s *simRelay) Set(open bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	state := "locked"
	if open {
		state = "open"
	}
	_, err := fmt.Fprintf(s.w, "relay: door %s\n", state)
	return err
}

func (s *simRelay) HasSensor() bool { return false }

func (s *simRelay) WatchPassages(ctx context.Context, _ func()) { <-ctx.Done() }

func (s *simRelay) Close() error { return s.Set(false) }

// openRelay opens [relay] (the terminal stand-in in simulation) and sets
// k.relay; it returns the ledger the gate must record through.
func (k *Kiosk) openRelay(l door.Ledger) (door.Ledger, error) {
	if !k.cfg.Relay.Enabled {
		return l, nil
	}
	open := relayOpener(openGPIORelay)
	if k.opts.Sim {
		open = func(gpio.RelayConfig) (relayHardware, error) { return &simRelay{w: k.opts.Terminal}, nil }
	}
	r, l, err := newDoorRelay(k.cfg.Relay, open, l, k.clock, k.log)
	if err != nil {
		return nil, err
	}
	k.relay = r
	return l, nil
}
