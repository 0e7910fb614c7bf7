package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// logBuilder writes a log the way dm-log-writes lays it out, 512-byte sectors.
type logBuilder struct {
	b       []byte
	entries int
}

func newLogBuilder() *logBuilder { return &logBuilder{b: make([]byte, 512)} }

func (l *logBuilder) add(sector, nr int64, flags uint64, data []byte, mark string) {
	hdr := make([]byte, 512)
	le := binary.LittleEndian
	le.PutUint64(hdr[0:], uint64(sector))
	le.PutUint64(hdr[8:], uint64(nr))
	le.PutUint64(hdr[16:], flags)
	le.PutUint64(hdr[24:], uint64(len(mark)))
	copy(hdr[32:], mark)
	l.b = append(append(l.b, hdr...), data...)
	l.entries++
}

func (l *logBuilder) bytes() []byte {
	le := binary.LittleEndian
	le.PutUint64(l.b[0:], logMagic)
	le.PutUint64(l.b[8:], logVersion)
	le.PutUint64(l.b[16:], uint64(l.entries))
	le.PutUint32(l.b[24:], 512)
	return l.b
}

func TestWriteLogReplay(t *testing.T) {
	a, b := bytes.Repeat([]byte{'a'}, 1024), bytes.Repeat([]byte{'b'}, 512)
	l := newLogBuilder()
	l.add(2, 2, 0, a, "")
	l.add(0, 1, logFlush|logFUA, b, "")
	l.add(0, 0, logMark, nil, "pass-1-x")
	l.add(2, 1, logDiscard, nil, "")
	l.add(0, 0, logFlush, nil, "")
	wl, err := openWriteLog(bytes.NewReader(l.bytes()))
	if err != nil {
		t.Fatal(err)
	}
	dev, err := os.Create(filepath.Join(t.TempDir(), "dev"))
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	var got []string
	src := bytes.NewReader(l.bytes())
	lf, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if _, err := src.WriteTo(lf); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512) // smaller than a write: apply loops
	err = wl.each(func(e logEntry) error {
		got = append(got, e.String())
		if e.flags&logMark != 0 {
			return nil
		}
		return apply(dev, lf, wl.sectorSize, e, buf)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `#0 WRITE sector 2 +2|#1 FLUSH|FUA sector 0 +1|#2 mark "pass-1-x"|#3 DISCARD sector 2 +1|#4 FLUSH sector 0 +0`
	if s := strings.Join(got, "|"); s != want {
		t.Errorf("entries\n got %s\nwant %s", s, want)
	}
	img, _ := os.ReadFile(dev.Name())
	if want := append(append(append([]byte{}, b...), make([]byte, 1024)...), a[512:]...); !bytes.Equal(img, want) {
		t.Errorf("device after replay: %q", img)
	}
	if _, err := openWriteLog(bytes.NewReader(make([]byte, 512))); err == nil {
		t.Error("a log without the magic opened")
	}
}

func TestOracle(t *testing.T) {
	live := []checkin{
		{Seq: 1, Decision: "pass", Reason: "pass", Source: "serial0", Card: "c1"},
		{Seq: 2, Decision: "fail", Reason: "malformed", Source: "serial0"},
		{Seq: 3, Decision: "pass", Reason: "pass", Source: "serial0", Card: "c2"},
	}
	good := func() *oracle { return &oracle{live: live, first: map[string]int{}} }

	o := good()
	steps := []struct {
		show string
		rows int
	}{{"", 0}, {"c1", 1}, {"", 2}, {"c2", 3}, {"", 3}}
	for _, s := range steps {
		if s.show != "" {
			o.show(s.show, o.point+1)
		}
		if _, err := o.judge(live[:s.rows]); err != nil {
			t.Fatalf("point %d: %v", o.point, err)
		}
	}
	if lead, err := o.final(2); err != nil || lead != 0 {
		t.Fatalf("final: lead %d, %v", lead, err)
	}

	o = good()
	o.show("c1", 1)
	if _, err := o.judge(nil); err == nil || !strings.Contains(err.Error(), "showed green but is not in the database") {
		t.Errorf("pass shown, not on disk: %v", err)
	}
	o = good()
	o.judge(live[:2])
	if _, err := o.judge(live[:1]); err == nil {
		t.Error("a committed row vanished at a later point, not reported")
	}
	o = good()
	torn := append([]checkin{}, live[0])
	torn[0].Reason = "revoked"
	if _, err := o.judge(torn); err == nil {
		t.Error("a row unlike the committed one, not reported")
	}
	o = good()
	o.judge(live)
	o.show("c1", 2)
	o.judge(live)
	o.show("c2", 3)
	o.judge(live)
	if _, err := o.final(2); err == nil || !strings.Contains(err.Error(), "skipped states") {
		t.Errorf("every pass on disk from the first point: %v", err)
	}
	o = good()
	o.judge(live[:1])
	if _, err := o.final(0); err == nil {
		t.Error("the last point short of the committed rows, not reported")
	}
}

func TestDMIoctlNumbers(t *testing.T) {
	// From the kernel's dm-ioctl.h, as strace shows them.
	for _, c := range []struct {
		got, want uintptr
	}{{dmDevCreate, 0xc138fd03}, {dmDevRemove, 0xc138fd04}, {dmDevSuspend, 0xc138fd06}, {dmTableLoad, 0xc138fd09}, {dmTargetMsg, 0xc138fd0e}} {
		if c.got != c.want {
			t.Errorf("ioctl %#x, want %#x", c.got, c.want)
		}
	}
}

func TestOracleTorn(t *testing.T) {
	live := []checkin{
		{Seq: 1, Decision: "pass", Reason: "pass", Source: "serial0", Card: "c1"},
		{Seq: 2, Decision: "pass", Reason: "pass", Source: "serial0", Card: "c2"},
	}
	o := &oracle{live: live, first: map[string]int{}}
	o.judge(live[:1])
	o.show("c1", 1)
	if err := o.judgeTorn(live[:2]); err != nil {
		t.Fatal(err)
	}
	if err := o.judgeTorn(nil); err == nil {
		t.Error("a torn state lost a pass shown before it, not reported")
	}
	// A torn state is judged against, and leaves, the point before.
	if o.prev != 1 || o.point != 1 || len(o.first) != 1 {
		t.Errorf("judgeTorn changed the oracle: prev %d point %d first %v", o.prev, o.point, o.first)
	}
}
