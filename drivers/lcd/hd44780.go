package lcd

import (
	"fmt"
	"image/color"
	"strings"
	"sync"
	"time"
)

// PCF8574 pin assignment of the common backpack.
const (
	pinRS        = 1 << 0 // register select: 0 instruction, 1 data
	pinE         = 1 << 2 // enable: the HD44780 latches a nibble on its falling edge
	pinBacklight = 1 << 3
)

// HD44780 instructions (Hitachi HD44780U datasheet, Table 6, p.24).
const (
	cmdClear       = 0x01
	cmdEntryMode   = 0x06 // increment address, no display shift
	cmdDisplayOff  = 0x08
	cmdDisplayOn   = 0x0c // display on, cursor off, blink off
	cmdFunction4x2 = 0x28 // 4-bit bus, 2-line mode (4-line modules too), 5×8 dots
	cmdSetDDRAM    = 0x80
)

// HD44780 is a character LCD behind a PCF8574 backpack.
type HD44780 struct {
	w          ByteWriter
	cols, rows int
	sleep      func(time.Duration)

	mu        sync.Mutex
	backlight byte
	shown     []string
}

// NewHD44780 initialises a cols×rows display (16×2, 20×4, ...) on w and
// switches its backlight on.
func NewHD44780(w ByteWriter, cols, rows int) (*HD44780, error) {
	return newHD44780(w, cols, rows, time.Sleep)
}

func newHD44780(w ByteWriter, cols, rows int, sleep func(time.Duration)) (*HD44780, error) {
	if cols < 8 || cols > 40 || rows < 1 || rows > 4 || cols*rows > 80 {
		return nil, fmt.Errorf("lcd: hd44780: unsupported geometry %d×%d", cols, rows)
	}
	d := &HD44780{w: w, cols: cols, rows: rows, sleep: sleep, backlight: pinBacklight}
	if err := d.init(); err != nil {
		return nil, err
	}
	return d, nil
}

// nibble appends the two PCF8574 states that clock one 4-bit value in:
// E high with the data set up, then E low to latch it.
func (d *HD44780) nibble(buf []byte, rs, n byte) []byte {
	v := n<<4 | d.backlight | rs
	return append(buf, v|pinE, v)
}

func (d *HD44780) instr(buf []byte, c byte) []byte {
	return d.nibble(d.nibble(buf, 0, c>>4), 0, c&0x0f)
}

func (d *HD44780) data(buf []byte, c byte) []byte {
	return d.nibble(d.nibble(buf, pinRS, c>>4), pinRS, c&0x0f)
}

// init follows "Initializing by Instruction", 4-bit interface (HD44780U
// datasheet, Figure 24, p.46): three 0x3 nibbles with waits of more than
// 4.1 ms and 100 µs, then 0x2 to switch to 4 bits. At 100–400 kHz each
// byte takes 22–90 µs on the bus, longer than the 37 µs most instructions
// need, so only the waits of the figure and the 1.52 ms of Clear are slept.
func (d *HD44780) init() error {
	steps := []struct {
		bytes []byte
		wait  time.Duration
	}{
		{[]byte{d.backlight}, 50 * time.Millisecond}, // > 40 ms after Vcc reaches 2.7 V
		{d.nibble(nil, 0, 0x3), 5 * time.Millisecond},
		{d.nibble(nil, 0, 0x3), 150 * time.Microsecond},
		{d.instr(d.instr(d.instr(d.nibble(d.nibble(nil, 0, 0x3), 0, 0x2), cmdFunction4x2), cmdDisplayOff), cmdClear), 2 * time.Millisecond},
		{d.instr(d.instr(nil, cmdEntryMode), cmdDisplayOn), 0},
	}
	for _, s := range steps {
		if err := d.w.WriteBytes(s.bytes); err != nil {
			return fmt.Errorf("lcd: hd44780 init: %w", err)
		}
		if s.wait > 0 {
			d.sleep(s.wait)
		}
	}
	return nil
}

// rowAddress is the DDRAM address of a row's first column: rows 3 and 4
// continue rows 1 and 2 (HD44780U datasheet, Figure 4 and 5, p.11).
func (d *HD44780) rowAddress(row int) byte {
	return byte(row%2*0x40 + row/2*d.cols)
}

// ShowText writes lines, transliterated and centred, over the whole
// display; rows without text are blanked. The background colour is not
// shown: the LEDs carry it. An unchanged screen is not rewritten.
func (d *HD44780) ShowText(_ color.Color, lines []string) error {
	rows := ASCIILines(lines, d.cols, d.rows)
	d.mu.Lock()
	defer d.mu.Unlock()
	if equal(rows, d.shown) {
		return nil
	}
	var buf []byte
	for r := range d.rows {
		text := ""
		if r < len(rows) {
			text = rows[r]
		}
		pad := (d.cols - len(text)) / 2
		text = strings.Repeat(" ", pad) + text + strings.Repeat(" ", d.cols-pad-len(text))
		buf = d.instr(buf, cmdSetDDRAM|d.rowAddress(r))
		for i := range d.cols {
			buf = d.data(buf, text[i])
		}
	}
	if err := d.w.WriteBytes(buf); err != nil {
		d.shown = nil
		return err
	}
	d.shown = rows
	return nil
}

// SetBacklight switches the backlight; the pin state is part of every
// byte sent, so it holds until the next change.
func (d *HD44780) SetBacklight(on bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.backlight = 0
	if on {
		d.backlight = pinBacklight
	}
	return d.w.WriteBytes([]byte{d.backlight})
}

// Halt blanks the display and switches the backlight off.
func (d *HD44780) Halt() error {
	d.mu.Lock()
	d.backlight = 0
	err := d.w.WriteBytes(d.instr(nil, cmdDisplayOff))
	d.shown = nil
	d.mu.Unlock()
	return err
}

func equal(a, b []string) bool {
	if len(a) != len(b) || a == nil || b == nil {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
