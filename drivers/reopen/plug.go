package reopen

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// Plug plays a hot-plugged device for simulations and tests: a symlink in a
// private directory that Replug points at a fresh device node and Unplug
// removes, as udev does with a by-id link, plus the writer that plays the
// device's side. A Reader opening Path sees the same unplug and reappearance
// as on real hardware.
type Plug struct {
	what   string
	dir    string
	link   string
	attach Attach

	mu sync.Mutex
	w  io.WriteCloser
}

// Attach makes a new device node in dir and returns its path and the writer
// that feeds it; closing the writer unplugs the device.
type Attach func(dir string) (node string, w io.WriteCloser, err error)

// NewPlug makes a private directory (named after pattern, as os.MkdirTemp)
// holding the link name, and plugs a first device in. what starts error
// messages: "serialscan: simulated scanner".
func NewPlug(what, pattern, name string, attach Attach) (*Plug, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	p := &Plug{what: what, dir: dir, link: filepath.Join(dir, name), attach: attach}
	if err := p.Replug(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

// Path is the symlink a Reader opens.
func (p *Plug) Path() string { return p.link }

// Write feeds the plugged-in device.
func (p *Plug) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil {
		return 0, errors.New(p.what + " unplugged")
	}
	return p.w.Write(b)
}

// Unplug removes the link and closes the device's writer.
func (p *Plug) Unplug() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil {
		return nil
	}
	os.Remove(p.link)
	err := p.w.Close()
	p.w = nil
	return err
}

// Replug attaches a new device and points the link at it in one rename, so
// a Reader never sees a link to a half-made node.
func (p *Plug) Replug() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil {
		return errors.New(p.what + " already plugged in")
	}
	node, w, err := p.attach(p.dir)
	if err != nil {
		return err
	}
	tmp := p.link + ".new"
	os.Remove(tmp)
	err = os.Symlink(node, tmp)
	if err == nil {
		err = os.Rename(tmp, p.link)
	}
	if err != nil {
		w.Close()
		return fmt.Errorf("%s: link %s: %w", p.what, node, err)
	}
	p.w = w
	return nil
}

// Remove unplugs the device and removes the private directory.
func (p *Plug) Remove() error {
	err := p.Unplug()
	os.RemoveAll(p.dir)
	return err
}
