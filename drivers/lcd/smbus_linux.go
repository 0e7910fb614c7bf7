package lcd

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// From linux/i2c-dev.h and linux/i2c.h.
const (
	ioctlI2CSlave = 0x0703
	ioctlI2CSMBus = 0x0720
	smbusWrite    = 0
	smbusByte     = 1 // I2C_SMBUS_BYTE: send-byte when writing, no data block
)

// smbusIoctlData is struct i2c_smbus_ioctl_data.
type smbusIoctlData struct {
	readWrite uint8
	command   uint8
	size      uint32
	data      uintptr
}

// SMBusWriter sends each byte as an SMBus send-byte on /dev/i2c-N. The
// PCF8574 sees the same pin states as with a plain write, one transaction
// per byte, so it also works on SMBus-only adapters (i2c-stub, some
// SoC controllers).
type SMBusWriter struct {
	f    *os.File
	addr uint16
}

// OpenSMBus opens dev (for example /dev/i2c-1) and addresses addr.
func OpenSMBus(dev string, addr uint16) (*SMBusWriter, error) {
	f, err := os.OpenFile(dev, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("lcd: open %s: %w", dev, err)
	}
	if err := unix.IoctlSetInt(int(f.Fd()), ioctlI2CSlave, int(addr)); err != nil {
		f.Close()
		return nil, fmt.Errorf("lcd: %s: address %#x: %w", dev, addr, err)
	}
	return &SMBusWriter{f: f, addr: addr}, nil
}

// WriteBytes implements ByteWriter.
func (w *SMBusWriter) WriteBytes(b []byte) error {
	for _, c := range b {
		req := smbusIoctlData{readWrite: smbusWrite, command: c, size: smbusByte}
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, w.f.Fd(), ioctlI2CSMBus, uintptr(unsafe.Pointer(&req)))
		if errno != 0 {
			return fmt.Errorf("lcd: smbus send-byte %#02x to %#x: %w", c, w.addr, errno)
		}
	}
	return nil
}

// Close releases the device file.
func (w *SMBusWriter) Close() error { return w.f.Close() }
