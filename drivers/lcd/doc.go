// Package lcd drives the kiosk's screens: an HD44780 character LCD behind a
// PCF8574 I2C backpack, an SSD1306 128×64 OLED, and the Linux framebuffer
// (/dev/fb0) for full Chinese text.
//
// Every screen implements ShowText(bg color.Color, lines []string), the
// interface the display package asks for, without importing it. Lines come
// Chinese first, then English. The HD44780 has no CJK glyphs: ASCIILines
// transliterates Chinese to pinyin and, when rows run short, drops a
// Chinese line that has its English translation next to it.
//
// The HD44780 is driven in 4-bit mode through the backpack's 8 output pins
// (the common wiring: P0 RS, P1 RW, P2 E, P3 backlight, P4–P7 D4–D7). Bytes
// reach the PCF8574 through a ByteWriter: I2CWriter sends a stream as one
// I2C write (periph's i2c.Bus), SMBusWriter sends each byte as an SMBus
// send-byte for adapters that only speak SMBus, such as i2c-stub in the VM
// test.
//
// periph.io/x/devices/v3/hd44780 is not used: it drives six separate GPIO
// pins (a PCF8574 would then need one I2C transaction per pin change),
// has no backlight, and its init sequence sends 0x14 where the datasheet's
// function set for two lines in 4-bit mode is 0x28.
package lcd
