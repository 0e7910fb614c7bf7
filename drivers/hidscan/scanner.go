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

	"github.com/cenkalti/backoff/v5"
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

type code struct {
	text string
	at   time.Time
}

// Scanner reads codes from an evdev keyboard and survives it going away.
type Scanner struct {
	cfg Config
	log *slog.Logger

	codes  chan code
	done   chan struct{}
	exited chan struct{}

	mu     sync.Mutex
	closed bool
	file   *os.File
	opens  uint64
	state  State
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
	if cfg.ReopenMin <= 0 {
		cfg.ReopenMin = 100 * time.Millisecond
	}
	if cfg.ReopenMax <= 0 {
		cfg.ReopenMax = 2 * time.Second
	}
	s := &Scanner{
		cfg:    cfg,
		log:    cfg.Logger,
		codes:  make(chan code, 16),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	path := cfg.Path
	if path == "" {
		path = "name:" + cfg.Name
	}
	s.log = s.log.With("scanner", "hid", "path", path)
	s.state = State{Status: "disconnected", Path: path, Since: time.Now()}
	go s.run()
	return s, nil
}

// ReadText blocks until one complete code has been typed, ctx is done or the
// scanner is closed. at is when the code ended.
func (s *Scanner) ReadText(ctx context.Context) (text string, at time.Time, err error) {
	select {
	case c := <-s.codes:
		return c.text, c.at, nil
	default:
	}
	select {
	case c := <-s.codes:
		return c.text, c.at, nil
	case <-ctx.Done():
		return "", time.Time{}, ctx.Err()
	case <-s.done:
		return "", time.Time{}, ErrClosed
	}
}

// State returns a snapshot of the scanner's condition and counters.
func (s *Scanner) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Close stops reading, releases the grab and the device, and waits for the
// reader to exit.
func (s *Scanner) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.setStatus("closed", nil)
	close(s.done)
	var err error
	if s.file != nil {
		err = s.file.Close() // unblocks a pending Read
	}
	s.mu.Unlock()
	<-s.exited
	return err
}

// setStatus must be called with s.mu held.
func (s *Scanner) setStatus(status string, err error) {
	if s.state.Status == "closed" {
		return
	}
	if s.state.Status != status {
		s.state.Status = status
		s.state.Since = time.Now()
	}
	if err != nil {
		s.state.LastError = err.Error()
	}
}

func (s *Scanner) run() {
	defer close(s.exited)
	dec := NewDecoder(DecoderConfig{Timeout: s.cfg.Timeout, MaxLine: s.cfg.MaxLine})
	bo := &backoff.ExponentialBackOff{
		InitialInterval:     s.cfg.ReopenMin,
		MaxInterval:         s.cfg.ReopenMax,
		Multiplier:          2,
		RandomizationFactor: 0.2,
	}
	bo.Reset()
	var lastErr string
	for {
		f, err := s.open()
		if errors.Is(err, ErrClosed) {
			return
		}
		if err != nil {
			if err.Error() != lastErr { // log changes, not every retry
				s.log.Warn("hid scanner unavailable", "err", err)
				lastErr = err.Error()
			}
			s.mu.Lock()
			s.setStatus("disconnected", err)
			s.mu.Unlock()
			t := time.NewTimer(bo.NextBackOff())
			select {
			case <-s.done:
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		lastErr = ""
		opened := time.Now()
		s.log.Info("hid scanner open", "device", f.Name())
		err = s.readDevice(f, dec)
		if dec.pending() {
			dec.stats.DroppedLines++ // the device went away mid-code
		}
		dec.Reset()
		s.mu.Lock()
		s.file = nil
		closed := s.closed
		s.copyStats(dec)
		if !closed {
			s.setStatus("disconnected", err)
		}
		s.mu.Unlock()
		f.Close()
		if closed {
			return
		}
		s.log.Warn("hid scanner disconnected", "err", err)
		// A device that fails straight after opening would otherwise be
		// reopened in a busy loop; one that worked for a while is retried
		// at once.
		if time.Since(opened) >= time.Second {
			bo.Reset()
			continue
		}
		t := time.NewTimer(bo.NextBackOff())
		select {
		case <-s.done:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (s *Scanner) open() (*os.File, error) {
	path := s.cfg.Path
	if path == "" {
		p, err := findByName(s.cfg.InputDir, s.cfg.Name)
		if err != nil {
			return nil, err
		}
		path = p
	}
	dev, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, fmt.Errorf("hidscan: resolve %s: %w", path, err)
	}
	// Non-blocking: Go's poller then serves read deadlines and Close
	// interrupts a pending Read; a FIFO opens without waiting for a writer.
	f, err := os.OpenFile(dev, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("hidscan: open %s: %w", dev, err)
	}
	name, err := prepare(f, !s.cfg.NoGrab)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		f.Close()
		return nil, ErrClosed
	}
	s.file = f
	if s.opens > 0 {
		s.state.Reopens++
	}
	s.opens++
	s.state.Device = dev
	s.state.DeviceName = name
	s.setStatus("open", nil)
	return f, nil
}

// copyStats must be called with s.mu held.
func (s *Scanner) copyStats(d *Decoder) {
	st := d.Stats()
	s.state.Codes = st.Codes
	s.state.PartialFlushed = st.PartialFlushed
	s.state.UnknownKeys = st.UnknownKeys
	s.state.DroppedLines = st.DroppedLines
	s.state.Overlong = st.Overlong
	s.state.SynDropped = st.SynDropped
}

// readDevice feeds the decoder until the device fails or is closed.
//
// Event timestamps come from the kernel's clock (monotonic on a real device,
// anything at all from a pipe), so the decoder's deadlines live in event
// time. lastEv and lastRead tie that to the local clock: event time t happens
// at lastRead + (t - lastEv).
func (s *Scanner) readDevice(f *os.File, dec *Decoder) error {
	size := s.cfg.Layout.Size()
	buf := make([]byte, 64*size)
	have := 0
	var lastEv, lastRead time.Time
	local := func(t time.Time) time.Time { return lastRead.Add(t.Sub(lastEv)) }
	emit := func(text []byte, at time.Time) {
		c := code{text: string(text), at: local(at)}
		s.mu.Lock()
		s.copyStats(dec) // counted before the reader can see the code
		s.mu.Unlock()
		select {
		case s.codes <- c:
		case <-s.done:
		}
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
			dec.Expire(lastEv.Add(time.Since(lastRead)), emit)
			s.syncStats(dec)
			continue
		}
		if err != nil {
			s.mu.Lock()
			s.state.BadBytes += uint64(have)
			s.mu.Unlock()
			return fmt.Errorf("hidscan: read %s: %w", f.Name(), err)
		}
		now := time.Now()
		have += n
		off := 0
		for ; off+size <= have; off += size {
			ev := s.cfg.Layout.Parse(buf[off:])
			lastEv, lastRead = ev.Time, now
			dec.Feed(ev, emit)
		}
		have = copy(buf, buf[off:have])
		s.syncStats(dec)
	}
}

func (s *Scanner) syncStats(dec *Decoder) {
	s.mu.Lock()
	s.copyStats(dec)
	s.mu.Unlock()
}
