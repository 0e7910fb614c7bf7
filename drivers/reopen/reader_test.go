package reopen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scangate/scangate/drivers/reopen/reopentest"

	"golang.org/x/sys/unix"
)

var quiet = slog.New(slog.DiscardHandler)

var errTestClosed = errors.New("test: closed")

// attachFIFO plugs in a FIFO: a pipe with a path, so the Reader opens it by
// name as it opens a device node.
func attachFIFO(gen *int) Attach {
	return func(dir string) (string, io.WriteCloser, error) {
		*gen++
		fifo := filepath.Join(dir, fmt.Sprintf("dev%d", *gen))
		if err := unix.Mkfifo(fifo, 0o600); err != nil {
			return "", nil, err
		}
		os.Remove(filepath.Join(dir, fmt.Sprintf("dev%d", *gen-1)))
		w, err := os.OpenFile(fifo, os.O_RDWR, 0)
		if err != nil {
			return "", nil, err
		}
		return fifo, w, nil
	}
}

func newPlug(t *testing.T) *Plug {
	t.Helper()
	var gen int
	p, err := NewPlug("test: device", "reopen-test-", "dev", attachFIFO(&gen))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Remove() })
	return p
}

// openPath opens path as the drivers open a device node: non-blocking, so
// Close interrupts a pending Read.
func openPath(path string) func() (*os.File, string, error) {
	return func() (*os.File, string, error) {
		node, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, "", err
		}
		f, err := os.OpenFile(node, os.O_RDONLY|unix.O_NONBLOCK, 0)
		return f, node, err
	}
}

// readLines emits each line; a FIFO reads end of file once its writer is
// gone, which the Reader must treat as a disconnect.
func readLines(f *os.File, emit func(string, time.Time)) error {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		emit(sc.Text(), time.Now())
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.EOF
}

func start(t *testing.T, path string) *Reader[*os.File] {
	t.Helper()
	r := Start(Config[*os.File]{
		Open: openPath(path), Read: readLines, What: "test device", ErrClosed: errTestClosed,
		ReopenMin: time.Millisecond, ReopenMax: 5 * time.Millisecond, Logger: quiet,
	})
	t.Cleanup(func() { r.Close() })
	return r
}

func waitState[D io.Closer](t *testing.T, r *Reader[D], ok func(State) bool) State {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := r.State()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("state %+v never matched", st)
		}
		time.Sleep(time.Millisecond)
	}
}

func readText[D io.Closer](t *testing.T, r *Reader[D]) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	text, _, err := r.ReadText(ctx)
	if err != nil {
		t.Fatalf("ReadText: %v (state %+v)", err, r.State())
	}
	return text
}

func write(t *testing.T, p *Plug, s string) {
	t.Helper()
	if _, err := p.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

func TestUnplugAndReappear(t *testing.T) {
	p := newPlug(t)
	r := start(t, p.Path())
	st := waitState(t, r, func(st State) bool { return st.Status == "open" })
	first := st.Device
	if !strings.HasPrefix(first, filepath.Dir(p.Path())) || st.Reopens != 0 {
		t.Fatalf("state %+v", st)
	}
	write(t, p, "ONE\n")
	if got := readText(t, r); got != "ONE" {
		t.Fatalf("got %q", got)
	}
	if err := p.Unplug(); err != nil {
		t.Fatal(err)
	}
	// The read ends in EOF; then opening fails, and that error is the last.
	waitState(t, r, func(st State) bool { return strings.Contains(st.LastError, "no such file") })
	if err := p.Replug(); err != nil {
		t.Fatal(err)
	}
	st = waitState(t, r, func(st State) bool { return st.Status == "open" })
	if st.Reopens != 1 || st.Device == first {
		t.Fatalf("state %+v after replug, first device %s", st, first)
	}
	write(t, p, "TWO\n")
	if got := readText(t, r); got != "TWO" {
		t.Fatalf("got %q", got)
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	p := newPlug(t)
	r := start(t, p.Path())
	waitState(t, r, func(st State) bool { return st.Status == "open" })
	got := make(chan error, 1)
	go func() {
		_, _, err := r.ReadText(context.Background())
		got <- err
	}()
	// The reader goroutine is blocked in Read on a FIFO nobody writes.
	closed := make(chan error, 1)
	go func() { closed <- r.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not unblock the pending read")
	}
	if err := <-got; !errors.Is(err, errTestClosed) {
		t.Fatalf("ReadText after Close: %v", err)
	}
	if st := r.State(); st.Status != "closed" {
		t.Fatalf("state %+v", st)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// The device is closed and the reader is gone: status stays closed.
	write(t, p, "LATE\n")
	if err := p.Unplug(); err != nil {
		t.Fatal(err)
	}
	if st := r.State(); st.Status != "closed" {
		t.Fatalf("state %+v", st)
	}
}

// fakeDevice counts its Close calls.
type fakeDevice struct{ closes atomic.Int32 }

func (d *fakeDevice) Close() error { d.closes.Add(1); return nil }

func TestCloseWhileOpening(t *testing.T) {
	opening, release := make(chan struct{}), make(chan struct{})
	dev := &fakeDevice{}
	r := Start(Config[*fakeDevice]{
		Open: func() (*fakeDevice, string, error) {
			close(opening)
			<-release
			return dev, "fake", nil
		},
		Read: func(*fakeDevice, func(string, time.Time)) error {
			t.Error("read a device opened after Close")
			return nil
		},
		Logger: quiet,
	})
	<-opening
	closed := make(chan error, 1)
	go func() { closed <- r.Close() }()
	waitState(t, r, func(st State) bool { return st.Status == "closed" })
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if n := dev.closes.Load(); n != 1 {
		t.Fatalf("device opened during Close was closed %d times, want 1", n)
	}
	if _, _, err := r.ReadText(context.Background()); err == nil {
		t.Fatal("ReadText after Close returned a code")
	}
}

func TestCloseWhileEmitBlocks(t *testing.T) {
	// Nobody calls ReadText: the queue fills and emit blocks, yet Close
	// returns.
	dev := &fakeDevice{}
	emitted := make(chan struct{}, 100)
	r := Start(Config[*fakeDevice]{
		Open: func() (*fakeDevice, string, error) { return dev, "fake", nil },
		Read: func(_ *fakeDevice, emit func(string, time.Time)) error {
			for range 100 {
				emit("X", time.Now())
				emitted <- struct{}{}
			}
			return errors.New("emitted all")
		},
		Logger: quiet,
	})
	for range 16 { // the queue is full: the next emit blocks
		<-emitted
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if n := dev.closes.Load(); n < 1 {
		t.Fatal("device not closed")
	}
}

func TestShortLivedOpenBacksOff(t *testing.T) {
	const min, max = 20 * time.Millisecond, 40 * time.Millisecond
	var mu sync.Mutex
	var opens []time.Time
	r := Start(Config[*fakeDevice]{
		Open: func() (*fakeDevice, string, error) {
			mu.Lock()
			defer mu.Unlock()
			opens = append(opens, time.Now())
			return &fakeDevice{}, "fake", nil
		},
		// Fails at once, as a device that is there but broken does.
		Read:      func(*fakeDevice, func(string, time.Time)) error { return errors.New("broken") },
		ReopenMin: min, ReopenMax: max, Logger: quiet,
	})
	st := waitState(t, r, func(st State) bool { return st.Reopens >= 4 })
	r.Close()
	if st.LastError != "broken" {
		t.Fatalf("state %+v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	// A timer never fires early, so each gap is at least the backoff's
	// smallest randomized interval: no busy loop.
	for i := 1; i < len(opens); i++ {
		if gap := opens[i].Sub(opens[i-1]); gap < min*8/10 {
			t.Fatalf("reopen %d after %v, want at least %v", i, gap, min*8/10)
		}
	}
}

func TestNoLeakOverReplugs(t *testing.T) {
	p := newPlug(t)
	r := start(t, p.Path())
	waitState(t, r, func(st State) bool { return st.Status == "open" })
	checkLeaks := reopentest.Leaks(t)
	const cycles = 100
	for i := range cycles {
		write(t, p, fmt.Sprintf("C%d\n", i))
		if got, want := readText(t, r), fmt.Sprintf("C%d", i); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		if err := p.Unplug(); err != nil {
			t.Fatal(err)
		}
		waitState(t, r, func(st State) bool { return st.Status == "disconnected" })
		if err := p.Replug(); err != nil {
			t.Fatal(err)
		}
		waitState(t, r, func(st State) bool { return st.Status == "open" && st.Reopens == uint64(i+1) })
	}
	checkLeaks(fmt.Sprintf("after %d replugs", cycles))
}

func TestPlugStates(t *testing.T) {
	p := newPlug(t)
	if err := p.Replug(); err == nil || err.Error() != "test: device already plugged in" {
		t.Fatalf("Replug while plugged: %v", err)
	}
	if err := p.Unplug(); err != nil {
		t.Fatal(err)
	}
	if err := p.Unplug(); err != nil {
		t.Fatalf("second Unplug: %v", err)
	}
	if _, err := os.Lstat(p.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("link after Unplug: %v", err)
	}
	if _, err := p.Write([]byte("x")); err == nil || err.Error() != "test: device unplugged" {
		t.Fatalf("Write while unplugged: %v", err)
	}
	if err := p.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(p.Path())); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("directory after Remove: %v", err)
	}
	failed := errors.New("no device")
	if _, err := NewPlug("test: device", "reopen-test-", "dev", func(string) (string, io.WriteCloser, error) {
		return "", nil, failed
	}); !errors.Is(err, failed) {
		t.Fatalf("NewPlug with a failing attach: %v", err)
	}
}
