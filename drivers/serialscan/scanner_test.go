package serialscan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/scangate/scangate/drivers/reopen/reopentest"
)

var quiet = slog.New(slog.DiscardHandler)

func newSim(t *testing.T, cfg Config) *Sim {
	t.Helper()
	cfg.Logger = quiet
	if cfg.ReopenMin == 0 {
		cfg.ReopenMin = 2 * time.Millisecond
		cfg.ReopenMax = 20 * time.Millisecond
	}
	sim, err := NewSimulated(cfg)
	if err != nil {
		t.Fatalf("NewSimulated: %v", err)
	}
	t.Cleanup(func() { sim.Close() })
	waitStatus(t, sim.Scanner, "open", 0)
	return sim
}

// waitStatus polls until the scanner reports status with at least reopens.
func waitStatus(t *testing.T, s *Scanner, status string, reopens uint64) State {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := s.State()
		if st.Status == status && st.Reopens >= reopens {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("state %+v, want %s with %d reopens", st, status, reopens)
		}
		time.Sleep(time.Millisecond)
	}
}

func read(t *testing.T, s *Scanner) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	text, at, err := s.ReadText(ctx)
	if err != nil {
		t.Fatalf("ReadText: %v (state %+v)", err, s.State())
	}
	if time.Since(at) > 10*time.Second || at.After(time.Now()) {
		t.Fatalf("ReadText time %v is not recent", at)
	}
	return text
}

func expectNothing(t *testing.T, s *Scanner, wait time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if text, _, err := s.ReadText(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadText = %q, %v; want no code", text, err)
	}
}

func write(t *testing.T, sim *Sim, s string) {
	t.Helper()
	if _, err := sim.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

func TestPTYFraming(t *testing.T) {
	sim := newSim(t, Config{})
	write(t, sim, "SG1:CR\rSG1:LF\nSG1:CRLF\r\n")
	for _, want := range []string{"SG1:CR", "SG1:LF", "SG1:CRLF"} {
		if got := read(t, sim.Scanner); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	// A code split across writes, with a gap shorter than the timeout.
	write(t, sim, "SG1:SP")
	time.Sleep(20 * time.Millisecond)
	write(t, sim, "LIT\r")
	if got := read(t, sim.Scanner); got != "SG1:SPLIT" {
		t.Fatalf("got %q", got)
	}
	// Garbage is counted, never delivered, and framing carries on.
	write(t, sim, "\xff\xfeBAD\r\x00"+strings.Repeat("L", 5000)+"\rAFTER\r")
	if got := read(t, sim.Scanner); got != "AFTER" {
		t.Fatalf("got %q", got)
	}
	st := sim.State()
	if st.Codes != 5 || st.InvalidUTF8 != 1 || st.Overlong != 1 || st.NULBytes != 1 || st.Status != "open" {
		t.Fatalf("state %+v", st)
	}
	if !strings.HasPrefix(st.Device, "/dev/pts/") || st.Path != sim.Path() {
		t.Fatalf("device %q path %q", st.Device, st.Path)
	}
}

func TestPTYSuffixAndPrefix(t *testing.T) {
	sim := newSim(t, Config{Suffix: "\x03", Prefix: "\x02"})
	write(t, sim, "\x02SG1:A\r\nB\x03\x02SG1:C\x03")
	for _, want := range []string{"SG1:A\r\nB", "SG1:C"} {
		if got := read(t, sim.Scanner); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	if err := sim.Type("TYPED"); err != nil {
		t.Fatal(err)
	}
	if got := read(t, sim.Scanner); got != "TYPED" {
		t.Fatalf("Type with suffix: got %q", got)
	}
}

func TestPTYPartialFlush(t *testing.T) {
	sim := newSim(t, Config{CharTimeout: 30 * time.Millisecond})
	write(t, sim, "NOSUFFIX")
	if got := read(t, sim.Scanner); got != "NOSUFFIX" {
		t.Fatalf("got %q", got)
	}
	if st := sim.State(); st.PartialFlushed != 1 {
		t.Fatalf("state %+v", st)
	}
}

func TestPTYPartialDiscard(t *testing.T) {
	sim := newSim(t, Config{CharTimeout: 30 * time.Millisecond, DiscardPartial: true})
	write(t, sim, "NOSUFFIX")
	expectNothing(t, sim.Scanner, 100*time.Millisecond)
	write(t, sim, "WHOLE\r")
	if got := read(t, sim.Scanner); got != "WHOLE" {
		t.Fatalf("got %q", got)
	}
	if st := sim.State(); st.PartialDiscarded != 1 || st.Codes != 1 {
		t.Fatalf("state %+v", st)
	}
}

func TestPTYModes(t *testing.T) {
	// termios on a pty accepts any line settings; this proves Open passes
	// them to go.bug.st/serial without complaint.
	for _, cfg := range []Config{
		{Baud: 115200, Parity: "even", StopBits: 2, DataBits: 7},
		{Baud: 9600, Parity: "odd"},
		{Baud: 57600, Parity: "none", DataBits: 8},
	} {
		sim := newSim(t, cfg)
		if err := sim.Type("SG1:OK"); err != nil {
			t.Fatal(err)
		}
		if got := read(t, sim.Scanner); got != "SG1:OK" {
			t.Fatalf("%+v: got %q", cfg, got)
		}
		sim.Close()
	}
	for _, cfg := range []Config{
		{Path: "/dev/null", Parity: "sometimes"},
		{Path: "/dev/null", StopBits: 3},
		{Path: "/dev/null", DataBits: 9},
		{Path: "/dev/null", Suffix: "\x00"},
		{},
	} {
		if s, err := Open(cfg); err == nil {
			s.Close()
			t.Errorf("Open(%+v) accepted", cfg)
		}
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

func TestMissingDeviceWaits(t *testing.T) {
	link := t.TempDir() + "/scanner"
	s, err := Open(Config{Path: link, Logger: quiet, ReopenMin: time.Millisecond, ReopenMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for s.State().LastError == "" {
		time.Sleep(time.Millisecond)
	}
	if st := s.State(); st.Status != "disconnected" || !strings.Contains(st.LastError, "no such file") {
		t.Fatalf("state %+v", st)
	}
	// The device appears later, as a by-id link does after udev runs.
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer slave.Close()
	if err := makeRaw(slave); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(slave.Name(), link); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "open", 0)
	if _, err := master.Write([]byte("LATE\r")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s); got != "LATE" {
		t.Fatalf("got %q", got)
	}
}

func TestReplug(t *testing.T) {
	sim := newSim(t, Config{})
	checkLeaks := reopentest.Leaks(t)
	const cycles = 100
	for i := range cycles {
		write(t, sim, "HALF") // lost with the device: never a code
		if err := sim.Unplug(); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, sim.Scanner, "disconnected", uint64(i))
		if err := sim.Replug(); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, sim.Scanner, "open", uint64(i+1))
		if err := sim.Type("SG1:AFTER"); err != nil {
			t.Fatal(err)
		}
		if got := read(t, sim.Scanner); got != "SG1:AFTER" {
			t.Fatalf("cycle %d: got %q", i, got)
		}
	}
	st := sim.State()
	if st.Reopens != cycles || st.Codes != cycles || st.LastError == "" {
		t.Fatalf("state %+v", st)
	}
	checkLeaks(fmt.Sprintf("after %d replugs", cycles))
}

func TestSuffixFor(t *testing.T) {
	for in, want := range map[string]string{"any": "", "": "", "cr": "\r", "lf": "\n", "crlf": "\r\n", "#END": "#END"} {
		if got := SuffixFor(in); got != want {
			t.Errorf("SuffixFor(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkPTYRoundTrip measures one code from the master's write to
// ReadText's return through the tty layer and the reader goroutine.
func BenchmarkPTYRoundTrip(b *testing.B) {
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
