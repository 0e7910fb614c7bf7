// Package clock gives the kiosk injectable time and an answer to "can the
// wall clock be trusted?".
//
// A Raspberry Pi has no RTC: it boots at the last saved time (or 1970) and
// only NTP, chrony or the collector's server time make the clock right.
// Every time rule in the gate is tested against Fake, as tailscale's tstime
// habit has it; Real reads the kernel.
package clock

import (
	"sync"
	"time"
)

// Clock is the one time source of scangate: wall time and the timers and
// tickers that wait on it (the shape of tailscale's tstime.Clock). The
// gate's time rules, the display's patterns, the scanner's debounce and
// retries, the uplink's backoff and the kiosk's housekeeping all take one,
// so tests drive them with Fake instead of sleeping.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
	NewTicker(d time.Duration) Ticker
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a time.Timer behind an interface.
type Timer interface {
	Chan() <-chan time.Time // nil for AfterFunc timers
	Stop() bool
	Reset(d time.Duration) bool
}

// Ticker is a time.Ticker behind an interface.
type Ticker interface {
	Chan() <-chan time.Time
	Stop()
	Reset(d time.Duration)
}

// Real is the system clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// NewTimer is time.NewTimer.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

// NewTicker is time.NewTicker.
func (Real) NewTicker(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }

// AfterFunc is time.AfterFunc.
func (Real) AfterFunc(d time.Duration, f func()) Timer { return realTimer{time.AfterFunc(d, f)} }

type realTimer struct{ *time.Timer }

func (t realTimer) Chan() <-chan time.Time { return t.C }

type realTicker struct{ *time.Ticker }

func (t realTicker) Chan() <-chan time.Time { return t.C }

// Sync tracks whether the wall clock is synchronised: by the kernel's NTP
// state (chrony or timesyncd) or by a trusted server time seen by the uplink.
type Sync struct {
	mu       sync.Mutex
	kernel   func() bool // kernel NTP discipline says synced
	lastSync time.Time   // monotonic-bearing time of the last confirmation
	now      func() time.Time
}

// NewSync returns a Sync that asks the kernel (adjtimex) unless kernel is
// given; tests pass their own.
func NewSync(kernel func() bool, now func() time.Time) *Sync {
	if kernel == nil {
		kernel = KernelSynced
	}
	if now == nil {
		now = time.Now
	}
	return &Sync{kernel: kernel, now: now}
}

// MarkSynced records that the wall clock was just confirmed against a
// trusted source (the collector's signed server time).
func (s *Sync) MarkSynced() {
	s.mu.Lock()
	s.lastSync = s.now()
	s.mu.Unlock()
}

// Synced reports whether the clock is synchronised now.
func (s *Sync) Synced() bool {
	if s.kernel() {
		s.mu.Lock()
		s.lastSync = s.now()
		s.mu.Unlock()
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.lastSync.IsZero() && s.now().Sub(s.lastSync) < time.Hour
}

// SinceSync is how long ago the clock was last confirmed; ok is false when
// it never was since start.
func (s *Sync) SinceSync() (d time.Duration, ok bool) {
	if s.kernel() {
		return 0, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastSync.IsZero() {
		return 0, false
	}
	return s.now().Sub(s.lastSync), true
}
