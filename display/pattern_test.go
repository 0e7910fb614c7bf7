package display

import (
	"reflect"
	"testing"
	"time"
)

func TestParsePattern(t *testing.T) {
	p, err := ParsePattern("green+buzz 80ms, green 920ms")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, PassPattern) {
		t.Errorf("got %+v, want the default pass pattern", p)
	}
	p, err = ParsePattern(" amber+buzz 500ms ,off 500ms, x10")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, FaultPattern) || p.Duration() != 10*time.Second {
		t.Errorf("got %+v (%v), want the default fault pattern", p, p.Duration())
	}
	if s := FailBeeps.String(); s != "red+buzz 150ms, red 100ms, red+buzz 150ms, red 100ms, red+buzz 150ms, red 1.35s" {
		t.Errorf("String() = %q", s)
	}
	for _, bad := range []string{"", "green", "green 0s", "green -1s", "blue 1s", "green+green 1s",
		"green 2m", "green 1s, x0", "green 1s, x101", "x3", "green 1s x3", "green 1m, x6", "off+green 1s"} {
		if p, err := ParsePattern(bad); err == nil {
			t.Errorf("ParsePattern(%q) = %+v, want error", bad, p)
		}
	}
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{PassPattern.String(), AlreadyInPattern.String(), FailBeeps.String(),
		FailLongBuzz.String(), FaultPattern.String(), "off 1s, x2", "green+red+amber+buzz 1ns", "green 1s,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePattern(s)
		if err != nil {
			return
		}
		if len(p.Steps) == 0 || p.Duration() <= 0 || p.Duration() > maxTotal {
			t.Fatalf("%q parsed to an unplayable pattern %+v", s, p)
		}
		q, err := ParsePattern(p.String())
		if err != nil {
			t.Fatalf("String() of %q = %q does not parse: %v", s, p.String(), err)
		}
		if max(1, p.Repeat) != max(1, q.Repeat) || !reflect.DeepEqual(p.Steps, q.Steps) {
			t.Fatalf("round trip %q -> %q changed the pattern", s, p.String())
		}
	})
}
