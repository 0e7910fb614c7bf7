package serialscan

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

type collected struct {
	texts []string
	ats   []time.Time
}

func (c *collected) emit(text []byte, at time.Time) {
	c.texts = append(c.texts, string(text))
	c.ats = append(c.ats, at)
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

type chunk struct {
	at   int // milliseconds after t0
	data string
}

func TestFramer(t *testing.T) {
	long := strings.Repeat("A", DefaultMaxLine)
	tests := []struct {
		name   string
		cfg    FramerConfig
		chunks []chunk
		expire int // milliseconds; 0 = none
		want   []string
		stats  FramerStats
	}{
		{name: "CR", chunks: []chunk{{0, "SG1:ABC\r"}}, want: []string{"SG1:ABC"}, stats: FramerStats{Codes: 1}},
		{name: "LF", chunks: []chunk{{0, "SG1:ABC\n"}}, want: []string{"SG1:ABC"}, stats: FramerStats{Codes: 1}},
		{name: "CRLF is one code", chunks: []chunk{{0, "ONE\r\nTWO\r\n"}}, want: []string{"ONE", "TWO"}, stats: FramerStats{Codes: 2}},
		{name: "CRLF split across writes", chunks: []chunk{{0, "ONE\r"}, {5, "\nTWO\r"}, {6, "\n"}}, want: []string{"ONE", "TWO"}, stats: FramerStats{Codes: 2}},
		{name: "two codes in one write", chunks: []chunk{{0, "A1\rB2\r"}}, want: []string{"A1", "B2"}, stats: FramerStats{Codes: 2}},
		{name: "code split across writes", chunks: []chunk{{0, "SG1:"}, {20, "AB"}, {40, "C\r"}}, want: []string{"SG1:ABC"}, stats: FramerStats{Codes: 1}},
		{name: "suffix", cfg: FramerConfig{Suffix: []byte("#END")}, chunks: []chunk{{0, "A\rB#EN"}, {1, "D"}, {2, "C#END"}}, want: []string{"A\rB", "C"}, stats: FramerStats{Codes: 2}},
		{name: "suffix with false start", cfg: FramerConfig{Suffix: []byte("\x03\x03")}, chunks: []chunk{{0, "X\x03Y\x03\x03"}}, want: []string{"X\x03Y"}, stats: FramerStats{Codes: 1}},
		{name: "prefix stripped", cfg: FramerConfig{Prefix: []byte("]Q1")}, chunks: []chunk{{0, "]Q1SG1:X\rPLAIN\r]Q1\r"}}, want: []string{"SG1:X", "PLAIN"}, stats: FramerStats{Codes: 2}},
		{name: "timeout flush", cfg: FramerConfig{FlushPartial: true}, chunks: []chunk{{0, "NOEND"}, {150, "NEXT\r"}}, want: []string{"NOEND", "NEXT"}, stats: FramerStats{Codes: 2, PartialFlushed: 1}},
		{name: "timeout discard", chunks: []chunk{{0, "NOEND"}, {150, "NEXT\r"}}, want: []string{"NEXT"}, stats: FramerStats{Codes: 1, PartialDiscarded: 1}},
		{name: "gap below timeout keeps line", chunks: []chunk{{0, "AB"}, {99, "CD\r"}}, want: []string{"ABCD"}, stats: FramerStats{Codes: 1}},
		{name: "expire flushes", cfg: FramerConfig{FlushPartial: true}, chunks: []chunk{{0, "TAIL"}}, expire: 100, want: []string{"TAIL"}, stats: FramerStats{Codes: 1, PartialFlushed: 1}},
		{name: "expire too early keeps line", cfg: FramerConfig{FlushPartial: true}, chunks: []chunk{{0, "TAIL"}}, expire: 99, want: nil},
		{name: "custom timeout", cfg: FramerConfig{FlushPartial: true, CharTimeout: 10 * time.Millisecond}, chunks: []chunk{{0, "A"}, {11, "B\r"}}, want: []string{"A", "B"}, stats: FramerStats{Codes: 2, PartialFlushed: 1}},
		{name: "line at cap", chunks: []chunk{{0, long + "\r"}}, want: []string{long}, stats: FramerStats{Codes: 1}},
		{name: "overlong dropped and resync", chunks: []chunk{{0, long + "B"}, {1, "MORE\rOK\r"}}, want: []string{"OK"}, stats: FramerStats{Codes: 1, Overlong: 1}},
		{name: "overlong with suffix", cfg: FramerConfig{Suffix: []byte("\r\n")}, chunks: []chunk{{0, long + "B\r"}, {1, "\nOK\r\n"}}, want: []string{"OK"}, stats: FramerStats{Codes: 1, Overlong: 1}},
		{name: "suffix line at cap", cfg: FramerConfig{Suffix: []byte("\r\n")}, chunks: []chunk{{0, long + "\r\n"}}, want: []string{long}, stats: FramerStats{Codes: 1}},
		{name: "overlong ends at timeout", chunks: []chunk{{0, long + "B"}, {200, "OK\r"}}, want: []string{"OK"}, stats: FramerStats{Codes: 1, Overlong: 1}},
		{name: "invalid UTF-8 dropped", chunks: []chunk{{0, "BAD\xff\xfe\rGOOD\r"}}, want: []string{"GOOD"}, stats: FramerStats{Codes: 1, InvalidUTF8: 1}},
		{name: "UTF-8 split across writes", chunks: []chunk{{0, "张\xe6"}, {1, "\x98\x8e\r"}}, want: []string{"张明"}, stats: FramerStats{Codes: 1}},
		{name: "NUL skipped", chunks: []chunk{{0, "\x00\x00A\x00B\r"}}, want: []string{"AB"}, stats: FramerStats{Codes: 1, NULBytes: 3}},
		{name: "blank lines ignored", chunks: []chunk{{0, "\r\n\r\r\nX\n\n"}}, want: []string{"X"}, stats: FramerStats{Codes: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFramer(tt.cfg)
			var c collected
			for _, ch := range tt.chunks {
				f.Feed([]byte(ch.data), ms(ch.at), c.emit)
			}
			if tt.expire != 0 {
				f.Expire(ms(tt.expire), c.emit)
			}
			if strings.Join(c.texts, "|") != strings.Join(tt.want, "|") || len(c.texts) != len(tt.want) {
				t.Errorf("codes = %q, want %q", c.texts, tt.want)
			}
			if got := f.Stats(); got != tt.stats {
				t.Errorf("stats = %+v, want %+v", got, tt.stats)
			}
		})
	}
}

func TestFramerTimestamps(t *testing.T) {
	f := NewFramer(FramerConfig{FlushPartial: true})
	var c collected
	f.Feed([]byte("A"), ms(0), c.emit)
	f.Feed([]byte("B\rC"), ms(30), c.emit)
	if dl, ok := f.Deadline(); !ok || !dl.Equal(ms(130)) {
		t.Fatalf("Deadline = %v, %v; want %v", dl, ok, ms(130))
	}
	f.Expire(ms(130), c.emit)
	if len(c.ats) != 2 || !c.ats[0].Equal(ms(30)) || !c.ats[1].Equal(ms(130)) {
		t.Fatalf("ats = %v", c.ats)
	}
	if _, ok := f.Deadline(); ok {
		t.Fatal("Deadline reported with no partial line")
	}
}

func TestFramerReset(t *testing.T) {
	f := NewFramer(FramerConfig{})
	var c collected
	f.Feed([]byte("HALF"), ms(0), c.emit)
	f.Reset()
	f.Feed([]byte("WHOLE\r"), ms(1), c.emit)
	if len(c.texts) != 1 || c.texts[0] != "WHOLE" || f.Stats().PartialDiscarded != 1 {
		t.Fatalf("codes %q stats %+v", c.texts, f.Stats())
	}
}

func TestFramerFeedDoesNotAllocate(t *testing.T) {
	f := NewFramer(FramerConfig{})
	line := []byte("SG1:6BFOXN*TS0BI$ZD.2K5L-9:QO8B+M\r")
	n := 0
	emit := func(text []byte, at time.Time) { n += len(text) }
	allocs := testing.AllocsPerRun(100, func() { f.Feed(line, t0, emit) })
	if allocs != 0 {
		t.Fatalf("Feed allocates %v times per line", allocs)
	}
	if n == 0 {
		t.Fatal("no line emitted")
	}
}

func BenchmarkFramer(b *testing.B) {
	f := NewFramer(FramerConfig{})
	line := []byte(strings.Repeat("SG1:6BFOXN*TS0BI$ZD.2K5L-9:QO8B+M", 10) + "\r\n")
	emit := func(text []byte, at time.Time) {}
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		f.Feed(line, t0, emit)
	}
}

func FuzzFramer(f *testing.F) {
	f.Add([]byte("SG1:ABC\r\nSECOND\n"), uint8(0), "", "", uint16(0), false)
	f.Add([]byte("]Q1SG1:X#END"), uint8(3), "#END", "]Q1", uint16(16), true)
	f.Add([]byte("\x00\xff\xfe\x80A\r"), uint8(1), "", "", uint16(4), true)
	f.Add([]byte(strings.Repeat("Z", 300)+"\r"), uint8(200), "\r\n", "", uint16(8), false)
	f.Add([]byte("张明\r"), uint8(7), "\x03", "", uint16(5), true)
	f.Fuzz(func(t *testing.T, data []byte, split uint8, suffix, prefix string, maxLine uint16, flush bool) {
		if strings.IndexByte(suffix, 0) >= 0 {
			t.Skip("suffix with NUL cannot be configured")
		}
		cfg := FramerConfig{Suffix: []byte(suffix), Prefix: []byte(prefix), MaxLine: int(maxLine % 512), FlushPartial: flush}
		fr := NewFramer(cfg)
		limit := cfg.MaxLine
		if limit == 0 {
			limit = DefaultMaxLine
		}
		var codes uint64
		emit := func(text []byte, at time.Time) {
			codes++
			if len(text) == 0 || len(text) > limit {
				t.Fatalf("emitted %d bytes, cap %d", len(text), limit)
			}
			if !utf8.Valid(text) {
				t.Fatalf("emitted invalid UTF-8 %q", text)
			}
			if bytes.IndexByte(text, 0) >= 0 {
				t.Fatalf("emitted NUL in %q", text)
			}
			if len(suffix) == 0 && bytes.ContainsAny(text, "\r\n") {
				t.Fatalf("emitted terminator in %q", text)
			}
		}
		// Feed in chunks whose arrival times sometimes exceed the timeout.
		at := t0
		step := int(split)%17 + 1
		for i := 0; i < len(data); i += step {
			end := min(i+step, len(data))
			fr.Feed(data[i:end], at, emit)
			at = at.Add(time.Duration(data[i]) * time.Millisecond)
		}
		fr.Expire(at.Add(time.Hour), emit)
		if _, ok := fr.Deadline(); ok {
			t.Fatal("partial line survived a final expiry")
		}
		if got := fr.Stats().Codes; got != codes {
			t.Fatalf("Stats().Codes = %d, emitted %d", got, codes)
		}
	})
}
