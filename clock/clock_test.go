package clock

import (
	"testing"
	"time"
)

func TestSync(t *testing.T) {
	fc := NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	kernel := false
	s := NewSync(func() bool { return kernel }, fc.Now)
	if s.Synced() {
		t.Fatal("synced before any confirmation")
	}
	if _, ok := s.SinceSync(); ok {
		t.Fatal("SinceSync ok before any confirmation")
	}
	s.MarkSynced()
	fc.Advance(10 * time.Minute)
	if !s.Synced() {
		t.Fatal("not synced 10 min after confirmation")
	}
	if d, ok := s.SinceSync(); !ok || d != 10*time.Minute {
		t.Fatalf("SinceSync = %v %v", d, ok)
	}
	fc.Advance(2 * time.Hour)
	if s.Synced() {
		t.Fatal("still synced 2 h after the last confirmation")
	}
	kernel = true
	if !s.Synced() {
		t.Fatal("kernel synced but Synced false")
	}
	kernel = false
	if !s.Synced() {
		t.Fatal("kernel confirmation did not count as a sync")
	}
}

func TestKernelSyncedDoesNotPanic(t *testing.T) {
	_ = KernelSynced()
}
