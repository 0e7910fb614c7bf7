package gpio

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// FakePWM is an FS over a plain directory that behaves like the kernel's
// PWM sysfs (drivers/pwm/sysfs.c, pwm_apply_state in Linux 6.1): writing a
// channel number to export creates pwmN/ with period, duty_cycle, enable
// and polarity; export of an exported channel fails with EBUSY, of a
// channel beyond npwm with EINVAL; any state with period 0 or duty_cycle
// above period fails with EINVAL and leaves the state unchanged.
type FakePWM struct {
	mu sync.Mutex
	// Writes logs every accepted write as "pwmchip0/pwm1/period=370370".
	Writes []string
	root   string
}

// NewFakePWM creates root/pwmchipN with npwm channels and returns the FS.
func NewFakePWM(root string, chip, npwm int) (*FakePWM, error) {
	dir := filepath.Join(root, fmt.Sprintf("pwmchip%d", chip))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for name, v := range map[string]string{"export": "", "unexport": "", "npwm": strconv.Itoa(npwm)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o644); err != nil {
			return nil, err
		}
	}
	return &FakePWM{root: root}, nil
}

func einval(path string) error { return &fs.PathError{Op: "write", Path: path, Err: syscall.EINVAL} }

// WriteFile implements FS with the kernel's checks.
func (f *FakePWM) WriteFile(path, data string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	dir, attr := filepath.Split(path)
	dir = filepath.Clean(dir)
	v := strings.TrimSpace(data)
	n, numErr := strconv.ParseInt(v, 10, 64)
	switch attr {
	case "export", "unexport":
		npwm, err := f.readInt(filepath.Join(dir, "npwm"))
		if err != nil {
			return err
		}
		if numErr != nil || n < 0 || n >= npwm {
			return einval(path)
		}
		ch := filepath.Join(dir, fmt.Sprintf("pwm%d", n))
		_, statErr := os.Stat(ch)
		if attr == "unexport" {
			if statErr != nil {
				return &fs.PathError{Op: "write", Path: path, Err: syscall.ENODEV}
			}
			if err := os.RemoveAll(ch); err != nil {
				return err
			}
			break
		}
		if statErr == nil {
			return &fs.PathError{Op: "write", Path: path, Err: syscall.EBUSY}
		}
		if err := os.Mkdir(ch, 0o755); err != nil {
			return err
		}
		for name, v := range map[string]string{"period": "0", "duty_cycle": "0", "enable": "0", "polarity": "normal"} {
			if err := os.WriteFile(filepath.Join(ch, name), []byte(v+"\n"), 0o644); err != nil {
				return err
			}
		}
	case "period", "duty_cycle", "enable":
		if numErr != nil || n < 0 {
			return einval(path)
		}
		period, err := f.readInt(filepath.Join(dir, "period"))
		if err != nil {
			return err
		}
		duty, err := f.readInt(filepath.Join(dir, "duty_cycle"))
		if err != nil {
			return err
		}
		switch attr {
		case "period":
			period = n
		case "duty_cycle":
			duty = n
		case "enable":
			if n > 1 {
				return einval(path)
			}
		}
		if period == 0 || duty > period {
			return einval(path)
		}
		if err := os.WriteFile(path, []byte(v+"\n"), 0o644); err != nil {
			return err
		}
	default:
		return &fs.PathError{Op: "open", Path: path, Err: syscall.EACCES}
	}
	rel, _ := filepath.Rel(f.root, path)
	f.Writes = append(f.Writes, rel+"="+v)
	return nil
}

func (f *FakePWM) readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// ReadFile implements FS.
func (f *FakePWM) ReadFile(path string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return SysFS{}.ReadFile(path)
}

// Exists implements FS.
func (f *FakePWM) Exists(path string) bool { return SysFS{}.Exists(path) }
