package serialscan

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Sim is a Scanner wired to a pseudo-terminal that plays the scanner: what
// Type writes to the master arrives at the Scanner through the real tty layer,
// exactly as bytes from a USB-serial bridge would. The Scanner opens a symlink
// in a private directory, so Unplug and Replug exercise the same reconnect path
// as a by-id link that vanishes and comes back.
type Sim struct {
	*Scanner
	dir    string
	link   string
	suffix string

	mu     sync.Mutex
	master *os.File
	slave  *os.File
}

// NewSimulated starts a Scanner on a fresh pseudo-terminal. cfg.Path is
// ignored; the rest of cfg applies as for Open.
func NewSimulated(cfg Config) (*Sim, error) {
	dir, err := os.MkdirTemp("", "serialscan-sim-")
	if err != nil {
		return nil, fmt.Errorf("serialscan: simulated scanner: %w", err)
	}
	sim := &Sim{dir: dir, link: filepath.Join(dir, "scanner"), suffix: cfg.Suffix}
	if sim.suffix == "" {
		sim.suffix = "\r"
	}
	if err := sim.Replug(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cfg.Path = sim.link
	sc, err := Open(cfg)
	if err != nil {
		sim.Unplug()
		os.RemoveAll(dir)
		return nil, err
	}
	sim.Scanner = sc
	return sim, nil
}

// Path is the symlink the Scanner opens.
func (s *Sim) Path() string { return s.link }

// Type sends text followed by the configured suffix (CR by default), as a
// scanner does for one read.
func (s *Sim) Type(text string) error {
	_, err := s.Write([]byte(text + s.suffix))
	return err
}

// Write sends raw bytes, for garbage, split codes and missing terminators.
func (s *Sim) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.master == nil {
		return 0, errors.New("serialscan: simulated scanner unplugged")
	}
	return s.master.Write(p)
}

// Unplug closes the pseudo-terminal and removes the link, as when a USB
// scanner is pulled: the Scanner's next read fails.
func (s *Sim) Unplug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.master == nil {
		return nil
	}
	os.Remove(s.link)
	err := errors.Join(s.slave.Close(), s.master.Close())
	s.master, s.slave = nil, nil
	return err
}

// Replug creates a new pseudo-terminal and points the link at it.
func (s *Sim) Replug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.master != nil {
		return errors.New("serialscan: simulated scanner already plugged in")
	}
	master, slave, err := pty.Open()
	if err != nil {
		return fmt.Errorf("serialscan: open pty: %w", err)
	}
	// Raw from the start, so bytes typed before the Scanner opens the
	// port are not cooked (CR to LF, echo) by the line discipline. The slave
	// stays open here so the settings outlive the Scanner's reopen.
	if err := makeRaw(slave); err != nil {
		master.Close()
		slave.Close()
		return err
	}
	tmp := s.link + ".new"
	os.Remove(tmp)
	err = os.Symlink(slave.Name(), tmp)
	if err == nil {
		err = os.Rename(tmp, s.link)
	}
	if err != nil {
		master.Close()
		slave.Close()
		return fmt.Errorf("serialscan: link pty: %w", err)
	}
	s.master, s.slave = master, slave
	return nil
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

// Close stops the Scanner and removes the pseudo-terminal.
func (s *Sim) Close() error {
	err := s.Scanner.Close()
	err = errors.Join(err, s.Unplug())
	os.RemoveAll(s.dir)
	return err
}
