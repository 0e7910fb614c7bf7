package clock

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Fake is a clock for tests: time moves only when the test says so, and
// timers, tickers and AfterFunc calls fire as Advance passes their
// deadlines, in deadline order. Channels hold one value, as the runtime's
// do: a tick nobody reads is dropped. Safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*fakeTimer
	changed chan struct{} // closed and replaced whenever waiters change
}

// NewFake returns a Fake set to t.
func NewFake(t time.Time) *Fake { return &Fake{now: t, changed: make(chan struct{})} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Set moves the fake clock to t, like a clock step; timers due by then fire.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	d := t.Sub(f.now)
	f.mu.Unlock()
	if d < 0 {
		f.mu.Lock()
		f.now = t // backwards: nothing fires, deadlines stay where they are
		f.mu.Unlock()
		return
	}
	f.Advance(d)
}

// Advance moves the fake clock forward by d, firing what falls due.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	end := f.now.Add(d)
	for {
		sort.SliceStable(f.waiters, func(i, j int) bool { return f.waiters[i].when.Before(f.waiters[j].when) })
		if len(f.waiters) == 0 || f.waiters[0].when.After(end) {
			break
		}
		w := f.waiters[0]
		f.now = w.when
		if w.period > 0 {
			w.when = w.when.Add(w.period)
		} else {
			f.remove(w)
		}
		w.fire(f.now)
	}
	f.now = end
	f.mu.Unlock()
}

// Waiters is how many timers and tickers are armed.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

// BlockUntil waits until at least n timers and tickers are armed (the code
// under test reached its wait), or ctx ends.
func (f *Fake) BlockUntil(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		got, ch := len(f.waiters), f.changed
		f.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// NewTimer returns a timer that fires when the fake time reaches now+d.
func (f *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{f: f, c: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// NewTicker returns a ticker with period d.
func (f *Fake) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive interval for NewTicker")
	}
	t := &fakeTimer{f: f, c: make(chan time.Time, 1)}
	t.reset(d, d)
	return fakeTicker{t}
}

// AfterFunc calls fn in its own goroutine when the fake time reaches now+d.
func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	t := &fakeTimer{f: f, fn: fn}
	t.Reset(d)
	return t
}

func (f *Fake) remove(w *fakeTimer) bool {
	for i, x := range f.waiters {
		if x == w {
			f.waiters = append(f.waiters[:i], f.waiters[i+1:]...)
			f.signal()
			return true
		}
	}
	return false
}

func (f *Fake) signal() {
	close(f.changed)
	f.changed = make(chan struct{})
}

type fakeTimer struct {
	f      *Fake
	c      chan time.Time
	fn     func()
	period time.Duration
	when   time.Time
}

func (t *fakeTimer) fire(now time.Time) {
	if t.fn != nil {
		go t.fn()
		return
	}
	select {
	case t.c <- now:
	default:
	}
}

func (t *fakeTimer) Chan() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	return t.f.remove(t)
}

func (t *fakeTimer) Reset(d time.Duration) bool { return t.reset(d, t.period) }

func (t *fakeTimer) reset(d, period time.Duration) bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	t.period = period
	active := t.f.remove(t)
	t.when = t.f.now.Add(d)
	if d <= 0 && t.period == 0 {
		t.fire(t.f.now)
		return active
	}
	t.f.waiters = append(t.f.waiters, t)
	t.f.signal()
	return active
}

type fakeTicker struct{ t *fakeTimer }

func (k fakeTicker) Chan() <-chan time.Time { return k.t.c }
func (k fakeTicker) Stop()                  { k.t.Stop() }
func (k fakeTicker) Reset(d time.Duration)  { k.t.reset(d, d) }
