package hidscan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/scangate/scangate/drivers/reopen"
)

// ErrClosed is returned by ReadText after Close.
var ErrClosed = errors.New("hidscan: scanner closed")

// Config describes one keyboard-wedge scanner. Set Path or Name.
type Config struct {
	Path      string        // /dev/input/by-id/usb-...-event-kbd (preferred) or /dev/input/eventN
	Name      string        // else: the first keyboard whose evdev name contains Name
	InputDir  string        // where to look for Name; "" means /dev/input
	NoGrab    bool          // do not take the device exclusively (pipes in tests)
	Timeout   time.Duration // gap that ends a code without Enter; 0 means 150 ms, <0 never
	MaxLine   int           // 0 means 4096
	Layout    Layout        // record size; 0 means NativeLayout
	ReopenMin time.Duration // first wait before reopening; 0 means 100 ms
	ReopenMax time.Duration // longest wait between attempts; 0 means 2 s
	Logger    *slog.Logger  // nil means slog.Default()
}

// State is a snapshot for `scangate status`.
type State struct {
	Status         string // "open", "disconnected" or "closed"
	Path           string // configured path, or "name:<Name>"
	Device         string // the event node last opened
	DeviceName     string // its evdev name
	Codes          uint64
	PartialFlushed uint64 // codes ended by the timeout, not Enter
	UnknownKeys    uint64
	DroppedLines   uint64
	Overlong       uint64
	SynDropped     uint64
	BadBytes       uint64 // trailing bytes that were not a whole record
	Reopens        uint64
	LastError      string
	Since          time.Time
}

// Scanner reads codes from an evdev keyboard and survives it going away.
type Scanner struct {
	cfg Config
	dec *Decoder // the reader goroutine's alone
	r   *reopen.Reader[*os.File]

	mu     sync.Mutex
	counts State // Path, DeviceName and the decoder's counters; r holds the rest
}

// Open validates cfg and starts reading. A missing device is not an error:
// the scanner reports "disconnected" until it appears.
func Open(cfg Config) (*Scanner, error) {
	if cfg.Path == "" && cfg.Name == "" {
		return nil, errors.New("hidscan: neither device path nor name configured")
	}
	if cfg.Layout == 0 {
		cfg.Layout = NativeLayout
	}
	if cfg.Layout != Layout64 && cfg.Layout != Layout32 {
		return nil, fmt.Errorf("hidscan: invalid event layout %d", cfg.Layout)
	}
	if cfg.InputDir == "" {
		cfg.InputDir = "/dev/input"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	path := cfg.Path
	if path == "" {
		path = "name:" + cfg.Name
	}
	s := &Scanner{
		cfg:    cfg,
		dec:    NewDecoder(DecoderConfig{Timeout: cfg.Timeout, MaxLine: cfg.MaxLine}),
		counts: State{Path: path},
	}
	s.r = reopen.Start(reopen.Config[*os.File]{
		Open:      s.open,
		Read:      s.readDevice,
		What:      "hid scanner",
		ErrClosed: ErrClosed,
		ReopenMin: cfg.ReopenMin,
		ReopenMax: cfg.ReopenMax,
		Logger:    log.With("scanner", "hid", "path", path),
	})
	return s, nil
}

// ReadText blocks until one complete code has been typed, ctx is done or the
// scanner is closed. at is when the code ended.
func (s *Scanner) ReadText(ctx context.Context) (text string, at time.Time, err error) {
	return s.r.ReadText(ctx)
}

// State returns a snapshot of the scanner's condition and counters.
func (s *Scanner) State() State {
	rs := s.r.State()
	s.mu.Lock()
	st := s.counts
	s.mu.Unlock()
	st.Status, st.Device, st.Reopens, st.LastError, st.Since = rs.Status, rs.Device, rs.Reopens, rs.LastError, rs.Since
	return st
}

// Close stops reading, releases the grab and the device, and waits for the
// reader to exit.
func (s *Scanner) Close() error { return s.r.Close() }

func (s *Scanner) open() (*os.File, string, error) {
	path := s.cfg.Path
	if path == "" {
		p, err := findByName(s.cfg.InputDir, s.cfg.Name)
		if err != nil {
			return nil, "", err
		}
		path = p
	}
	dev, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, "", fmt.Errorf("hidscan: resolve %s: %w", path, err)
	}
	// Non-blocking: Go's poller then serves read deadlines and Close
	// interrupts a pending Read; a FIFO opens without waiting for a writer.
	f, err := os.OpenFile(dev, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, "", fmt.Errorf("hidscan: open %s: %w", dev, err)
	}
	name, err := prepare(f, !s.cfg.NoGrab)
	if err != nil {
		f.Close()
		return nil, "", err
	}
	s.mu.Lock()
	s.counts.DeviceName = name
	s.mu.Unlock()
	return f, dev, nil
}

// syncStats publishes the decoder's counters.
func (s *Scanner) syncStats() {
	st := s.dec.Stats()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts.Codes = st.Codes
	s.counts.PartialFlushed = st.PartialFlushed
	s.counts.UnknownKeys = st.UnknownKeys
	s.counts.DroppedLines = st.DroppedLines
	s.counts.Overlong = st.Overlong
	s.counts.SynDropped = st.SynDropped
}

// readDevice feeds the decoder until the device fails or is closed.
//
// Event timestamps come from the kernel's clock (monotonic on a real device,
// anything at all from a pipe), so the decoder's deadlines live in event
// time. lastEv and lastRead tie that to the local clock: event time t happens
// at lastRead + (t - lastEv).
func (s *Scanner) readDevice(f *os.File, emit func(text string, at time.Time)) error {
	dec := s.dec
	size := s.cfg.Layout.Size()
	buf := make([]byte, 64*size)
	have := 0
	var lastEv, lastRead time.Time
	local := func(t time.Time) time.Time { return lastRead.Add(t.Sub(lastEv)) }
	emitCode := func(text []byte, at time.Time) {
		s.syncStats() // counted before the reader can see the code
		emit(string(text), local(at))
	}
	for {
		var deadline time.Time
		if dl, ok := dec.Deadline(); ok {
			deadline = local(dl)
		}
		// A regular file has no deadlines; it ends in EOF anyway.
		_ = f.SetReadDeadline(deadline)
		n, err := f.Read(buf[have:])
		if errors.Is(err, os.ErrDeadlineExceeded) {
			dec.Expire(lastEv.Add(time.Since(lastRead)), emitCode)
			s.syncStats()
			continue
		}
		if err != nil {
			if dec.pending() {
				dec.stats.DroppedLines++ // the device went away mid-code
			}
			dec.Reset()
			s.syncStats()
			s.mu.Lock()
			s.counts.BadBytes += uint64(have)
			s.mu.Unlock()
			return fmt.Errorf("hidscan: read %s: %w", f.Name(), err)
		}
		now := time.Now()
		have += n
		off := 0
		for ; off+size <= have; off += size {
			ev := s.cfg.Layout.Parse(buf[off:])
			lastEv, lastRead = ev.Time, now
			dec.Feed(ev, emitCode)
		}
		have = copy(buf, buf[off:have])
		s.syncStats()
	}
}
