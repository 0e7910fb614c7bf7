package clock

import (
	"context"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

func recv(c <-chan time.Time) (time.Time, bool) {
	select {
	case v := <-c:
		return v, true
	default:
		return time.Time{}, false
	}
}

func TestFakeTimerFiresAtItsDeadline(t *testing.T) {
	f := NewFake(t0)
	tm := f.NewTimer(time.Second)
	f.Advance(999 * time.Millisecond)
	if _, ok := recv(tm.Chan()); ok {
		t.Fatal("fired early")
	}
	f.Advance(time.Millisecond)
	if v, ok := recv(tm.Chan()); !ok || !v.Equal(t0.Add(time.Second)) {
		t.Fatalf("fired %v %v", v, ok)
	}
	if tm.Stop() {
		t.Fatal("Stop of a fired timer reports active")
	}
	if tm.Reset(time.Second) {
		t.Fatal("Reset of a fired timer reports active")
	}
	if !tm.Stop() {
		t.Fatal("Stop of an armed timer reports inactive")
	}
	f.Advance(time.Hour)
	if _, ok := recv(tm.Chan()); ok {
		t.Fatal("stopped timer fired")
	}
}

func TestFakeTickerDropsUnreadTicks(t *testing.T) {
	f := NewFake(t0)
	tk := f.NewTicker(time.Second)
	f.Advance(3500 * time.Millisecond)
	v, ok := recv(tk.Chan())
	if !ok || !v.Equal(t0.Add(time.Second)) {
		t.Fatalf("first tick %v %v (the channel holds one, like the runtime's)", v, ok)
	}
	if _, ok := recv(tk.Chan()); ok {
		t.Fatal("more than one tick buffered")
	}
	f.Advance(500 * time.Millisecond)
	if v, ok := recv(tk.Chan()); !ok || !v.Equal(t0.Add(4*time.Second)) {
		t.Fatalf("tick at 4 s: %v %v", v, ok)
	}
	tk.Reset(10 * time.Second)
	f.Advance(9 * time.Second)
	if _, ok := recv(tk.Chan()); ok {
		t.Fatal("reset ticker ticked early")
	}
	tk.Stop()
	if f.Waiters() != 0 {
		t.Fatalf("%d waiters after Stop", f.Waiters())
	}
}

func TestFakeOrderAndAfterFunc(t *testing.T) {
	f := NewFake(t0)
	done := make(chan time.Time, 2)
	f.AfterFunc(2*time.Second, func() { done <- f.Now() })
	a := f.NewTimer(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.BlockUntil(ctx, 2); err != nil {
		t.Fatal(err)
	}
	f.Advance(3 * time.Second)
	if v, _ := recv(a.Chan()); !v.Equal(t0.Add(time.Second)) {
		t.Fatalf("timer at %v", v)
	}
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("AfterFunc never ran")
	}
	if !f.Now().Equal(t0.Add(3 * time.Second)) {
		t.Fatalf("now %v", f.Now())
	}
	f.Set(t0) // a step backwards fires nothing
	if f.Waiters() != 0 {
		t.Fatalf("waiters %d", f.Waiters())
	}
}

func TestBlockUntilWaitsForTheWait(t *testing.T) {
	f := NewFake(t0)
	go func() {
		time.Sleep(10 * time.Millisecond) // the code under test, some time later
		f.NewTimer(time.Minute)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

var _ Clock = Real{}
var _ Clock = (*Fake)(nil)

func TestSkewed(t *testing.T) {
	s := NewSkewed(-3 * time.Hour)
	if d := time.Since(s.Now()); d < 3*time.Hour-time.Second || d > 3*time.Hour+time.Second {
		t.Fatalf("skew %v", d)
	}
	s.Set(time.Now().Add(5 * time.Hour))
	if d := time.Until(s.Now()).Round(time.Second); d != 5*time.Hour {
		t.Fatalf("after Set: %v", d)
	}
}
