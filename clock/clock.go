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

// Clock is the time source of packages with time rules.
type Clock interface {
	Now() time.Time
}

// Real is the system clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Fake is a settable clock for tests. Safe for concurrent use.
type Fake struct {
	mu  sync.Mutex
	now time.Time
}

// NewFake returns a Fake set to t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Set moves the fake clock to t (forwards or backwards, like a clock step).
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.now = t
	f.mu.Unlock()
}

// Advance moves the fake clock forward by d.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

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
