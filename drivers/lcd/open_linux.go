package lcd

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"periph.io/x/host/v3/sysfs"
)

// CharConfig selects an HD44780 character LCD behind a PCF8574 backpack.
type CharConfig struct {
	Bus        string // "/dev/i2c-1" or "1"
	Addr       uint16 // 0x27 when 0 (0x3F for a PCF8574A)
	Cols, Rows int    // 16×2 when 0
	// SMBus sends each byte as an SMBus send-byte instead of one plain
	// I2C write, for adapters that only speak SMBus.
	SMBus bool
}

// busNumber accepts "/dev/i2c-N" or "N".
func busNumber(bus string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(bus, "/dev/i2c-"))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("lcd: i2c bus %q: want /dev/i2c-N or N", bus)
	}
	return n, nil
}

// OpenHD44780 opens the bus, initialises the display and returns it with
// the closer that releases the bus.
func OpenHD44780(cfg CharConfig) (*HD44780, io.Closer, error) {
	if cfg.Addr == 0 {
		cfg.Addr = 0x27
	}
	if cfg.Cols == 0 && cfg.Rows == 0 {
		cfg.Cols, cfg.Rows = 16, 2
	}
	n, err := busNumber(cfg.Bus)
	if err != nil {
		return nil, nil, err
	}
	var (
		w      ByteWriter
		closer io.Closer
	)
	if cfg.SMBus {
		s, err := OpenSMBus(fmt.Sprintf("/dev/i2c-%d", n), cfg.Addr)
		if err != nil {
			return nil, nil, err
		}
		w, closer = s, s
	} else {
		bus, err := sysfs.NewI2C(n)
		if err != nil {
			return nil, nil, fmt.Errorf("lcd: open i2c bus %d: %w", n, err)
		}
		w, closer = NewI2CWriter(bus, cfg.Addr), bus
	}
	d, err := NewHD44780(w, cfg.Cols, cfg.Rows)
	if err != nil {
		closer.Close()
		return nil, nil, err
	}
	return d, closer, nil
}

// OpenOLED opens the bus ("/dev/i2c-1" or "1") and initialises an SSD1306
// at 0x3C, returning it with the closer that releases the bus.
func OpenOLED(busName string) (*OLED, io.Closer, error) {
	n, err := busNumber(busName)
	if err != nil {
		return nil, nil, err
	}
	bus, err := sysfs.NewI2C(n)
	if err != nil {
		return nil, nil, fmt.Errorf("lcd: open i2c bus %d: %w", n, err)
	}
	o, err := NewOLED(bus)
	if err != nil {
		bus.Close()
		return nil, nil, err
	}
	return o, bus, nil
}
