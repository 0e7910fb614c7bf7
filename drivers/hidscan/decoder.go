package hidscan

import "time"

// DefaultTimeout is the gap after the last key that ends a code without Enter.
const DefaultTimeout = 150 * time.Millisecond

// DefaultMaxLine is the longest code, in bytes, the decoder assembles.
const DefaultMaxLine = 4096

// DecoderConfig tunes a Decoder.
type DecoderConfig struct {
	Timeout time.Duration // 0 means DefaultTimeout; <0: only Enter ends a code
	MaxLine int           // 0 means DefaultMaxLine
}

// DecoderStats counts what the Decoder saw.
type DecoderStats struct {
	Codes          uint64 // codes emitted
	PartialFlushed uint64 // codes ended by the timeout, not Enter
	UnknownKeys    uint64 // key presses the keymap cannot translate
	DroppedLines   uint64 // codes dropped because they held an unknown key
	Overlong       uint64 // codes dropped for exceeding MaxLine
	SynDropped     uint64 // kernel buffer overruns (SYN_DROPPED)
}

// Decoder turns key events into codes. It is a pure state machine: time comes
// from the events, so recorded streams replay exactly. It is not safe for
// concurrent use.
type Decoder struct {
	timeout time.Duration
	maxLine int

	lshift, rshift, caps bool
	ctrl, alt, meta      uint8 // bit 0 left, bit 1 right
	buf                  []byte
	last                 time.Time // newest character key of the current code
	tainted, overlong    bool
	resyncing            bool // after SYN_DROPPED, until SYN_REPORT
	stats                DecoderStats
}

// NewDecoder returns a Decoder for cfg.
func NewDecoder(cfg DecoderConfig) *Decoder {
	d := &Decoder{timeout: cfg.Timeout, maxLine: cfg.MaxLine}
	if d.timeout == 0 {
		d.timeout = DefaultTimeout
	}
	if d.maxLine <= 0 {
		d.maxLine = DefaultMaxLine
	}
	d.buf = make([]byte, 0, d.maxLine)
	return d
}

// Stats returns the counters so far.
func (d *Decoder) Stats() DecoderStats { return d.stats }

func (d *Decoder) pending() bool { return len(d.buf) > 0 || d.tainted || d.overlong }

// Deadline reports, in event time, when the current partial code times out.
func (d *Decoder) Deadline() (deadline time.Time, ok bool) {
	if !d.pending() || d.timeout < 0 {
		return time.Time{}, false
	}
	return d.last.Add(d.timeout), true
}

// Expire ends the current code if no key came for the timeout before now.
func (d *Decoder) Expire(now time.Time, emit func(text []byte, at time.Time)) {
	if !d.pending() || d.timeout < 0 || now.Sub(d.last) < d.timeout {
		return
	}
	d.endLine(d.last.Add(d.timeout), emit, true)
}

// Reset forgets the partial code and all held keys, as after an unplug.
// Caps Lock is kept: it is a toggle the scanner believes is still set.
func (d *Decoder) Reset() {
	d.buf = d.buf[:0]
	d.tainted, d.overlong, d.resyncing = false, false, false
	d.lshift, d.rshift = false, false
	d.ctrl, d.alt, d.meta = 0, 0, 0
}

func setBit(b *uint8, bit uint8, on bool) {
	if on {
		*b |= bit
	} else {
		*b &^= bit
	}
}

// Feed consumes one event, calling emit for a completed code. text is only
// valid during the call to emit.
func (d *Decoder) Feed(ev Event, emit func(text []byte, at time.Time)) {
	if ev.Type == EvSyn {
		switch {
		case ev.Code == SynDropped:
			// Events were lost: the code in progress is corrupt and held
			// keys are unknown. Drop everything up to the next report.
			d.stats.SynDropped++
			if d.pending() {
				d.stats.DroppedLines++
			}
			d.Reset()
			d.resyncing = true
		case ev.Code == SynReport:
			d.resyncing = false
		}
		return
	}
	if ev.Type != EvKey || d.resyncing || ev.Value == 2 {
		return
	}
	d.Expire(ev.Time, emit)
	down := ev.Value != 0
	switch ev.Code {
	case KeyLeftShift:
		d.lshift = down
		return
	case KeyRightShift:
		d.rshift = down
		return
	case KeyLeftCtrl, KeyRightCtrl:
		setBit(&d.ctrl, sideBit(ev.Code == KeyRightCtrl), down)
		return
	case KeyLeftAlt, KeyRightAlt:
		setBit(&d.alt, sideBit(ev.Code == KeyRightAlt), down)
		return
	case KeyLeftMeta, KeyRightMeta:
		setBit(&d.meta, sideBit(ev.Code == KeyRightMeta), down)
		return
	case KeyCapsLock:
		if down {
			d.caps = !d.caps
		}
		return
	case KeyNumLock, KeyScrollLock:
		return
	}
	if !down {
		return
	}
	if ev.Code == KeyEnter || ev.Code == KeyKPEnter {
		d.endLine(ev.Time, emit, false)
		return
	}
	d.last = ev.Time
	var c byte
	if int(ev.Code) < len(usKeys) {
		c = d.char(usKeys[ev.Code])
	}
	if c == 0 || d.ctrl|d.alt|d.meta != 0 {
		d.stats.UnknownKeys++
		d.tainted = true
		return
	}
	if d.overlong {
		return
	}
	if len(d.buf) == d.maxLine {
		d.stats.Overlong++
		d.overlong = true
		d.buf = d.buf[:0]
		return
	}
	d.buf = append(d.buf, c)
}

func sideBit(right bool) uint8 {
	if right {
		return 2
	}
	return 1
}

func (d *Decoder) char(k keyChars) byte {
	shift := d.lshift || d.rshift
	if isLetter(k.plain) {
		shift = shift != d.caps // Caps Lock inverts Shift for letters only
	}
	if shift {
		return k.shifted
	}
	return k.plain
}

func (d *Decoder) endLine(at time.Time, emit func(text []byte, at time.Time), partial bool) {
	line := d.buf
	d.buf = d.buf[:0]
	switch {
	case d.overlong:
		// counted when it overflowed
	case d.tainted:
		d.stats.DroppedLines++
	case len(line) > 0:
		d.stats.Codes++
		if partial {
			d.stats.PartialFlushed++
		}
		emit(line, at)
	}
	d.tainted, d.overlong = false, false
}
