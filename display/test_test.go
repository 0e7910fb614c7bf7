package display

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestTestLights: the lights test shows green, red and amber in turn, each
// for its step, then the idle screen's lights again; the buzzer stays off.
func TestTestLights(t *testing.T) {
	r := newRig(t, Config{})
	before := len(r.rec.Events())
	if err := r.d.Test(PartLights); err != nil {
		t.Fatal(err)
	}
	r.waitTimer()
	r.advance(700 * time.Millisecond)
	r.advance(700 * time.Millisecond)
	r.clock.Advance(700 * time.Millisecond)
	evs := r.rec.WaitEvents(before+5, 5*time.Second)[before:]
	var got []string
	for _, e := range evs {
		if e.Kind == "lights" {
			got = append(got, e.String())
		}
		if e.Kind == "buzzer" && e.Buzz {
			t.Fatalf("the lights test sounded the buzzer: %s", r.log(evs))
		}
	}
	want := []string{"lights green=true red=false amber=false", "lights green=false red=true amber=false",
		"lights green=false red=false amber=true", "lights green=false red=false amber=false"}
	if strings.Join(got[:4], "\n") != strings.Join(want, "\n") {
		t.Fatalf("lights test:\n%s", r.log(evs))
	}
}

// TestTestScreenAndBuzzer: the screen test draws its text on the screen;
// the buzzer test beeps three times.
func TestTestScreenAndBuzzer(t *testing.T) {
	r := newRig(t, Config{})
	before := len(r.rec.Events())
	if err := r.d.Test(PartScreen); err != nil {
		t.Fatal(err)
	}
	r.waitTimer()
	evs := r.rec.Events()[before:]
	if len(evs) == 0 || !strings.Contains(evs[len(evs)-1].String(), "Screen test") {
		t.Fatalf("screen test: %s", r.log(evs))
	}
	r = newRig(t, Config{})
	before = len(r.rec.Events())
	if err := r.d.Test(PartBuzzer); err != nil {
		t.Fatal(err)
	}
	r.rec.WaitEvents(before+1, 5*time.Second)
	r.waitTimer()
	for range 5 {
		r.advance(150 * time.Millisecond)
	}
	r.clock.Advance(150 * time.Millisecond)
	beeps := 0
	for _, e := range r.rec.Events()[before:] {
		if e.Kind == "buzzer" && e.Buzz {
			beeps++
		}
	}
	if beeps != 3 {
		t.Fatalf("%d beeps, want 3: %s", beeps, r.log(r.rec.Events()[before:]))
	}
}

// TestTestMissingPart: a door without voice says so; an unknown part is
// an error, not a silent no-op.
func TestTestMissingPart(t *testing.T) {
	r := newRig(t, Config{})
	if err := r.d.Test(PartVoice); !errors.Is(err, ErrNoPart) {
		t.Fatalf("voice test without voice: %v", err)
	}
	if err := r.d.Test("siren"); err == nil || errors.Is(err, ErrNoPart) {
		t.Fatalf("unknown part: %v", err)
	}
}
