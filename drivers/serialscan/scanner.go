package serialscan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.bug.st/serial"
)

// ErrClosed is returned by ReadText after Close.
var ErrClosed = errors.New("serialscan: scanner closed")

// Config describes one serial scanner. The zero value of every field but Path
// is a working default: 9600 8N1, CR/LF/CRLF framing, 100 ms timeout that
// flushes partial lines, 4 KiB line cap.
type Config struct {
	Path           string        // /dev/serial/by-id/... (preferred), /dev/ttyUSB0, /dev/ttyACM0, /dev/ttyAMA0
	Baud           int           // 0 means 9600
	DataBits       int           // 5..8; 0 means 8
	Parity         string        // "none" (default), "odd", "even", "mark", "space"
	StopBits       int           // 1 (default) or 2
	Suffix         string        // line terminator; "" means CR, LF or CRLF
	Prefix         string        // stripped from the start of a code when present
	CharTimeout    time.Duration // gap ending a partial line; 0 means 100 ms, <0 never
	DiscardPartial bool          // drop a timed-out partial line instead of emitting it
	MaxLine        int           // 0 means 4096
	ReopenMin      time.Duration // first wait before reopening; 0 means 100 ms
	ReopenMax      time.Duration // longest wait between reopen attempts; 0 means 2 s
	Logger         *slog.Logger  // nil means slog.Default()
}

// State is a snapshot for `scangate status`.
type State struct {
	Status           string // "open", "disconnected" or "closed"
	Path             string // configured path
	Device           string // the device node the path resolved to when last opened
	Codes            uint64
	NULBytes         uint64
	InvalidUTF8      uint64
	Overlong         uint64
	PartialFlushed   uint64
	PartialDiscarded uint64
	Reopens          uint64 // successful opens after the first
	LastError        string
	Since            time.Time // when Status last changed
}

type code struct {
	text string
	at   time.Time
}

// Scanner reads codes from a serial port and survives the port going away.
type Scanner struct {
	cfg  Config
	mode serial.Mode
	log  *slog.Logger

	codes  chan code
	done   chan struct{}
	exited chan struct{}

	mu     sync.Mutex
	closed bool
	port   serial.Port
	opens  uint64
	state  State
}

func (c Config) mode() (serial.Mode, error) {
	m := serial.Mode{BaudRate: c.Baud, DataBits: c.DataBits}
	if m.BaudRate == 0 {
		m.BaudRate = 9600
	}
	if m.DataBits == 0 {
		m.DataBits = 8
	}
	if m.BaudRate < 0 || m.DataBits < 5 || m.DataBits > 8 {
		return m, fmt.Errorf("serialscan: invalid baud %d or data bits %d", c.Baud, c.DataBits)
	}
	switch c.Parity {
	case "", "none":
		m.Parity = serial.NoParity
	case "odd":
		m.Parity = serial.OddParity
	case "even":
		m.Parity = serial.EvenParity
	case "mark":
		m.Parity = serial.MarkParity
	case "space":
		m.Parity = serial.SpaceParity
	default:
		return m, fmt.Errorf("serialscan: invalid parity %q", c.Parity)
	}
	switch c.StopBits {
	case 0, 1:
		m.StopBits = serial.OneStopBit
	case 2:
		m.StopBits = serial.TwoStopBits
	default:
		return m, fmt.Errorf("serialscan: invalid stop bits %d", c.StopBits)
	}
	return m, nil
}

// Open validates cfg and starts reading. A missing device is not an error: the
// scanner reports "disconnected" and opens the port when it appears, so a
// daemon started before udev has created the by-id link still finds it.
func Open(cfg Config) (*Scanner, error) {
	if cfg.Path == "" {
		return nil, errors.New("serialscan: no device path configured")
	}
	mode, err := cfg.mode()
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(cfg.Suffix); i++ {
		if cfg.Suffix[i] == 0 {
			return nil, errors.New("serialscan: suffix must not contain NUL")
		}
	}
	if cfg.ReopenMin <= 0 {
		cfg.ReopenMin = 100 * time.Millisecond
	}
	if cfg.ReopenMax <= 0 {
		cfg.ReopenMax = 2 * time.Second
	}
	s := &Scanner{
		cfg:    cfg,
		mode:   mode,
		log:    cfg.Logger,
		codes:  make(chan code, 16),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("scanner", "serial", "path", cfg.Path)
	s.state = State{Status: "disconnected", Path: cfg.Path, Since: time.Now()}
	go s.run()
	return s, nil
}

// ReadText blocks until one complete code has been read, ctx is done or the
// scanner is closed. at is when the code's last byte arrived.
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

// Close stops reading and releases the port. It waits for the reader to exit.
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
	if s.port != nil {
		err = s.port.Close() // unblocks a pending Read
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
	fr := NewFramer(FramerConfig{
		Suffix:       []byte(s.cfg.Suffix),
		Prefix:       []byte(s.cfg.Prefix),
		MaxLine:      s.cfg.MaxLine,
		CharTimeout:  s.cfg.CharTimeout,
		FlushPartial: !s.cfg.DiscardPartial,
	})
	bo := &backoff.ExponentialBackOff{
		InitialInterval:     s.cfg.ReopenMin,
		MaxInterval:         s.cfg.ReopenMax,
		Multiplier:          2,
		RandomizationFactor: 0.2,
	}
	bo.Reset()
	buf := make([]byte, 512)
	var lastErr string
	for {
		port, dev, err := s.open()
		if errors.Is(err, ErrClosed) {
			return
		}
		if err != nil {
			if err.Error() != lastErr { // log changes, not every retry
				s.log.Warn("serial scanner unavailable", "err", err)
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
		s.log.Info("serial scanner open", "device", dev)
		err = s.readPort(port, fr, buf)
		fr.Reset()
		s.mu.Lock()
		s.port = nil
		closed := s.closed
		s.copyStats(fr)
		if !closed {
			s.setStatus("disconnected", err)
		}
		s.mu.Unlock()
		port.Close()
		if closed {
			return
		}
		s.log.Warn("serial scanner disconnected", "err", err)
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

func (s *Scanner) open() (serial.Port, string, error) {
	dev, err := filepath.EvalSymlinks(s.cfg.Path)
	if err != nil {
		return nil, "", fmt.Errorf("serialscan: resolve %s: %w", s.cfg.Path, err)
	}
	mode := s.mode
	port, err := serial.Open(dev, &mode)
	if err != nil {
		return nil, "", fmt.Errorf("serialscan: open %s: %w", dev, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		port.Close()
		return nil, "", ErrClosed
	}
	s.port = port
	if s.opens > 0 {
		s.state.Reopens++
	}
	s.opens++
	s.state.Device = dev
	s.setStatus("open", nil)
	return port, dev, nil
}

func (s *Scanner) copyStats(fr *Framer) {
	st := fr.Stats()
	s.state.Codes = st.Codes
	s.state.NULBytes = st.NULBytes
	s.state.InvalidUTF8 = st.InvalidUTF8
	s.state.Overlong = st.Overlong
	s.state.PartialFlushed = st.PartialFlushed
	s.state.PartialDiscarded = st.PartialDiscarded
}

// readPort feeds the framer until the port fails or is closed.
func (s *Scanner) readPort(port serial.Port, fr *Framer, buf []byte) error {
	emit := func(text []byte, at time.Time) {
		c := code{text: string(text), at: at}
		s.mu.Lock()
		s.copyStats(fr) // counted before the reader can see the code
		s.mu.Unlock()
		select {
		case s.codes <- c:
		case <-s.done:
		}
	}
	for {
		timeout := serial.NoTimeout
		if dl, ok := fr.Deadline(); ok {
			timeout = max(time.Until(dl), 0)
		}
		if err := port.SetReadTimeout(timeout); err != nil {
			return fmt.Errorf("serialscan: set read timeout: %w", err)
		}
		n, err := port.Read(buf)
		now := time.Now()
		if err != nil {
			return fmt.Errorf("serialscan: read: %w", err)
		}
		before := fr.Stats()
		if n == 0 {
			fr.Expire(now, emit)
		} else {
			fr.Feed(buf[:n], now, emit)
		}
		if fr.Stats() != before {
			s.mu.Lock()
			s.copyStats(fr)
			s.mu.Unlock()
		}
	}
}
