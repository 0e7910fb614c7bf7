package clock

import (
	"sync"
	"time"
)

// Skewed is the real clock with its wall time off by a settable amount:
// a device whose clock is wrong (a Pi that booted at its last saved time)
// and that gets stepped. Its timers run on real monotonic time, as they do
// on such a device; tests of clock correction use it where a Fake would
// also freeze the waits they depend on.
type Skewed struct {
	mu  sync.Mutex
	off time.Duration
}

// NewSkewed returns the real clock off by off.
func NewSkewed(off time.Duration) *Skewed { return &Skewed{off: off} }

// Now is the real time plus the skew. It keeps the monotonic reading, so
// durations between readings are unaffected by a later Set, as on a real
// device whose clock is stepped.
func (s *Skewed) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.off)
}

// Set steps the wall clock to t.
func (s *Skewed) Set(t time.Time) {
	s.mu.Lock()
	s.off = time.Until(t)
	s.mu.Unlock()
}

// NewTimer is time.NewTimer.
func (s *Skewed) NewTimer(d time.Duration) Timer { return Real{}.NewTimer(d) }

// NewTicker is time.NewTicker.
func (s *Skewed) NewTicker(d time.Duration) Ticker { return Real{}.NewTicker(d) }

// AfterFunc is time.AfterFunc.
func (s *Skewed) AfterFunc(d time.Duration, f func()) Timer { return Real{}.AfterFunc(d, f) }

var _ Clock = (*Skewed)(nil)
