package serialscan

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/creack/pty"
	"github.com/scangate/scangate/drivers/reopen"
	"golang.org/x/sys/unix"
)

// Sim is a Scanner wired to a pseudo-terminal that plays the scanner: what
// Type writes to the master arrives at the Scanner through the real tty layer,
// exactly as bytes from a USB-serial bridge would. The Scanner opens a symlink
// in a private directory, so Unplug and Replug exercise the same reconnect path
// as a by-id link that vanishes and comes back.
type Sim struct {
	*Scanner
	plug   *reopen.Plug
	suffix string
}

// NewSimulated starts a Scanner on a fresh pseudo-terminal. cfg.Path is
// ignored; the rest of cfg applies as for Open.
func NewSimulated(cfg Config) (*Sim, error) {
	plug, err := reopen.NewPlug("serialscan: simulated scanner", "serialscan-sim-", "scanner", attachPTY)
	if err != nil {
		return nil, err
	}
	sim := &Sim{plug: plug, suffix: cfg.Suffix}
	if sim.suffix == "" {
		sim.suffix = "\r"
	}
	cfg.Path = plug.Path()
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

// Type sends text followed by the configured suffix (CR by default), as a
// scanner does for one read.
func (s *Sim) Type(text string) error {
	_, err := s.Write([]byte(text + s.suffix))
	return err
}

// Write sends raw bytes, for garbage, split codes and missing terminators.
func (s *Sim) Write(p []byte) (int, error) { return s.plug.Write(p) }

// Unplug closes the pseudo-terminal and removes the link, as when a USB
// scanner is pulled: the Scanner's next read fails.
func (s *Sim) Unplug() error { return s.plug.Unplug() }

// Replug creates a new pseudo-terminal and points the link at it.
func (s *Sim) Replug() error { return s.plug.Replug() }

// Close stops the Scanner and removes the pseudo-terminal.
func (s *Sim) Close() error {
	err := s.Scanner.Close()
	return errors.Join(err, s.plug.Remove())
}

// ptyPair is a plugged-in pseudo-terminal: writes go to the master, and
// both ends close on unplug.
type ptyPair struct{ master, slave *os.File }

func (p ptyPair) Write(b []byte) (int, error) { return p.master.Write(b) }
func (p ptyPair) Close() error                { return errors.Join(p.slave.Close(), p.master.Close()) }

func attachPTY(string) (string, io.WriteCloser, error) {
	master, slave, err := pty.Open()
	if err != nil {
		return "", nil, fmt.Errorf("serialscan: open pty: %w", err)
	}
	// Raw from the start, so bytes typed before the Scanner opens the
	// port are not cooked (CR to LF, echo) by the line discipline. The slave
	// stays open here so the settings outlive the Scanner's reopen.
	if err := makeRaw(slave); err != nil {
		master.Close()
		slave.Close()
		return "", nil, err
	}
	return slave.Name(), ptyPair{master, slave}, nil
}

func makeRaw(f *os.File) error {
	conn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var terr error
	err = conn.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			terr = err
			return
		}
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8
		t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
		terr = unix.IoctlSetTermios(int(fd), unix.TCSETS, t)
	})
	if err == nil {
		err = terr
	}
	if err != nil {
		return fmt.Errorf("serialscan: raw pty: %w", err)
	}
	return nil
}
