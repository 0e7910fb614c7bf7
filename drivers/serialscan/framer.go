package serialscan

import (
	"bytes"
	"time"
	"unicode/utf8"
)

// DefaultMaxLine is the longest line, in bytes, that becomes a code.
const DefaultMaxLine = 4096

// DefaultCharTimeout is the inter-character gap that ends a partial line.
const DefaultCharTimeout = 100 * time.Millisecond

// FramerConfig tells a Framer how the scanner delimits codes.
type FramerConfig struct {
	Suffix       []byte        // terminator; empty means CR, LF or CRLF
	Prefix       []byte        // stripped from the start of a line when present
	MaxLine      int           // longest accepted line in bytes; 0 means DefaultMaxLine
	CharTimeout  time.Duration // gap that ends a partial line; 0 means default, <0 never
	FlushPartial bool          // a timed-out partial line becomes a code (else discarded)
}

// FramerStats counts what the Framer saw.
type FramerStats struct {
	Codes            uint64 // lines emitted as codes
	NULBytes         uint64 // NUL bytes skipped (UART framing errors, breaks)
	InvalidUTF8      uint64 // lines dropped because they were not valid UTF-8
	Overlong         uint64 // lines dropped because they exceeded MaxLine
	PartialFlushed   uint64 // timed-out partial lines emitted as codes
	PartialDiscarded uint64 // timed-out or interrupted partial lines dropped
}

// Framer turns a byte stream into lines. It is a pure state machine: the
// caller supplies arrival times, so it is deterministic under test and fuzzing.
// It is not safe for concurrent use.
type Framer struct {
	suffix   []byte
	prefix   []byte
	maxLine  int
	timeout  time.Duration
	flush    bool
	buf      []byte
	last     time.Time // arrival of the newest byte of the current line
	dropping bool      // overlong line: discard until the next terminator
	stats    FramerStats
}

// NewFramer returns a Framer for cfg.
func NewFramer(cfg FramerConfig) *Framer {
	f := &Framer{
		suffix:  bytes.Clone(cfg.Suffix),
		prefix:  bytes.Clone(cfg.Prefix),
		maxLine: cfg.MaxLine,
		timeout: cfg.CharTimeout,
		flush:   cfg.FlushPartial,
	}
	if f.maxLine <= 0 {
		f.maxLine = DefaultMaxLine
	}
	if f.timeout == 0 {
		f.timeout = DefaultCharTimeout
	}
	f.buf = make([]byte, 0, f.maxLine+len(f.suffix))
	return f
}

// Stats returns the counters so far.
func (f *Framer) Stats() FramerStats { return f.stats }

func (f *Framer) pending() bool { return len(f.buf) > 0 || f.dropping }

// Deadline reports when the current partial line times out; ok is false when
// there is no partial line or timeouts are disabled.
func (f *Framer) Deadline() (deadline time.Time, ok bool) {
	if !f.pending() || f.timeout < 0 {
		return time.Time{}, false
	}
	return f.last.Add(f.timeout), true
}

// Expire ends the partial line if it has been silent for the timeout at now.
// emit receives a flushed line; text is only valid during the call.
func (f *Framer) Expire(now time.Time, emit func(text []byte, at time.Time)) {
	if !f.pending() || f.timeout < 0 || now.Sub(f.last) < f.timeout {
		return
	}
	if f.dropping {
		// The overlong line ended without a terminator: resynchronise here.
		f.dropping = false
		f.buf = f.buf[:0]
		return
	}
	if !f.flush {
		f.stats.PartialDiscarded++
		f.buf = f.buf[:0]
		return
	}
	f.endLine(now, emit, true)
}

// Reset drops any partial line, as when the port goes away mid-code.
func (f *Framer) Reset() {
	if len(f.buf) > 0 && !f.dropping {
		f.stats.PartialDiscarded++
	}
	f.buf = f.buf[:0]
	f.dropping = false
}

// Feed consumes bytes that arrived at at, calling emit once per complete
// line. text is only valid during the call to emit.
func (f *Framer) Feed(p []byte, at time.Time, emit func(text []byte, at time.Time)) {
	f.Expire(at, emit)
	ls := len(f.suffix)
	for _, c := range p {
		if c == 0 {
			f.stats.NULBytes++
			continue
		}
		if ls == 0 {
			if c == '\r' || c == '\n' {
				f.endLine(at, emit, false)
				continue
			}
			if f.dropping {
				continue
			}
			f.buf = append(f.buf, c)
			if len(f.buf) > f.maxLine {
				f.startDropping(0)
			}
			continue
		}
		f.buf = append(f.buf, c)
		if bytes.HasSuffix(f.buf, f.suffix) {
			f.buf = f.buf[:len(f.buf)-ls]
			f.endLine(at, emit, false)
			continue
		}
		if f.dropping {
			// Keep only what could still be the start of the suffix.
			if len(f.buf) >= ls {
				f.buf = f.buf[:copy(f.buf, f.buf[len(f.buf)-(ls-1):])]
			}
			continue
		}
		// Content beyond maxLine can no longer end within the cap.
		if len(f.buf) > f.maxLine+ls-1 {
			f.startDropping(ls - 1)
		}
	}
	if f.pending() {
		f.last = at
	}
}

func (f *Framer) startDropping(keep int) {
	f.stats.Overlong++
	f.dropping = true
	f.buf = f.buf[:copy(f.buf, f.buf[len(f.buf)-keep:])]
}

// endLine finishes the current line; partial marks a timed-out line.
func (f *Framer) endLine(at time.Time, emit func(text []byte, at time.Time), partial bool) {
	line := f.buf
	f.buf = f.buf[:0]
	if f.dropping {
		f.dropping = false
		return
	}
	if len(line) > f.maxLine {
		// Only a flushed partial line gets here: what looked like the
		// start of the suffix turned out to be content.
		f.stats.Overlong++
		return
	}
	line = bytes.TrimPrefix(line, f.prefix)
	if len(line) == 0 {
		return // CRLF, blank lines, a bare prefix: nothing scanned
	}
	if !utf8.Valid(line) {
		f.stats.InvalidUTF8++
		return
	}
	f.stats.Codes++
	if partial {
		f.stats.PartialFlushed++
	}
	emit(line, at) // counted first: the receiver may read the stats
}

// SuffixFor maps the configuration's terminator names to a Config.Suffix:
// "any" (or "") is CR, LF or CRLF; "cr", "lf" and "crlf" are those bytes
// alone; anything else is taken literally.
func SuffixFor(terminator string) string {
	switch terminator {
	case "", "any":
		return ""
	case "cr":
		return "\r"
	case "lf":
		return "\n"
	case "crlf":
		return "\r\n"
	}
	return terminator
}
