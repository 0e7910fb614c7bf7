package display

import (
	"errors"
	"fmt"
	"time"

	"github.com/scangate/scangate/door"
)

// Part is an output a technician tests from the status page.
type Part string

const (
	PartLights Part = "lights" // green, red, amber in turn
	PartBuzzer Part = "buzzer" // three beeps
	PartScreen Part = "screen" // a test text on each background colour
	PartVoice  Part = "voice"  // the welcome prompt
)

// Parts lists every part Test knows.
func Parts() []Part { return []Part{PartLights, PartBuzzer, PartScreen, PartVoice} }

// ErrNoPart is Test's answer for a part this door does not have.
var ErrNoPart = errors.New("display: no such output on this door")

// test is a test run: steps for lights and buzzer, the screens shown at
// each step (nil: keep), and whether the voice speaks.
type test struct {
	steps   []Step
	screens []*Message
	say     bool
}

var lightsTest = test{steps: []Step{
	{Green: true, For: 700 * time.Millisecond}, {Red: true, For: 700 * time.Millisecond}, {Amber: true, For: 700 * time.Millisecond},
}}

var buzzerTest = test{steps: []Step{
	{Buzz: true, For: 150 * time.Millisecond}, {For: 150 * time.Millisecond},
	{Buzz: true, For: 150 * time.Millisecond}, {For: 150 * time.Millisecond},
	{Buzz: true, For: 150 * time.Millisecond}, {For: 150 * time.Millisecond},
}}

func screenTest() test {
	var t test
	for i, bg := range []Message{{Background: ColorPass}, {Background: ColorFail}, {Background: ColorFault}, {Background: ColorIdle}} {
		m := Message{Background: bg.Background, Lines: []string{"屏幕测试 " + fmt.Sprint(i+1) + "/4", "Screen test"}}
		t.steps = append(t.steps, Step{For: 800 * time.Millisecond})
		t.screens = append(t.screens, &m)
	}
	return t
}

// Test plays a test of one part on every output of that kind and returns
// at once; like a decision, a newer decision cuts it short. It records
// nothing and is never shown as a decision.
func (d *Display) Test(p Part) error {
	var t test
	switch p {
	case PartLights:
		if len(d.lights) == 0 {
			return fmt.Errorf("%w: lights", ErrNoPart)
		}
		t = lightsTest
	case PartBuzzer:
		if len(d.buzzers) == 0 {
			return fmt.Errorf("%w: buzzer", ErrNoPart)
		}
		t = buzzerTest
	case PartScreen:
		if len(d.screens) == 0 {
			return fmt.Errorf("%w: screen", ErrNoPart)
		}
		t = screenTest()
	case PartVoice:
		if d.voice == nil {
			return fmt.Errorf("%w: voice", ErrNoPart)
		}
		m := Message{Background: ColorIdle, Lines: []string{"语音测试", "Voice test"}}
		t = test{steps: []Step{{For: 2 * time.Second}}, screens: []*Message{&m}, say: true}
	default:
		return fmt.Errorf("display: unknown part %q (want lights, buzzer, screen or voice)", p)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sendLocked(item{test: &t})
	return nil
}

// playTest runs t; like play, it returns a newer item that cut it short.
func (d *Display) playTest(t test) (next *item, quit bool) {
	if t.say {
		d.voice.Say(door.Decision{Outcome: door.Pass, Reason: door.ReasonPass})
	}
	start := d.clock.Now()
	var at time.Duration
	for i, s := range t.steps {
		d.apply(s)
		if i < len(t.screens) && t.screens[i] != nil {
			d.showMessage(*t.screens[i])
		}
		at += s.For
		if next, quit, done := d.wait(start.Add(at)); !done {
			return next, quit
		}
	}
	d.apply(Step{})
	return nil, false
}
