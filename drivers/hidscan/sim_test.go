package hidscan

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/scangate/scangate/drivers/reopen"
	"golang.org/x/sys/unix"
)

// Sim is a Scanner reading evdev records from a FIFO that plays the
// keyboard: Type writes the key events a US-layout wedge scanner sends (with
// MSC_SCAN and SYN_REPORT, Shift around capitals and symbols). A FIFO is no
// evdev device, so the Scanner runs without the grab; everything above the
// ioctls is the real path. Unplug and Replug swap the FIFO behind a symlink.
type Sim struct {
	*Scanner
	plug *reopen.Plug
	gen  int // FIFOs made so far; only Replug, under the Plug's lock, uses it
}

// NewSimulated starts a Scanner on a fresh FIFO. cfg.Path, cfg.Name, NoGrab
// and Layout are set by the Sim; the rest of cfg applies as for Open.
func NewSimulated(cfg Config) (*Sim, error) {
	sim := &Sim{}
	plug, err := reopen.NewPlug("hidscan: simulated scanner", "hidscan-sim-", "event-kbd", sim.attachFIFO)
	if err != nil {
		return nil, err
	}
	sim.plug = plug
	cfg.Path, cfg.Name, cfg.NoGrab, cfg.Layout = plug.Path(), "", true, NativeLayout
	sc, err := Open(cfg)
	if err != nil {
		plug.Remove()
		return nil, err
	}
	sim.Scanner = sc
	return sim, nil
}

// Path is the symlink the Scanner opens.
func (s *Sim) Path() string { return s.plug.Path() }

// Type sends the key events for text followed by Enter. Characters a US
// keyboard cannot type are an error and nothing is sent.
func (s *Sim) Type(text string) error {
	b, err := KeyEvents(nil, text, time.Now(), NativeLayout)
	if err != nil {
		return err
	}
	b, _ = KeyEvents(b, "\n", time.Now(), NativeLayout)
	_, err = s.Write(b)
	return err
}

// Write sends raw event records.
func (s *Sim) Write(p []byte) (int, error) { return s.plug.Write(p) }

// KeyEvents appends the records a US-layout keyboard sends to type text at
// time at, one millisecond a record group; '\n' is Enter.
func KeyEvents(dst []byte, text string, at time.Time, l Layout) ([]byte, error) {
	key := func(code uint16, v int32) {
		dst = l.Append(dst, Event{Time: at, Type: EvMsc, Code: MscScan, Value: 0x70000 + int32(code)})
		dst = l.Append(dst, Event{Time: at, Type: EvKey, Code: code, Value: v})
		dst = l.Append(dst, Event{Time: at, Type: EvSyn, Code: SynReport})
		at = at.Add(time.Millisecond)
	}
	for i := range len(text) {
		if text[i] == '\n' {
			key(KeyEnter, 1)
			key(KeyEnter, 0)
			continue
		}
		code, shift, ok := KeyFor(text[i])
		if !ok {
			return dst, fmt.Errorf("hidscan: no US key types %q", text[i])
		}
		if shift {
			key(KeyLeftShift, 1)
		}
		key(code, 1)
		key(code, 0)
		if shift {
			key(KeyLeftShift, 0)
		}
	}
	return dst, nil
}

// Unplug removes the FIFO and closes its writer: the Scanner reads end of
// file, as it reads ENODEV from a vanished device.
func (s *Sim) Unplug() error { return s.plug.Unplug() }

// Replug creates a new FIFO and points the link at it.
func (s *Sim) Replug() error { return s.plug.Replug() }

// Close stops the Scanner and removes the FIFO.
func (s *Sim) Close() error {
	err := s.Scanner.Close()
	return errors.Join(err, s.plug.Remove())
}

// attachFIFO makes the next FIFO in dir and removes the one before it.
func (s *Sim) attachFIFO(dir string) (string, io.WriteCloser, error) {
	s.gen++
	fifo := filepath.Join(dir, fmt.Sprintf("event%d", s.gen))
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		return "", nil, fmt.Errorf("hidscan: mkfifo: %w", err)
	}
	os.Remove(filepath.Join(dir, fmt.Sprintf("event%d", s.gen-1)))
	// Read-write, so opening does not wait for a reader and the FIFO has a
	// writer before the Scanner opens it (else it would read end of file).
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		return "", nil, fmt.Errorf("hidscan: open fifo: %w", err)
	}
	return fifo, w, nil
}
