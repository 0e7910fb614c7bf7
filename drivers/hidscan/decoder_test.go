package hidscan

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDecoderTimeoutAndOverlong(t *testing.T) {
	d := NewDecoder(DecoderConfig{Timeout: 50 * time.Millisecond, MaxLine: 3})
	var got []string
	var ats []time.Time
	emit := func(text []byte, at time.Time) { got = append(got, string(text)); ats = append(ats, at) }
	at := recBase
	press := func(code uint16) {
		d.Feed(Event{Time: at, Type: EvKey, Code: code, Value: 1}, emit)
		d.Feed(Event{Time: at, Type: EvKey, Code: code, Value: 0}, emit)
		at = at.Add(time.Millisecond)
	}
	press(k1)
	press(k2)
	if dl, ok := d.Deadline(); !ok || !dl.Equal(recBase.Add(51*time.Millisecond)) {
		t.Fatalf("Deadline %v %v", dl, ok)
	}
	d.Expire(recBase.Add(50*time.Millisecond), emit) // 49 ms after the last key
	if len(got) != 0 {
		t.Fatalf("expired early: %q", got)
	}
	d.Expire(recBase.Add(51*time.Millisecond), emit)
	if len(got) != 1 || got[0] != "12" || !ats[0].Equal(recBase.Add(51*time.Millisecond)) {
		t.Fatalf("got %q at %v", got, ats)
	}
	for range 5 {
		press(k3)
	}
	press(KeyEnter)
	press(k4)
	press(KeyEnter)
	if st := d.Stats(); len(got) != 2 || got[1] != "4" || st.Overlong != 1 || st.PartialFlushed != 1 {
		t.Fatalf("got %q stats %+v", got, st)
	}
}

func TestDecoderSynDropped(t *testing.T) {
	d := NewDecoder(DecoderConfig{})
	var got []string
	emit := func(text []byte, at time.Time) { got = append(got, string(text)) }
	key := func(code uint16, v int32) { d.Feed(Event{Time: recBase, Type: EvKey, Code: code, Value: v}, emit) }
	key(KeyLeftShift, 1)
	key(kA, 1)
	d.Feed(Event{Type: EvSyn, Code: SynDropped}, emit)
	key(kB, 1) // lost with the overrun: before the next SYN_REPORT
	d.Feed(Event{Type: EvSyn, Code: SynReport}, emit)
	key(kC, 1) // Shift's release was lost; it counts as up again
	key(KeyEnter, 1)
	if st := d.Stats(); len(got) != 1 || got[0] != "c" || st.SynDropped != 1 || st.DroppedLines != 1 {
		t.Fatalf("got %q stats %+v", got, st)
	}
}

func TestDecoderModifiersTaint(t *testing.T) {
	d := NewDecoder(DecoderConfig{})
	var got []string
	emit := func(text []byte, at time.Time) { got = append(got, string(text)) }
	key := func(code uint16, v int32) { d.Feed(Event{Time: recBase, Type: EvKey, Code: code, Value: v}, emit) }
	key(KeyRightCtrl, 1)
	key(kA, 1) // Ctrl+A is no character
	key(KeyRightCtrl, 0)
	key(KeyEnter, 1)
	key(kB, 1)
	key(KeyEnter, 1)
	if st := d.Stats(); len(got) != 1 || got[0] != "b" || st.UnknownKeys != 1 || st.DroppedLines != 1 {
		t.Fatalf("got %q stats %+v", got, st)
	}
}

// TestKeyForRoundTrip types every character an identity code can hold, plus
// lower case and punctuation, and decodes it back.
func TestKeyForRoundTrip(t *testing.T) {
	text := "SG1:ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 $%*+-./:abcxyz!@#^&()_=[]{};'\",<>?`~|\\"
	r := newRecorder()
	for i := range len(text) {
		code, shift, ok := KeyFor(text[i])
		if !ok {
			t.Fatalf("no key for %q", text[i])
		}
		if shift {
			r.shifted(KeyLeftShift, code)
		} else {
			r.tap(code)
		}
	}
	r.tap(KeyEnter)
	got, _ := decodeAll(t, r.bytes(NativeLayout), NativeLayout)
	if len(got) != 1 || got[0] != text {
		t.Fatalf("got %q, want %q", got, text)
	}
	for _, c := range []byte{0, '\r', 0x80, 0xff} {
		if _, _, ok := KeyFor(c); ok {
			t.Errorf("KeyFor(%#x) ok", c)
		}
	}
}

// TestKeymapMatchesKernelHeader checks the letter and digit rows against the
// kernel's own definitions when the header is installed.
func TestKeymapMatchesKernelHeader(t *testing.T) {
	f, err := os.Open("/usr/include/linux/input-event-codes.h")
	if err != nil {
		t.Skipf("kernel header not installed: %v", err)
	}
	defer f.Close()
	checked := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || fields[0] != "#define" || !strings.HasPrefix(fields[1], "KEY_") {
			continue
		}
		name := strings.TrimPrefix(fields[1], "KEY_")
		code, err := strconv.Atoi(fields[2])
		if err != nil || len(name) != 1 {
			continue
		}
		want := strings.ToLower(name)[0]
		if got := usKeys[code].plain; got != want {
			t.Errorf("KEY_%s (%d) = %q, want %q", name, code, got, want)
		}
		checked++
	}
	if checked != 36 {
		t.Fatalf("checked %d single-character keys, want 36", checked)
	}
}

func TestLayoutRoundTrip(t *testing.T) {
	ev := Event{Time: time.Unix(1764000000, 123456000), Type: EvKey, Code: KeyKPEnter, Value: -1}
	for _, l := range []Layout{Layout64, Layout32, NativeLayout} {
		b := l.Append(nil, ev)
		if len(b) != l.Size() {
			t.Fatalf("layout %d: %d bytes", l, len(b))
		}
		if got := l.Parse(b); got != ev && !(got.Time.Equal(ev.Time) && got.Type == ev.Type && got.Code == ev.Code && got.Value == ev.Value) {
			t.Fatalf("layout %d: %+v, want %+v", l, got, ev)
		}
	}
}

func BenchmarkDecoder(b *testing.B) {
	r := newRecorder()
	for range 20 {
		r.shifted(KeyLeftShift, kS, kG).tap(k1).shifted(KeyLeftShift, kSemi, kA, kB, kC).tap(KeyEnter)
	}
	d := NewDecoder(DecoderConfig{})
	emit := func(text []byte, at time.Time) {}
	b.ReportAllocs()
	for b.Loop() {
		for _, ev := range r.evs {
			d.Feed(ev, emit)
		}
	}
}

func FuzzEvents(f *testing.F) {
	for _, rc := range recordings() {
		f.Add(rc.rec.bytes(Layout64), false)
		f.Add(rc.rec.bytes(Layout32), true)
	}
	f.Add([]byte{}, false)
	f.Fuzz(func(t *testing.T, data []byte, small bool) {
		l := Layout64
		if small {
			l = Layout32
		}
		d := NewDecoder(DecoderConfig{MaxLine: 64})
		var codes uint64
		emit := func(text []byte, at time.Time) {
			codes++
			if len(text) == 0 || len(text) > 64 {
				t.Fatalf("emitted %d bytes", len(text))
			}
			if !utf8.Valid(text) || strings.ContainsAny(string(text), "\r\n\x00") {
				t.Fatalf("emitted %q", text)
			}
		}
		var last time.Time
		for off := 0; off+l.Size() <= len(data); off += l.Size() {
			ev := l.Parse(data[off:])
			d.Feed(ev, emit)
			last = ev.Time
		}
		d.Expire(last.Add(time.Hour), emit)
		if d.Stats().Codes != codes {
			t.Fatalf("Stats().Codes %d, emitted %d", d.Stats().Codes, codes)
		}
	})
}
