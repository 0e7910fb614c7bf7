package display

import (
	"fmt"
	"image/color"
	"strings"
	"sync"
	"time"

	"github.com/scangate/scangate/clock"
)

// Event is one call an output received.
type Event struct {
	At                time.Time
	Kind              string // "lights", "buzzer" or "screen"
	Green, Red, Amber bool
	Buzz              bool
	Background        color.Color
	Lines             []string
}

func (e Event) String() string {
	switch e.Kind {
	case "lights":
		return fmt.Sprintf("lights green=%t red=%t amber=%t", e.Green, e.Red, e.Amber)
	case "buzzer":
		return fmt.Sprintf("buzzer %t", e.Buzz)
	}
	return "screen " + strings.Join(e.Lines, " / ")
}

// Recorder is a fake output (Lights, Buzzer and Screen) that records every
// call with the time of its clock, for tests that assert timing.
type Recorder struct {
	clock  clock.Clock
	mu     sync.Mutex
	cond   *sync.Cond
	events []Event
}

// NewRecorder returns a Recorder that stamps events with clock.
func NewRecorder(c clock.Clock) *Recorder {
	r := &Recorder{clock: c}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *Recorder) add(e Event) error {
	e.At = r.clock.Now()
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	r.cond.Broadcast()
	return nil
}

// SetLights implements Lights.
func (r *Recorder) SetLights(green, red, amber bool) error {
	return r.add(Event{Kind: "lights", Green: green, Red: red, Amber: amber})
}

// SetBuzzer implements Buzzer.
func (r *Recorder) SetBuzzer(on bool) error {
	return r.add(Event{Kind: "buzzer", Buzz: on})
}

// ShowText implements Screen.
func (r *Recorder) ShowText(bg color.Color, lines []string) error {
	return r.add(Event{Kind: "screen", Background: bg, Lines: append([]string(nil), lines...)})
}

// Events returns a copy of the events so far.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// WaitEvents waits until at least n events were recorded or timeout (real
// time) passed, and returns the events so far.
func (r *Recorder) WaitEvents(n int, timeout time.Duration) []Event {
	timer := time.AfterFunc(timeout, r.cond.Broadcast)
	defer timer.Stop()
	deadline := time.Now().Add(timeout)
	r.mu.Lock()
	for len(r.events) < n && time.Now().Before(deadline) {
		r.cond.Wait()
	}
	r.mu.Unlock()
	return r.Events()
}
