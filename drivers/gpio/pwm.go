package gpio

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// FS is the part of sysfs the PWM driver uses. SysFS is the real one;
// FakePWM mirrors the kernel's PWM sysfs rules in a plain directory.
type FS interface {
	WriteFile(path, data string) error
	ReadFile(path string) (string, error)
	Exists(path string) bool
}

// SysFS writes sysfs attributes the way the kernel expects: open for
// writing without create or truncate, one write.
type SysFS struct{}

// WriteFile implements FS.
func (SysFS) WriteFile(path, data string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadFile implements FS.
func (SysFS) ReadFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return strings.TrimSpace(string(b)), err
}

// Exists implements FS.
func (SysFS) Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// PWM is one exported sysfs PWM channel
// (Documentation/driver-api/pwm.rst, "Using PWMs with the sysfs interface").
type PWM struct {
	fs       FS
	chipDir  string
	dir      string
	channel  int
	exported bool // by us, so Close unexports it
	period   int64
	duty     int64
	enabled  bool
}

// exportWait bounds the wait for pwmN/ after export; udev may still be
// fixing its permissions when the directory first appears.
const exportWait = time.Second

// OpenPWM exports channel of root/pwmchipN (unless already exported) and
// reads its current period and duty cycle.
func OpenPWM(fs FS, root string, chip, channel int) (*PWM, error) {
	p := &PWM{fs: fs, channel: channel, chipDir: filepath.Join(root, fmt.Sprintf("pwmchip%d", chip))}
	p.dir = filepath.Join(p.chipDir, fmt.Sprintf("pwm%d", channel))
	if !fs.Exists(p.chipDir) {
		return nil, fmt.Errorf("gpio: pwm: %s not found", p.chipDir)
	}
	if !fs.Exists(p.dir) {
		if err := fs.WriteFile(filepath.Join(p.chipDir, "export"), strconv.Itoa(channel)); err != nil {
			return nil, fmt.Errorf("gpio: pwm export %s channel %d: %w", p.chipDir, channel, err)
		}
		p.exported = true
		deadline := time.Now().Add(exportWait)
		for !fs.Exists(filepath.Join(p.dir, "enable")) {
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("gpio: pwm: %s did not appear after export", p.dir)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	var err error
	if p.period, err = p.readInt("period"); err != nil {
		return nil, err
	}
	if p.duty, err = p.readInt("duty_cycle"); err != nil {
		return nil, err
	}
	en, err := p.readInt("enable")
	if err != nil {
		return nil, err
	}
	p.enabled = en == 1
	return p, nil
}

func (p *PWM) readInt(attr string) (int64, error) {
	s, err := p.fs.ReadFile(filepath.Join(p.dir, attr))
	if err != nil {
		return 0, fmt.Errorf("gpio: pwm: %w", err)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("gpio: pwm %s/%s: %q is not a number", p.dir, attr, s)
	}
	return n, nil
}

func (p *PWM) write(attr string, v int64) error {
	if err := p.fs.WriteFile(filepath.Join(p.dir, attr), strconv.FormatInt(v, 10)); err != nil {
		return fmt.Errorf("gpio: pwm %s=%d: %w", attr, v, err)
	}
	return nil
}

// Tone plays a square wave of hz on the channel.
func (p *PWM) Tone(hz int) error {
	if hz <= 0 || hz > 100_000 {
		return fmt.Errorf("gpio: pwm: tone %d Hz out of range", hz)
	}
	period := int64(time.Second) / int64(hz)
	duty := period / 2
	// The kernel refuses a period below the current duty cycle (EINVAL),
	// so clear the duty cycle before shortening the period.
	if p.duty > period {
		if err := p.write("duty_cycle", 0); err != nil {
			return err
		}
		p.duty = 0
	}
	if p.period != period {
		if err := p.write("period", period); err != nil {
			return err
		}
		p.period = period
	}
	if p.duty != duty {
		if err := p.write("duty_cycle", duty); err != nil {
			return err
		}
		p.duty = duty
	}
	if !p.enabled {
		if err := p.write("enable", 1); err != nil {
			return err
		}
		p.enabled = true
	}
	return nil
}

// Off silences the channel: duty 0 first so a controller that holds the
// last level on disable leaves the buzzer unpowered.
func (p *PWM) Off() error {
	if p.duty != 0 && p.period > 0 {
		if err := p.write("duty_cycle", 0); err != nil {
			return err
		}
		p.duty = 0
	}
	if p.enabled {
		if err := p.write("enable", 0); err != nil {
			return err
		}
		p.enabled = false
	}
	return nil
}

// Close silences the channel and unexports it if OpenPWM exported it.
func (p *PWM) Close() error {
	err := p.Off()
	if p.exported {
		if uerr := p.fs.WriteFile(filepath.Join(p.chipDir, "unexport"), strconv.Itoa(p.channel)); uerr != nil {
			err = errors.Join(err, fmt.Errorf("gpio: pwm unexport: %w", uerr))
		}
		p.exported = false
	}
	return err
}
