package hidscan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/drivers/reopen/reopentest"

	"golang.org/x/sys/unix"
)

var quiet = slog.New(slog.DiscardHandler)

func newSim(t *testing.T, cfg Config) *Sim {
	t.Helper()
	cfg.Logger = quiet
	if cfg.ReopenMin == 0 {
		cfg.ReopenMin, cfg.ReopenMax = 2*time.Millisecond, 20*time.Millisecond
	}
	sim, err := NewSimulated(cfg)
	if err != nil {
		t.Fatalf("NewSimulated: %v", err)
	}
	t.Cleanup(func() { sim.Close() })
	waitState(t, sim.Scanner, func(st State) bool { return st.Status == "open" })
	return sim
}

func waitState(t *testing.T, s *Scanner, ok func(State) bool) State {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := s.State()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("state %+v never matched", st)
		}
		time.Sleep(time.Millisecond)
	}
}

func read(t *testing.T, s *Scanner) (string, time.Time) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	text, at, err := s.ReadText(ctx)
	if err != nil {
		t.Fatalf("ReadText: %v (state %+v)", err, s.State())
	}
	return text, at
}

func TestSimTypes(t *testing.T) {
	sim := newSim(t, Config{})
	for _, want := range []string{"SG1:ABC $%*+-./:09", "second code"} {
		if err := sim.Type(want); err != nil {
			t.Fatal(err)
		}
		before := time.Now()
		got, at := read(t, sim.Scanner)
		if got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		if at.After(time.Now()) || before.Sub(at) > 5*time.Second {
			t.Fatalf("code time %v not mapped to local time (now %v)", at, before)
		}
	}
	if err := sim.Type("张"); err == nil {
		t.Fatal("typed a character no US key has")
	}
	if st := sim.State(); st.Codes != 2 || st.Device == "" || st.Path != sim.Path() {
		t.Fatalf("state %+v", st)
	}
}

func TestMissingEnterTimesOut(t *testing.T) {
	sim := newSim(t, Config{Timeout: 40 * time.Millisecond})
	b, err := KeyEvents(nil, "NOENTER", time.Now(), NativeLayout)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := sim.Write(b); err != nil {
		t.Fatal(err)
	}
	got, at := read(t, sim.Scanner)
	if got != "NOENTER" {
		t.Fatalf("got %q", got)
	}
	// The code ends Timeout after its last key, in local time.
	if at.Before(start) || at.After(time.Now()) {
		t.Fatalf("code at %v, written at %v", at, start)
	}
	if st := sim.State(); st.PartialFlushed != 1 {
		t.Fatalf("state %+v", st)
	}
}

func TestRecordedStreamThroughDevice(t *testing.T) {
	// A recording written in pieces that cut records in half still decodes:
	// a pipe, unlike evdev, may split a record.
	sim := newSim(t, Config{})
	rc := recordings()[0]
	b := rc.rec.bytes(NativeLayout)
	for len(b) > 0 {
		n := min(len(b), 37)
		if _, err := sim.Write(b[:n]); err != nil {
			t.Fatal(err)
		}
		b = b[n:]
	}
	if got, _ := read(t, sim.Scanner); got != rc.want[0] {
		t.Fatalf("got %q, want %q", got, rc.want[0])
	}
}

func TestReadTextHonoursContextAndClose(t *testing.T) {
	sim := newSim(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if _, _, err := sim.ReadText(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadText after cancel: %v", err)
	}
	go func() { time.Sleep(20 * time.Millisecond); sim.Scanner.Close() }()
	if _, _, err := sim.ReadText(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("ReadText after Close: %v", err)
	}
	if st := sim.State(); st.Status != "closed" {
		t.Fatalf("state %+v", st)
	}
}

func TestGrabFailsOnNonDevice(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "event0")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	s, err := Open(Config{Path: fifo, Logger: quiet, ReopenMin: time.Millisecond, ReopenMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st := waitState(t, s, func(st State) bool { return st.LastError != "" })
	if st.Status != "disconnected" || !strings.Contains(st.LastError, "not an evdev device") {
		t.Fatalf("state %+v", st)
	}
}

func TestNameNotFound(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "event3"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(Config{Name: "Barcode", InputDir: dir, Logger: quiet, ReopenMin: time.Millisecond, ReopenMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st := waitState(t, s, func(st State) bool { return st.LastError != "" })
	if st.Status != "disconnected" || st.Path != "name:Barcode" || !strings.Contains(st.LastError, `no keyboard named "Barcode"`) {
		t.Fatalf("state %+v", st)
	}
	if _, err := Open(Config{}); err == nil {
		t.Fatal("Open without path or name accepted")
	}
	if _, err := Open(Config{Path: "/x", Layout: 20}); err == nil {
		t.Fatal("Open with a bad layout accepted")
	}
}

func TestReplug(t *testing.T) {
	sim := newSim(t, Config{})
	checkLeaks := reopentest.Leaks(t)
	const cycles = 100
	half, err := KeyEvents(nil, "HALF", time.Now(), NativeLayout)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cycles {
		if _, err := sim.Write(half); err != nil { // lost with the device
			t.Fatal(err)
		}
		if err := sim.Unplug(); err != nil {
			t.Fatal(err)
		}
		waitState(t, sim.Scanner, func(st State) bool { return st.Status == "disconnected" })
		if err := sim.Replug(); err != nil {
			t.Fatal(err)
		}
		waitState(t, sim.Scanner, func(st State) bool { return st.Status == "open" && st.Reopens == uint64(i+1) })
		if err := sim.Type("SG1:AFTER"); err != nil {
			t.Fatal(err)
		}
		if got, _ := read(t, sim.Scanner); got != "SG1:AFTER" {
			t.Fatalf("cycle %d: got %q", i, got)
		}
	}
	st := sim.State()
	if st.Reopens != cycles || st.Codes != cycles || st.LastError == "" {
		t.Fatalf("state %+v", st)
	}
	checkLeaks(fmt.Sprintf("after %d replugs", cycles))
}

// BenchmarkFIFORoundTrip measures one typed code from the write of its key
// records to ReadText's return.
func BenchmarkFIFORoundTrip(b *testing.B) {
	sim, err := NewSimulated(Config{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	ctx := context.Background()
	for b.Loop() {
		if err := sim.Type("SG1:6BFOXN*TS0BI$ZD.2K5L-9:QO8B+M"); err != nil {
			b.Fatal(err)
		}
		if _, _, err := sim.ReadText(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
