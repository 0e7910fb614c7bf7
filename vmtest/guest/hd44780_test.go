package main

import (
	"image/color"
	"testing"

	"github.com/scangate/scangate/drivers/lcd"
)

type byteLog struct{ b []byte }

func (l *byteLog) WriteBytes(b []byte) error { l.b = append(l.b, b...); return nil }

// The model must read back what the real driver writes, from power-on.
func TestLCDModelReadsDriverStream(t *testing.T) {
	var log byteLog
	d, err := lcd.NewHD44780(&log, 16, 2)
	if err != nil {
		t.Fatal(err)
	}
	m := newLCDModel(16, 2)
	m.feed(log.b)
	if !m.fourBit || m.text() != " / " {
		t.Fatalf("after init: 4-bit %v, text %q", m.fourBit, m.text())
	}
	if err := d.ShowText(color.Black, []string{"请通行", "Welcome", "WANG*YING"}); err != nil {
		t.Fatal(err)
	}
	if err := d.ShowText(color.Black, []string{"Invalid", "Revoked"}); err != nil {
		t.Fatal(err)
	}
	m = newLCDModel(16, 2)
	m.feed(log.b)
	if got, want := m.text(), "Invalid / Revoked"; got != want {
		t.Errorf("screen %q, want %q", got, want)
	}
	if len(m.screens) < 2 || m.screens[len(m.screens)-1] == m.text() {
		t.Errorf("screens %q: want the previous screen kept", m.screens)
	}
}

// A nibble latches on E's falling edge only: a stream that never lowers E
// writes nothing.
func TestLCDModelNeedsFallingEdge(t *testing.T) {
	m := newLCDModel(16, 2)
	m.fourBit = true
	m.feed([]byte{0x4c | 0x01, 0x4c | 0x01, 0x1c | 0x01})
	if got := m.text(); got != " / " {
		t.Errorf("screen %q without a falling edge", got)
	}
	m.feed([]byte{0x48 | 0x01, 0x1c | 0x01, 0x18 | 0x01})
	if got := m.text(); got != "A / " {
		t.Errorf("screen %q, want A", got)
	}
}

func TestSameRows(t *testing.T) {
	local := []checkin{{1, "pass", "pass", "camera0", "aa"}, {2, "fail", "revoked", "serial0", "bb"}}
	ok := []visit{{"d1", 1, "aa", "pass", "pass"}, {"d1", 2, "bb", "fail", "revoked"}}
	if same, why := sameRows(local, ok); !same {
		t.Errorf("matching rows refused: %s", why)
	}
	for name, vs := range map[string][]visit{
		"duplicate":   append(ok, visit{"d1", 2, "bb", "fail", "revoked"}),
		"missing":     ok[:1],
		"changed":     {ok[0], {"d1", 2, "bb", "pass", "pass"}},
		"two devices": {ok[0], {"d2", 2, "bb", "fail", "revoked"}},
	} {
		if same, _ := sameRows(local, vs); same {
			t.Errorf("%s: accepted", name)
		}
	}
}
