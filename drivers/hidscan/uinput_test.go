package hidscan

import (
	"encoding/binary"
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// uinput ioctls (linux/uinput.h).
const (
	uiSetEvBit   = 1<<30 | 4<<16 | 'U'<<8 | 100
	uiSetKeyBit  = 1<<30 | 4<<16 | 'U'<<8 | 101
	uiDevCreate  = 'U'<<8 | 1
	uiDevDestroy = 'U'<<8 | 2
)

// TestUinputKeyboard creates a real virtual keyboard through uinput, finds it
// by name, grabs it and reads a typed code: the kernel's evdev, not a FIFO.
func TestUinputKeyboard(t *testing.T) {
	u, err := os.OpenFile("/dev/uinput", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("needs a writable /dev/uinput (modprobe uinput, root): %v", err)
	}
	defer u.Close()
	fd := int(u.Fd())
	if err := unix.IoctlSetInt(fd, uiSetEvBit, EvKey); err != nil {
		t.Fatalf("UI_SET_EVBIT: %v", err)
	}
	for k := 1; k < 128; k++ {
		if err := unix.IoctlSetInt(fd, uiSetKeyBit, k); err != nil {
			t.Fatalf("UI_SET_KEYBIT %d: %v", k, err)
		}
	}
	name := fmt.Sprintf("scangate test scanner %d", os.Getpid())
	// struct uinput_user_dev: name[80], input_id (4 x u16), ff_effects_max,
	// then absmax, absmin, absfuzz, absflat (64 x s32 each).
	dev := make([]byte, 80+8+4+4*64*4)
	copy(dev, name)
	binary.NativeEndian.PutUint16(dev[80:], 0x03) // BUS_USB
	binary.NativeEndian.PutUint16(dev[82:], 0x1234)
	binary.NativeEndian.PutUint16(dev[84:], 0x5678)
	if _, err := u.Write(dev); err != nil {
		t.Fatalf("write uinput_user_dev: %v", err)
	}
	if err := unix.IoctlSetInt(fd, uiDevCreate, 0); err != nil {
		t.Fatalf("UI_DEV_CREATE: %v", err)
	}
	defer unix.IoctlSetInt(fd, uiDevDestroy, 0)

	s, err := Open(Config{Name: name, Logger: quiet, ReopenMin: 10 * time.Millisecond, ReopenMax: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st := waitState(t, s, func(st State) bool { return st.Status == "open" })
	if st.DeviceName != name {
		t.Fatalf("opened %q (%s)", st.DeviceName, st.Device)
	}
	// The grab is exclusive: a second grab of the same node fails.
	if other, err := os.OpenFile(st.Device, os.O_RDONLY, 0); err == nil {
		if err := unix.IoctlSetInt(int(other.Fd()), uint(evIOCGRAB), 1); err == nil {
			t.Error("second EVIOCGRAB succeeded: the scanner does not hold the grab")
		}
		other.Close()
	}
	// uinput takes records without their time; the kernel stamps them.
	events, err := KeyEvents(nil, "SG1:UINPUT $%*+-./:\n", time.Unix(0, 0), NativeLayout)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write(events); err != nil {
		t.Fatalf("write events: %v", err)
	}
	if got, _ := read(t, s); got != "SG1:UINPUT $%*+-./:" {
		t.Fatalf("got %q", got)
	}
}
