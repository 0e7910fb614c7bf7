package display

import (
	"fmt"
	"strings"
	"time"

	"github.com/scangate/scangate/door"
)

// Step is one segment of a pattern: which lights are on, whether the buzzer
// sounds, and for how long.
type Step struct {
	Green, Red, Amber bool
	Buzz              bool
	For               time.Duration
}

// Pattern is a sequence of steps played Repeat times (0 counts as once).
// Lights and buzzer are switched off when it ends.
type Pattern struct {
	Steps  []Step
	Repeat int
}

// Duration is the time one full play of the pattern takes.
func (p Pattern) Duration() time.Duration {
	var d time.Duration
	for _, s := range p.Steps {
		d += s.For
	}
	return d * time.Duration(max(1, p.Repeat))
}

// Default patterns. FailLongBuzz is the alternative to FailBeeps.
var (
	PassPattern = Pattern{Steps: []Step{
		{Green: true, Buzz: true, For: 80 * time.Millisecond},
		{Green: true, For: 920 * time.Millisecond},
	}}
	AlreadyInPattern = Pattern{Steps: []Step{
		{Green: true, Buzz: true, For: 80 * time.Millisecond},
		{Green: true, For: 80 * time.Millisecond},
		{Green: true, Buzz: true, For: 80 * time.Millisecond},
		{Green: true, For: 760 * time.Millisecond},
	}}
	FailBeeps = Pattern{Steps: []Step{
		{Red: true, Buzz: true, For: 150 * time.Millisecond},
		{Red: true, For: 100 * time.Millisecond},
		{Red: true, Buzz: true, For: 150 * time.Millisecond},
		{Red: true, For: 100 * time.Millisecond},
		{Red: true, Buzz: true, For: 150 * time.Millisecond},
		{Red: true, For: 1350 * time.Millisecond},
	}}
	FailLongBuzz = Pattern{Steps: []Step{
		{Red: true, Buzz: true, For: 800 * time.Millisecond},
		{Red: true, For: 1200 * time.Millisecond},
	}}
	// FaultPattern, the device-fault pattern, blinks amber with a beep a
	// second for 10 s: never the red of a bad card. On boards without an
	// amber LED the gpio driver lights red and green together instead.
	FaultPattern = Pattern{Steps: []Step{
		{Amber: true, Buzz: true, For: 500 * time.Millisecond},
		{For: 500 * time.Millisecond},
	}, Repeat: 10}
	// ExitPattern: one short chirp and two green blinks, unlike a pass.
	ExitPattern = Pattern{Steps: []Step{
		{Green: true, Buzz: true, For: 40 * time.Millisecond},
		{Green: true, For: 260 * time.Millisecond},
		{For: 150 * time.Millisecond},
		{Green: true, For: 550 * time.Millisecond},
	}}
	// FullPattern: steady amber ("wait") with two slow low beeps; not the
	// blinking device fault, not the red of a bad card.
	FullPattern = Pattern{Steps: []Step{
		{Amber: true, Buzz: true, For: 300 * time.Millisecond},
		{Amber: true, For: 300 * time.Millisecond},
		{Amber: true, Buzz: true, For: 300 * time.Millisecond},
		{Amber: true, For: 1600 * time.Millisecond},
	}}
)

// DefaultPatterns returns the built-in pattern for every outcome.
func DefaultPatterns() map[door.Outcome]Pattern {
	return map[door.Outcome]Pattern{
		door.Pass:      PassPattern,
		door.AlreadyIn: AlreadyInPattern,
		door.Fail:      FailBeeps,
		door.Fault:     FaultPattern,
		door.Exit:      ExitPattern,
		door.Full:      FullPattern,
	}
}

// String is the pattern in words, for logs.
func (p Pattern) String() string {
	var b strings.Builder
	for i, s := range p.Steps {
		if i > 0 {
			b.WriteString(", ")
		}
		var names []string
		for _, o := range []struct {
			on   bool
			name string
		}{{s.Green, "green"}, {s.Red, "red"}, {s.Amber, "amber"}, {s.Buzz, "buzz"}} {
			if o.on {
				names = append(names, o.name)
			}
		}
		if len(names) == 0 {
			names = []string{"off"}
		}
		b.WriteString(strings.Join(names, "+"))
		b.WriteByte(' ')
		b.WriteString(s.For.String())
	}
	if p.Repeat > 1 {
		fmt.Fprintf(&b, ", x%d", p.Repeat)
	}
	return b.String()
}
