package gate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/store"
)

// shanghai is the venue's zone in these tests: t0 (09:00 UTC) is 17:00
// there, and its midnight is 16:00 UTC.
var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// withExits rebuilds f's gate on the same store with serial0 as an exit.
func (f *fixture) withExits(t *testing.T, p door.Policy) {
	t.Helper()
	g, err := New(Options{Ledger: f.st, Trust: f.trust, Clock: f.clk, Policy: p, Location: shanghai,
		Exit: func(source string) bool { return source == "serial0" }})
	if err != nil {
		t.Fatal(err)
	}
	f.g = g
}

func (f *fixture) leave(text string) door.Decision {
	return f.g.Decide(context.Background(), door.Code{Text: text, Source: "serial0", SeenAt: f.clk.Now()})
}

// reopen closes the store and opens the file again with a new gate: what
// a restart of the kiosk does.
func (f *fixture) reopen(t *testing.T, p door.Policy) {
	t.Helper()
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(f.dbPath, store.Options{Now: f.clk.Now, BootID: "boot-2",
		SinceBoot: func() (time.Duration, error) { return time.Minute, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	f.withExits(t, p)
}

func recorded(t *testing.T, d door.Decision) {
	t.Helper()
	if d.Seq == 0 {
		t.Fatalf("decision %v/%s not recorded", d.Outcome, d.Reason)
	}
}

// TestCapacity: at capacity a new entry is refused as venue_full (its own
// outcome, recorded), someone already in is not, an exit frees a place, a
// second exit of the same card does not, a restart keeps the count, and
// the venue's midnight (not UTC's) starts a new count.
func TestCapacity(t *testing.T) {
	p := door.Policy{Capacity: 2, DuplicateWindow: 10 * time.Minute}
	f := newFixture(t, p)
	f.withExits(t, p)
	a, _ := f.card(t, f.key)
	b, _ := f.card(t, f.key)
	c, _ := f.card(t, f.key)
	d, _ := f.card(t, f.key)
	check(t, f.decide(a), door.Pass, door.ReasonPass)
	f.clk.Advance(time.Second)
	check(t, f.decide(b), door.Pass, door.ReasonPass)
	f.clk.Advance(time.Second)
	full := f.decide(c)
	check(t, full, door.Full, door.ReasonVenueFull)
	recorded(t, full)
	if full.Admitted() || full.Reason.Device() {
		t.Fatalf("a full venue admitted or blamed the device: %+v", full)
	}
	check(t, f.decide(a), door.AlreadyIn, door.ReasonAlreadyIn)

	f.clk.Advance(time.Second)
	check(t, f.leave(a), door.Exit, door.ReasonExit)
	check(t, f.decide(c), door.Pass, door.ReasonPass)
	f.clk.Advance(time.Second)
	check(t, f.leave(a), door.Exit, door.ReasonAlreadyOut) // shown twice at the exit
	check(t, f.decide(d), door.Full, door.ReasonVenueFull)
	if in, capacity, err := f.g.PeopleIn(context.Background()); err != nil || in != 2 || capacity != 2 {
		t.Fatalf("PeopleIn = %d of %d, %v; want 2 of 2", in, capacity, err)
	}

	f.reopen(t, p)
	check(t, f.decide(d), door.Full, door.ReasonVenueFull)
	check(t, f.leave(b), door.Exit, door.ReasonExit)
	check(t, f.decide(d), door.Pass, door.ReasonPass)

	// 23:59 in Shanghai: still today, still full.
	e, _ := f.card(t, f.key)
	f.clk.Set(time.Date(2026, 11, 25, 15, 59, 0, 0, time.UTC))
	check(t, f.decide(e), door.Full, door.ReasonVenueFull)
	// Midnight there: a new day, a new count.
	f.clk.Set(time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC))
	check(t, f.decide(e), door.Pass, door.ReasonPass)
	if n, err := f.st.PeopleIn(context.Background(), f.clk.Now()); err != nil || n != 1 {
		t.Fatalf("people in after midnight: %d %v", n, err)
	}
}

// TestExit: an exit is never an entry: the duplicate window does not apply
// to it, a card back in after leaving is a new pass, a genuine card with a
// problem still records its exit flagged with the problem, and what
// cannot be a card of ours is refused.
func TestExit(t *testing.T) {
	p := door.Policy{DuplicateWindow: 10 * time.Minute, Categories: []string{"elder"}}
	f := newFixture(t, p)
	revoked, revokedID := f.card(t, f.key)
	f.trust.t = newTrust(t, f.key, []string{revokedID}, t0.Add(-time.Hour))
	f.withExits(t, p)
	text, _ := f.card(t, f.key)
	check(t, f.decide(text), door.Pass, door.ReasonPass)
	out := f.leave(text)
	check(t, out, door.Exit, door.ReasonExit)
	recorded(t, out)
	if out.Admitted() || out.Name != "王*英" {
		t.Fatalf("exit %+v", out)
	}
	check(t, f.decide(text), door.Pass, door.ReasonPass) // back in within the window

	check(t, f.leave(revoked), door.Exit, door.ReasonRevoked)
	check(t, f.leave(first(f.card(t, f.key, func(c *idcode.Claims) { c.Expires = t0.Add(-time.Second) }))), door.Exit, door.ReasonExpired)
	check(t, f.leave(first(f.card(t, f.key, func(c *idcode.Claims) { c.Category = idcode.CategoryStaff }))), door.Exit, door.ReasonExit)
	check(t, f.leave(first(f.card(t, key(9)))), door.Fail, door.ReasonUnknownIssuer)
	check(t, f.leave("https://example.org/menu"), door.Fail, door.ReasonMalformed)

	// Trust data the device cannot use: the exit is still recorded, flagged.
	f.trust.t = nil
	check(t, f.leave(text), door.Exit, door.ReasonTrustStale)
	check(t, f.decide(text), door.Fault, door.ReasonTrustStale)
}

// TestExitWholeKiosk: a kiosk configured as an exit records every source
// as one, in log-only mode too (the code kept only as its keyed hash).
func TestExitWholeKiosk(t *testing.T) {
	p := door.Policy{LogOnly: true, Capacity: 1}
	f := newFixture(t, p)
	g, err := New(Options{Ledger: f.st, Clock: f.clk, Policy: p, Exit: func(string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	entry := f.g
	const code = "MEBKM:TITLE:private-text-4711;;"
	check(t, entry.Decide(context.Background(), door.Code{Text: code, Source: "camera0"}), door.Pass, door.ReasonLogged)
	check(t, entry.Decide(context.Background(), door.Code{Text: "another", Source: "camera0"}), door.Full, door.ReasonVenueFull)
	d := g.Decide(context.Background(), door.Code{Text: code, Source: "camera0"})
	check(t, d, door.Exit, door.ReasonExit)
	if strings.Contains(d.CardID, "4711") {
		t.Fatalf("raw text as card id %q", d.CardID)
	}
	check(t, entry.Decide(context.Background(), door.Code{Text: "another", Source: "camera0"}), door.Pass, door.ReasonLogged)
}

// A count that cannot be read is the device's fault, never a full venue.
func TestCapacityCountFailureIsStorageFault(t *testing.T) {
	p := door.Policy{Capacity: 5}
	f := newFixture(t, p)
	text, _ := f.card(t, f.key)
	f.st.Close()
	check(t, f.decide(text), door.Fault, door.ReasonStorage)
}
