package main

import "strings"

// lcdModel replays the bytes a PCF8574 backpack received into the
// HD44780's display memory, the way the controller reads them: a nibble
// (P4–P7) is latched on E's falling edge, P0 selects data or instruction.
// It starts in 8-bit mode, as after power-on.
type lcdModel struct {
	cols, rows int
	ddram      [128]byte
	addr       int
	fourBit    bool
	half       bool // a first nibble is pending
	hi         byte
	lastE      bool
	displayOn  bool
	screens    []string // what was on show each time row 1 was rewritten
}

func newLCDModel(cols, rows int) *lcdModel {
	m := &lcdModel{cols: cols, rows: rows}
	for i := range m.ddram {
		m.ddram[i] = ' '
	}
	return m
}

func (m *lcdModel) feed(bs []byte) {
	for _, b := range bs {
		e := b&0x04 != 0
		if m.lastE && !e {
			m.latch(b&0x01 != 0, b>>4)
		}
		m.lastE = e
	}
}

func (m *lcdModel) latch(rs bool, n byte) {
	if !m.fourBit {
		if !rs {
			m.exec(n << 4)
		}
		return
	}
	if !m.half {
		m.hi, m.half = n, true
		return
	}
	m.half = false
	v := m.hi<<4 | n
	if rs {
		m.ddram[m.addr&0x7f] = v
		m.addr++
		return
	}
	m.exec(v)
}

func (m *lcdModel) exec(c byte) {
	switch {
	case c&0x80 != 0:
		if c&0x7f == 0 {
			m.screens = append(m.screens, m.text())
		}
		m.addr = int(c & 0x7f)
	case c&0x20 != 0: // function set: DL bit selects the bus width
		m.fourBit = c&0x10 == 0
	case c&0x08 != 0:
		m.displayOn = c&0x04 != 0
	case c == 0x01:
		for i := range m.ddram {
			m.ddram[i] = ' '
		}
		m.addr = 0
	case c&0xfe == 0x02:
		m.addr = 0
	}
}

// text is what the display shows, rows joined by " / ", trimmed.
func (m *lcdModel) text() string {
	var rows []string
	for r := 0; r < m.rows; r++ {
		start := r%2*0x40 + r/2*m.cols
		rows = append(rows, strings.TrimSpace(string(m.ddram[start:start+m.cols])))
	}
	return strings.Join(rows, " / ")
}
