package hidscan

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// evdev ioctl numbers (linux/input.h), built as the kernel's _IOC macro does
// on arm, arm64 and x86.
const (
	iocWrite = 1
	iocRead  = 2
)

func ioc(dir, nr, size uintptr) uintptr { return dir<<30 | size<<16 | 'E'<<8 | nr }

var (
	evIOCGRAB     = ioc(iocWrite, 0x90, 4)
	evIOCSCLOCKID = ioc(iocWrite, 0xa0, 4)
)

func evIOCGNAME(size uintptr) uintptr    { return ioc(iocRead, 0x06, size) }
func evIOCGBIT(ev, size uintptr) uintptr { return ioc(iocRead, 0x20+ev, size) }
func ioctlBuf(fd int, req uintptr, b []byte) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(&b[0])))
	if errno != 0 {
		return errno
	}
	return nil
}

// deviceName returns the evdev device name (EVIOCGNAME).
func deviceName(fd int) (string, error) {
	b := make([]byte, 256)
	if err := ioctlBuf(fd, evIOCGNAME(uintptr(len(b))), b); err != nil {
		return "", err
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b), nil
}

// typesCodes reports whether the device has the keys a scanner types: Enter
// and the digit row. Scanners often also expose mouse or consumer-control
// nodes under the same name.
func typesCodes(fd int) bool {
	b := make([]byte, 96) // KEY_MAX/8 + 1
	if err := ioctlBuf(fd, evIOCGBIT(EvKey, uintptr(len(b))), b); err != nil {
		return false
	}
	has := func(k int) bool { return b[k/8]&(1<<(k%8)) != 0 }
	return has(KeyEnter) && has(2) && has(11)
}

// findByName returns the first /dev/input/event* node whose name contains
// name and that can type codes, in event-number order.
func findByName(dir, name string) (string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "event*"))
	if err != nil {
		return "", err
	}
	num := func(p string) int { n, _ := strconv.Atoi(strings.TrimPrefix(filepath.Base(p), "event")); return n }
	sort.Slice(paths, func(i, j int) bool { return num(paths[i]) < num(paths[j]) })
	for _, p := range paths {
		fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		n, err := deviceName(fd)
		ok := err == nil && strings.Contains(n, name) && typesCodes(fd)
		unix.Close(fd)
		if ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("hidscan: no keyboard named %q in %s: %w", name, dir, os.ErrNotExist)
}

// prepare sets up an opened device: monotonic timestamps (best effort: a
// pipe standing in for a device has none) and, unless disabled, the grab.
func prepare(f *os.File, grab bool) (name string, err error) {
	conn, err := f.SyscallConn()
	if err != nil {
		return "", err
	}
	var gerr error
	err = conn.Control(func(fd uintptr) {
		name, _ = deviceName(int(fd))
		_ = unix.IoctlSetPointerInt(int(fd), uint(evIOCSCLOCKID), unix.CLOCK_MONOTONIC)
		if grab {
			gerr = unix.IoctlSetInt(int(fd), uint(evIOCGRAB), 1)
		}
	})
	if err == nil && gerr != nil {
		if errors.Is(gerr, unix.ENOTTY) || errors.Is(gerr, unix.EINVAL) {
			err = fmt.Errorf("hidscan: grab %s: not an evdev device: %w", f.Name(), gerr)
		} else {
			err = fmt.Errorf("hidscan: grab %s: %w", f.Name(), gerr)
		}
	}
	return name, err
}
