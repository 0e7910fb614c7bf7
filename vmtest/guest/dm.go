package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// A device-mapper client over /dev/mapper/control, so the guest needs no
// dmsetup or libdevmapper. Layouts are include/uapi/linux/dm-ioctl.h
// (interface 4.x): struct dm_ioctl (312 bytes), then struct dm_target_spec
// (40 bytes) and its parameter string for DM_TABLE_LOAD, or struct
// dm_target_msg for DM_TARGET_MSG.

const (
	dmHeaderSize = 312
	dmSpecSize   = 40
	dmNameOff    = 48
	dmNameLen    = 128
)

// dmIoctl is _IOWR(0xfd, nr, struct dm_ioctl).
func dmIoctl(nr uintptr) uintptr { return 3<<30 | dmHeaderSize<<16 | 0xfd<<8 | nr }

var (
	dmDevCreate  = dmIoctl(3)
	dmDevRemove  = dmIoctl(4)
	dmDevSuspend = dmIoctl(6)
	dmTableLoad  = dmIoctl(9)
	dmTargetMsg  = dmIoctl(14)
)

// dmCall runs one ioctl for device name with payload after the header and
// returns the header the kernel wrote back.
func dmCall(cmd uintptr, name string, targets uint32, payload []byte) ([]byte, error) {
	if len(name) >= dmNameLen {
		return nil, fmt.Errorf("dm: name %q too long", name)
	}
	ctl, err := os.OpenFile("/dev/mapper/control", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("dm: %w", err)
	}
	defer ctl.Close()
	buf := make([]byte, dmHeaderSize+len(payload)+16384) // room for the kernel's reply
	le := binary.LittleEndian
	le.PutUint32(buf[0:], 4) // interface major; minor 0 is accepted by every 4.x kernel
	le.PutUint32(buf[12:], uint32(len(buf)))
	le.PutUint32(buf[16:], dmHeaderSize)
	le.PutUint32(buf[20:], targets)
	copy(buf[dmNameOff:dmNameOff+dmNameLen], name)
	copy(buf[dmHeaderSize:], payload)
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, ctl.Fd(), cmd, uintptr(unsafe.Pointer(&buf[0])))
	if errno != 0 {
		return nil, errno
	}
	return buf[:dmHeaderSize], nil
}

// dmDev is one mapped device and the node the guest made for it.
type dmDev struct {
	name string
	node string
}

// dmCreate makes device name with a single target covering sectors
// (512-byte) and activates it: DM_DEV_CREATE, DM_TABLE_LOAD, resume.
func dmCreate(name, target, params string, sectors int64) (*dmDev, error) {
	if _, err := dmCall(dmDevCreate, name, 0, nil); err != nil {
		return nil, fmt.Errorf("dm: create %s: %w", name, err)
	}
	spec := make([]byte, dmSpecSize+len(params)+1)
	binary.LittleEndian.PutUint64(spec[8:], uint64(sectors))
	copy(spec[24:40], target)
	copy(spec[dmSpecSize:], params)
	for len(spec)%8 != 0 {
		spec = append(spec, 0)
	}
	binary.LittleEndian.PutUint32(spec[20:], uint32(len(spec))) // next
	if _, err := dmCall(dmTableLoad, name, 1, spec); err != nil {
		dmRemoveName(name)
		return nil, fmt.Errorf("dm: load %s %q: %w", target, params, err)
	}
	// DM_DEV_SUSPEND without DM_SUSPEND_FLAG resumes: the loaded table goes live.
	hdr, err := dmCall(dmDevSuspend, name, 0, nil)
	if err != nil {
		dmRemoveName(name)
		return nil, fmt.Errorf("dm: resume %s: %w", name, err)
	}
	d := &dmDev{name: name, node: filepath.Join("/dev/mapper", name)}
	os.Remove(d.node)
	// No udev here to make the node. The kernel returns dev as
	// huge_encode_dev(), the same encoding mknod(2) decodes.
	if err := syscall.Mknod(d.node, syscall.S_IFBLK|0o600, int(binary.LittleEndian.Uint64(hdr[40:]))); err != nil {
		d.remove()
		return nil, fmt.Errorf("dm: mknod %s: %w", d.node, err)
	}
	return d, nil
}

// message sends a target message, e.g. "mark NAME" to log-writes.
func (d *dmDev) message(msg string) error {
	p := make([]byte, 8+len(msg)+1) // struct dm_target_msg: sector 0, text
	copy(p[8:], msg)
	if _, err := dmCall(dmTargetMsg, d.name, 0, p); err != nil {
		return fmt.Errorf("dm: message %s %q: %w", d.name, msg, err)
	}
	return nil
}

// remove tears the device down; log-writes writes its end mark and final
// super block here.
func (d *dmDev) remove() error {
	os.Remove(d.node)
	return dmRemoveName(d.name)
}

func dmRemoveName(name string) error {
	var err error
	for range 50 { // a just-unmounted device can stay busy for a moment
		if _, err = dmCall(dmDevRemove, name, 0, nil); !errors.Is(err, syscall.EBUSY) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("dm: remove %s: %w", name, err)
	}
	return nil
}

// diskBySerial finds the virtio disk QEMU was given serial=s.
func diskBySerial(s string) (string, int64, error) {
	dirs, _ := filepath.Glob("/sys/block/vd*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "serial"))
		if err != nil || strings.TrimSpace(string(b)) != s {
			continue
		}
		sz, err := os.ReadFile(filepath.Join(d, "size"))
		if err != nil {
			return "", 0, fmt.Errorf("disk %s: %w", s, err)
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(sz)), 10, 64)
		if err != nil {
			return "", 0, fmt.Errorf("disk %s size: %w", s, err)
		}
		return "/dev/" + filepath.Base(d), n, nil
	}
	return "", 0, fmt.Errorf("no virtio disk with serial %q", s)
}
