package kiosk

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/drivers/gpio"
	"github.com/scangate/scangate/drivers/gpio/relaytest"
	"github.com/scangate/scangate/gate"
	"github.com/scangate/scangate/store"
)

var relayT0 = time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)

// relayRig is a real store and a real gate (log-only: any code is
// admitted) recording through the relay's ledger, on a fake clock, with
// the fake relay at the hardware edge.
type relayRig struct {
	t     *testing.T
	clock *clock.Fake
	store *store.Store
	gate  *gate.Gate
	hw    *relaytest.Relay
	relay *doorRelay
}

func newRelayRig(t *testing.T, sensor, failOpen bool) *relayRig {
	t.Helper()
	clk := clock.NewFake(relayT0)
	st, err := store.Open(filepath.Join(t.TempDir(), "scangate.db"), store.Options{RetentionDays: 90, Now: clk.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &relayRig{t: t, clock: clk, store: st, hw: relaytest.New(clk, sensor)}
	cfg := config.Relay{Enabled: true, Line: "GPIO23", Pulse: config.Duration{Duration: 3 * time.Second},
		PassWindow: config.Duration{Duration: 10 * time.Second}}
	if sensor {
		cfg.SensorLine = "GPIO24"
	}
	var ledger door.Ledger
	open := func(c gpio.RelayConfig) (relayHardware, error) {
		if c.Line != "GPIO23" || (sensor && c.Sensor != "GPIO24") {
			t.Errorf("relay lines %+v", c)
		}
		return r.hw, nil
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if r.relay, ledger, err = newDoorRelay(cfg, open, st, clk, quiet); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.relay.close() })
	r.gate, err = gate.New(gate.Options{Ledger: ledger, Clock: clk, Logger: quiet,
		Policy: door.Policy{LogOnly: true, FailOpen: failOpen, DuplicateWindow: 10 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// present decides text and hands the decision to the relay, as the
// kiosk's handle does.
func (r *relayRig) present(text string) door.Decision {
	d := r.gate.Decide(context.Background(), door.Code{Text: text, Source: "serial0", SeenAt: r.clock.Now()})
	r.relay.admitted(d)
	return d
}

func (r *relayRig) rows() []store.OutboxRecord {
	r.t.Helper()
	recs, err := r.store.Outbox(context.Background(), 100, 1<<20)
	if err != nil {
		r.t.Fatal(err)
	}
	return recs
}

func (r *relayRig) waitRows(n int) []store.OutboxRecord {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if recs := r.rows(); len(recs) >= n {
			return recs
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d rows, want %d: %+v", len(r.rows()), n, r.rows())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// advance moves the fake clock and lets the timers it fired run.
func (r *relayRig) advance(d time.Duration) {
	r.clock.Advance(d)
	time.Sleep(20 * time.Millisecond) // AfterFunc runs in its own goroutine
}

// The relay opens for an admission the store holds, for the pulse, and a
// second admission within the pulse keeps it open for its own pulse.
func TestRelayPulsesAfterTheCheckinIsStored(t *testing.T) {
	r := newRelayRig(t, false, false)
	d := r.present("card-1")
	if d.Outcome != door.Pass || d.Seq != 1 {
		t.Fatalf("decision %+v", d)
	}
	if !r.hw.IsOpen() {
		t.Fatal("relay not open after a stored admission")
	}
	r.advance(2 * time.Second)
	r.present("card-2") // opens again at +2 s: closes at +5 s, not +3 s
	r.advance(1500 * time.Millisecond)
	if !r.hw.IsOpen() {
		t.Fatal("the first pulse's end closed the door on the second admission")
	}
	r.clock.Advance(1500 * time.Millisecond)
	if !r.hw.WaitOpen(false, 5*time.Second) {
		t.Fatal("relay still open after the pulse")
	}
	lv := r.hw.Levels()
	if len(lv) != 3 || !lv[1].Open || lv[1].At != relayT0 || lv[2].Open || lv[2].At != relayT0.Add(5*time.Second) {
		t.Errorf("levels %+v, want off, open at +0, off at +5s", lv)
	}
	// Without a sensor nothing more is recorded.
	r.advance(time.Minute)
	if n := len(r.rows()); n != 2 {
		t.Errorf("%d rows, want the 2 check-ins", n)
	}
}

// A check-in the store could not take never opens the door: not as a
// fault, and not under fail_open, where the person is admitted unrecorded.
// A refusal never opens it either.
func TestRelayNotFiredWhenTheStoreFails(t *testing.T) {
	for _, failOpen := range []bool{false, true} {
		r := newRelayRig(t, true, failOpen)
		if err := r.store.Close(); err != nil {
			t.Fatal(err)
		}
		d := r.present("card-1")
		want := door.Fault
		if failOpen {
			want = door.Pass
		}
		if d.Outcome != want || d.Seq != 0 {
			t.Fatalf("fail_open=%v: decision %+v", failOpen, d)
		}
		r.advance(time.Minute)
		if lv := r.hw.Levels(); len(lv) != 1 || lv[0].Open {
			t.Errorf("fail_open=%v: relay levels %+v, want only the off at open", failOpen, lv)
		}
	}
	r := newRelayRig(t, true, false)
	r.relay.admitted(door.Decision{Outcome: door.Fail, Reason: door.ReasonRevoked, Seq: 7})
	r.relay.admitted(door.Decision{Outcome: door.Fault, Reason: door.ReasonTrustStale, Seq: 8})
	if r.hw.IsOpen() {
		t.Error("a refusal opened the door")
	}
}

// Nobody passes within the window: a not_entered record repeats the
// admission's card, holder and reason; the admission stays as it was.
func TestRelayNotEnteredIsANewRecord(t *testing.T) {
	r := newRelayRig(t, true, false)
	d := r.present("card-1")
	r.advance(9 * time.Second)
	if n := len(r.rows()); n != 1 {
		t.Fatalf("%d rows before the window ended", n)
	}
	r.clock.Advance(time.Second)
	recs := r.waitRows(2)
	adm, ne := recs[0], recs[1]
	if adm.Seq != d.Seq || adm.Decision != "pass" {
		t.Errorf("admission changed: %+v", adm)
	}
	if ne.Decision != "not_entered" || ne.Reason != string(door.ReasonLogged) || ne.CardID != adm.CardID ||
		ne.Holder != adm.Holder || ne.Source != adm.Source || !ne.At.Equal(relayT0.Add(10*time.Second)) {
		t.Errorf("not-entered record %+v (admission %+v)", ne, adm)
	}
	// A not-entered record does not count as a pass: the card is still
	// "already" within the duplicate window, and the door opens again.
	if d2 := r.present("card-1"); d2.Outcome != door.AlreadyIn || !r.hw.IsOpen() {
		t.Errorf("again: %+v, open %v", d2, r.hw.IsOpen())
	}
}

// Passages match admissions oldest first; a card admitted again replaces
// its own earlier wait; a passage with nobody admitted changes nothing.
func TestRelayPassagesMatchAdmissions(t *testing.T) {
	r := newRelayRig(t, true, false)
	r.hw.Pass() // tailgating, or staff: nobody waiting
	time.Sleep(20 * time.Millisecond)
	r.present("card-1")
	r.advance(time.Second)
	r.present("card-2")
	r.advance(time.Second)
	r.hw.Pass() // card-1 goes through
	time.Sleep(20 * time.Millisecond)
	r.present("card-2") // card-2 shows its card again at +2 s: its wait restarts
	r.advance(9 * time.Second)
	if n := len(r.rows()); n != 3 {
		t.Fatalf("%d rows at +11 s, want the 3 check-ins and no not-entered yet", n)
	}
	r.clock.Advance(time.Second) // +12 s: card-2's second admission ran out
	recs := r.waitRows(4)
	if ne := recs[3]; ne.Decision != "not_entered" || ne.CardID != recs[2].CardID || ne.Reason != string(door.ReasonAlreadyIn) {
		t.Errorf("not-entered %+v, want card-2's second admission", ne)
	}
	r.advance(time.Minute)
	if n := len(r.rows()); n != 4 {
		t.Errorf("%d rows, want 4: card-1 passed, card-2's first wait was replaced", n)
	}
}

// A relay that cannot be driven leaves the door shut and is logged; the
// sensor still tells whether anyone passed.
func TestRelayHardwareFailure(t *testing.T) {
	r := newRelayRig(t, true, false)
	r.hw.FailWith(syscall.EBUSY)
	d := r.present("card-1")
	if d.Outcome != door.Pass || r.hw.IsOpen() {
		t.Fatalf("decision %+v, open %v", d, r.hw.IsOpen())
	}
	r.advance(10 * time.Second)
	if recs := r.waitRows(2); recs[1].Decision != "not_entered" {
		t.Errorf("rows %+v", recs)
	}
	if err := r.relay.close(); err == nil {
		t.Error("close of a failing relay reported nothing")
	}
}
