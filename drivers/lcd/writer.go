package lcd

import (
	"fmt"

	"periph.io/x/conn/v3/i2c"
)

// ByteWriter delivers successive PCF8574 output states; the expander
// latches each byte onto its pins as it is acknowledged.
type ByteWriter interface {
	WriteBytes(b []byte) error
}

// I2CWriter sends a whole stream as one plain I2C write.
type I2CWriter struct {
	Dev *i2c.Dev
}

// NewI2CWriter addresses the backpack (usually 0x27, or 0x3F for the
// PCF8574A) on bus.
func NewI2CWriter(bus i2c.Bus, addr uint16) *I2CWriter {
	return &I2CWriter{Dev: &i2c.Dev{Bus: bus, Addr: addr}}
}

// WriteBytes implements ByteWriter.
func (w *I2CWriter) WriteBytes(b []byte) error {
	if err := w.Dev.Tx(b, nil); err != nil {
		return fmt.Errorf("lcd: i2c write %d bytes to %#x: %w", len(b), w.Dev.Addr, err)
	}
	return nil
}
