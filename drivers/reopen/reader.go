package reopen

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Config says how to open one device and read codes from it.
type Config[D io.Closer] struct {
	// Open opens the device and returns the node it resolved to.
	Open func() (dev D, node string, err error)
	// Read reads dev until it fails or is closed and returns why. It passes
	// each code to emit, which blocks until ReadText takes it or Close.
	Read func(dev D, emit func(text string, at time.Time)) error

	What      string        // names the device in log messages: "serial scanner"
	ErrClosed error         // what ReadText returns after Close
	ReopenMin time.Duration // first wait before reopening; 0 means 100 ms
	ReopenMax time.Duration // longest wait between reopen attempts; 0 means 2 s
	Logger    *slog.Logger  // nil means slog.Default()
}

// State is the supervision part of a driver's status.
type State struct {
	Status    string // "open", "disconnected" or "closed"
	Device    string // the node Open returned when the device was last opened
	Reopens   uint64 // successful opens after the first
	LastError string
	Since     time.Time // when Status last changed
}

type code struct {
	text string
	at   time.Time
}

// Reader opens, reads and reopens one device until Close.
type Reader[D io.Closer] struct {
	cfg Config[D]
	log *slog.Logger

	codes  chan code
	done   chan struct{}
	exited chan struct{}

	mu     sync.Mutex
	closed bool
	dev    D
	isOpen bool // dev holds an open device
	opens  uint64
	state  State
}

// errClosed tells the reader loop that Close came while it opened the device.
var errClosed = errors.New("reopen: closed")

// Start starts reading in the background. The device need not exist yet.
func Start[D io.Closer](cfg Config[D]) *Reader[D] {
	if cfg.ReopenMin <= 0 {
		cfg.ReopenMin = 100 * time.Millisecond
	}
	if cfg.ReopenMax <= 0 {
		cfg.ReopenMax = 2 * time.Second
	}
	if cfg.ErrClosed == nil {
		cfg.ErrClosed = errClosed
	}
	r := &Reader[D]{
		cfg:    cfg,
		log:    cfg.Logger,
		codes:  make(chan code, 16),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
		state:  State{Status: "disconnected", Since: time.Now()},
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	go r.run()
	return r
}

// ReadText blocks until Read has emitted a code, ctx is done or the reader
// is closed (then it returns Config.ErrClosed).
func (r *Reader[D]) ReadText(ctx context.Context) (text string, at time.Time, err error) {
	select {
	case c := <-r.codes:
		return c.text, c.at, nil
	default:
	}
	select {
	case c := <-r.codes:
		return c.text, c.at, nil
	case <-ctx.Done():
		return "", time.Time{}, ctx.Err()
	case <-r.done:
		return "", time.Time{}, r.cfg.ErrClosed
	}
}

// State returns a snapshot of the supervision status.
func (r *Reader[D]) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// Close stops reading, closes the open device (which unblocks a pending
// read) and waits for the reader to exit. It returns the device's Close error.
func (r *Reader[D]) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.setStatus("closed", nil)
	close(r.done)
	var err error
	if r.isOpen {
		err = r.dev.Close()
	}
	r.mu.Unlock()
	<-r.exited
	return err
}

// setStatus must be called with r.mu held. Nothing changes after "closed".
func (r *Reader[D]) setStatus(status string, err error) {
	if r.state.Status == "closed" {
		return
	}
	if r.state.Status != status {
		r.state.Status = status
		r.state.Since = time.Now()
	}
	if err != nil {
		r.state.LastError = err.Error()
	}
}

func (r *Reader[D]) emit(text string, at time.Time) {
	select {
	case r.codes <- code{text: text, at: at}:
	case <-r.done:
	}
}

// wait sleeps for d and reports false if Close came first.
func (r *Reader[D]) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.done:
		return false
	case <-t.C:
		return true
	}
}

func (r *Reader[D]) run() {
	defer close(r.exited)
	bo := &backoff.ExponentialBackOff{
		InitialInterval:     r.cfg.ReopenMin,
		MaxInterval:         r.cfg.ReopenMax,
		Multiplier:          2,
		RandomizationFactor: 0.2,
	}
	bo.Reset()
	var lastErr string
	for {
		dev, node, err := r.open()
		if errors.Is(err, errClosed) {
			return
		}
		if err != nil {
			if err.Error() != lastErr { // log changes, not every retry
				r.log.Warn(r.cfg.What+" unavailable", "err", err)
				lastErr = err.Error()
			}
			r.mu.Lock()
			r.setStatus("disconnected", err)
			r.mu.Unlock()
			if !r.wait(bo.NextBackOff()) {
				return
			}
			continue
		}
		lastErr = ""
		opened := time.Now()
		r.log.Info(r.cfg.What+" open", "device", node)
		err = r.cfg.Read(dev, r.emit)
		r.mu.Lock()
		var none D
		r.dev, r.isOpen = none, false
		closed := r.closed
		if !closed {
			r.setStatus("disconnected", err)
		}
		r.mu.Unlock()
		dev.Close()
		if closed {
			return
		}
		r.log.Warn(r.cfg.What+" disconnected", "err", err)
		if time.Since(opened) >= time.Second {
			bo.Reset()
			continue
		}
		if !r.wait(bo.NextBackOff()) {
			return
		}
	}
}

func (r *Reader[D]) open() (D, string, error) {
	dev, node, err := r.cfg.Open()
	if err != nil {
		return dev, "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		dev.Close()
		var none D
		return none, "", errClosed
	}
	r.dev, r.isOpen = dev, true
	if r.opens > 0 {
		r.state.Reopens++
	}
	r.opens++
	r.state.Device = node
	r.setStatus("open", nil)
	return dev, node, nil
}
