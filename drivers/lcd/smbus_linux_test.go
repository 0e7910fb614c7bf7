package lcd

import (
	"testing"
	"unsafe"
)

// The ioctl argument must match struct i2c_smbus_ioctl_data exactly:
// two u8, padding, a u32 and a pointer.
func TestSMBusIoctlLayout(t *testing.T) {
	var d smbusIoctlData
	want := uintptr(8) + unsafe.Sizeof(uintptr(0))
	if unsafe.Sizeof(d) != want || unsafe.Offsetof(d.size) != 4 || unsafe.Offsetof(d.data) != 8 {
		t.Errorf("size %d (want %d), size at %d, data at %d", unsafe.Sizeof(d), want, unsafe.Offsetof(d.size), unsafe.Offsetof(d.data))
	}
}

func TestOpenSMBusMissingDevice(t *testing.T) {
	if _, err := OpenSMBus("/dev/i2c-does-not-exist", 0x27); err == nil {
		t.Error("OpenSMBus on a missing device succeeded")
	}
}
