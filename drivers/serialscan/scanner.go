package serialscan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/scangate/scangate/drivers/reopen"
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

// Scanner reads codes from a serial port and survives the port going away.
type Scanner struct {
	cfg  Config
	mode serial.Mode
	fr   *Framer // the reader goroutine's alone
	r    *reopen.Reader[serial.Port]

	mu     sync.Mutex
	counts State // Path and the framer's counters; r holds the rest
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
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Scanner{
		cfg:  cfg,
		mode: mode,
		fr: NewFramer(FramerConfig{
			Suffix:       []byte(cfg.Suffix),
			Prefix:       []byte(cfg.Prefix),
			MaxLine:      cfg.MaxLine,
			CharTimeout:  cfg.CharTimeout,
			FlushPartial: !cfg.DiscardPartial,
		}),
		counts: State{Path: cfg.Path},
	}
	s.r = reopen.Start(reopen.Config[serial.Port]{
		Open:      s.open,
		Read:      s.readPort,
		What:      "serial scanner",
		ErrClosed: ErrClosed,
		ReopenMin: cfg.ReopenMin,
		ReopenMax: cfg.ReopenMax,
		Logger:    log.With("scanner", "serial", "path", cfg.Path),
	})
	return s, nil
}

// ReadText blocks until one complete code has been read, ctx is done or the
// scanner is closed. at is when the code's last byte arrived.
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

// Close stops reading and releases the port. It waits for the reader to exit.
func (s *Scanner) Close() error { return s.r.Close() }

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
	return port, dev, nil
}

// syncStats publishes the framer's counters.
func (s *Scanner) syncStats() {
	st := s.fr.Stats()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts.Codes = st.Codes
	s.counts.NULBytes = st.NULBytes
	s.counts.InvalidUTF8 = st.InvalidUTF8
	s.counts.Overlong = st.Overlong
	s.counts.PartialFlushed = st.PartialFlushed
	s.counts.PartialDiscarded = st.PartialDiscarded
}

// readPort feeds the framer until the port fails or is closed. A partial
// line is lost with the port.
func (s *Scanner) readPort(port serial.Port, emit func(text string, at time.Time)) error {
	fr := s.fr
	defer func() {
		fr.Reset()
		s.syncStats()
	}()
	emitCode := func(text []byte, at time.Time) {
		s.syncStats() // counted before the reader can see the code
		emit(string(text), at)
	}
	buf := make([]byte, 512)
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
			fr.Expire(now, emitCode)
		} else {
			fr.Feed(buf[:n], now, emitCode)
		}
		if fr.Stats() != before {
			s.syncStats()
		}
	}
}
