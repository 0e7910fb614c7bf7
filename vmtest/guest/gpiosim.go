package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// simChip is a gpio-sim chip made through configfs, with named lines.
type simChip struct {
	dir   string            // sysfs directory holding sim_gpioN
	lines map[string]string // line name → sim_gpioN directory
}

func writeFile(path, v string) error {
	if err := os.WriteFile(path, []byte(v), 0o644); err != nil {
		return fmt.Errorf("write %q to %s: %w", v, path, err)
	}
	return nil
}

// newSimChip creates configfs gpio-sim device dev with one bank of lines.
func newSimChip(dev string, names []string) (*simChip, error) {
	root := filepath.Join("/sys/kernel/config/gpio-sim", dev)
	bank := filepath.Join(root, "bank0")
	if err := os.MkdirAll(bank, 0o755); err != nil {
		return nil, fmt.Errorf("gpio-sim: %w", err)
	}
	if err := writeFile(filepath.Join(bank, "num_lines"), fmt.Sprint(len(names))); err != nil {
		return nil, err
	}
	for i, n := range names {
		l := filepath.Join(bank, fmt.Sprintf("line%d", i))
		if err := os.Mkdir(l, 0o755); err != nil {
			return nil, fmt.Errorf("gpio-sim: %w", err)
		}
		if err := writeFile(filepath.Join(l, "name"), n); err != nil {
			return nil, err
		}
	}
	if err := writeFile(filepath.Join(root, "live"), "1"); err != nil {
		return nil, err
	}
	devName, err := os.ReadFile(filepath.Join(root, "dev_name"))
	if err != nil {
		return nil, err
	}
	chip, err := os.ReadFile(filepath.Join(bank, "chip_name"))
	if err != nil {
		return nil, err
	}
	c := &simChip{dir: filepath.Join("/sys/devices/platform", strings.TrimSpace(string(devName)), strings.TrimSpace(string(chip))),
		lines: map[string]string{}}
	for i, n := range names {
		c.lines[n] = filepath.Join(c.dir, fmt.Sprintf("sim_gpio%d", i))
	}
	return c, nil
}

func (c *simChip) value(name string) (bool, error) {
	b, err := os.ReadFile(filepath.Join(c.lines[name], "value"))
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(string(b)) == "1", nil
}

// lineMonitor samples output lines and keeps, per line, how often it went
// high and whether it is high now.
type lineMonitor struct {
	mu    sync.Mutex
	rises map[string]int
	falls map[string]int
	state map[string]bool
	err   error
}

func (c *simChip) monitor(names []string, every time.Duration, stop <-chan struct{}) *lineMonitor {
	m := &lineMonitor{rises: map[string]int{}, falls: map[string]int{}, state: map[string]bool{}}
	for _, n := range names {
		v, _ := c.value(n)
		m.state[n] = v
	}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			for _, n := range names {
				v, err := c.value(n)
				m.mu.Lock()
				if err != nil {
					m.err = err
				} else if v != m.state[n] {
					if v {
						m.rises[n]++
					} else {
						m.falls[n]++
					}
					m.state[n] = v
				}
				m.mu.Unlock()
			}
		}
	}()
	return m
}

// snapshot returns rises and falls since the last reset, and clears them.
func (m *lineMonitor) reset() (rises, falls map[string]int, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rises, falls, err = m.rises, m.falls, m.err
	m.rises, m.falls = map[string]int{}, map[string]int{}
	return rises, falls, err
}

// allLow reports whether the sampler's last look found every line low, so
// the next rise it records is a new one.
func (m *lineMonitor) allLow() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range m.state {
		if v {
			return false
		}
	}
	return true
}

// level returns how often line name rose since the last reset and whether
// it was high at the last sample.
func (m *lineMonitor) level(name string) (rises int, high bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rises[name], m.state[name]
}
