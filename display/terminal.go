package display

import (
	"fmt"
	"image/color"
	"io"
	"strings"
	"sync"

	"github.com/scangate/scangate/clock"
)

// Terminal draws the outputs as text for simulation mode: LEDs as coloured
// dots, the buzzer as ♪ and the screen in a box, one line per event and no
// cursor movement, so the output reads the same in a log.
type Terminal struct {
	w     io.Writer
	clock clock.Clock
	mu    sync.Mutex
	// Color enables ANSI colours for the LED dots and screen background.
	Color bool
}

// NewTerminal returns a Terminal writing to w with colours on.
func NewTerminal(w io.Writer) *Terminal {
	return &Terminal{w: w, clock: clock.Real{}, Color: true}
}

// WithClock sets the clock used for timestamps (tests use a fake).
func (t *Terminal) WithClock(c clock.Clock) *Terminal {
	t.clock = c
	return t
}

func (t *Terminal) line(s string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, err := fmt.Fprintf(t.w, "%s %s\n", t.clock.Now().Format("15:04:05.000"), s)
	return err
}

func (t *Terminal) dot(on bool, ansi, name string) string {
	if !on {
		return "○ " + name
	}
	if t.Color {
		return "\x1b[" + ansi + "m●\x1b[0m " + name
	}
	return "● " + name
}

// SetLights implements Lights.
func (t *Terminal) SetLights(green, red, amber bool) error {
	return t.line("LED    " + t.dot(green, "32", "green") + "  " + t.dot(red, "31", "red") + "  " + t.dot(amber, "33", "amber"))
}

// SetBuzzer implements Buzzer.
func (t *Terminal) SetBuzzer(on bool) error {
	if on {
		return t.line("BUZZER ♪♪♪")
	}
	return t.line("BUZZER ·")
}

// ShowText implements Screen.
func (t *Terminal) ShowText(bg color.Color, lines []string) error {
	box := "┃ " + strings.Join(lines, " │ ") + " ┃"
	if t.Color {
		r, g, b, _ := bg.RGBA()
		box = fmt.Sprintf("\x1b[48;2;%d;%d;%dm\x1b[97m%s\x1b[0m", r>>8, g>>8, b>>8, box)
	}
	return t.line("SCREEN " + box)
}
