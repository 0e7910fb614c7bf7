package display

import (
	"fmt"
	"image/color"
	"log/slog"
	"sync"
	"time"

	"github.com/scangate/scangate/door"

	"github.com/scangate/scangate/clock"
)

// Lights drives the status LEDs. Boards without an amber LED show amber
// as red and green together.
type Lights interface {
	SetLights(green, red, amber bool) error
}

// Buzzer sounds while on (an active buzzer, or a passive one fed a tone).
type Buzzer interface {
	SetBuzzer(on bool) error
}

// Screen shows lines of text on a background colour. Lines come Chinese
// first, then English; a screen that cannot draw CJK transliterates or
// drops the Chinese lines.
type Screen interface {
	ShowText(bg color.Color, lines []string) error
}

// Config chooses patterns, voice prompts and the clock. The zero value uses
// the default patterns, no voice and the real clock.
type Config struct {
	// Patterns overrides the default pattern per outcome.
	Patterns map[door.Outcome]Pattern
	// Voice maps an outcome to a WAV file played with Player; nil or a
	// missing entry plays nothing.
	Voice map[door.Outcome]string
	// Player is the command that plays a WAV file; "aplay" when empty.
	Player string
	Clock  clock.Clock
	Logger *slog.Logger
}

// Display plays feedback for decisions on its outputs from one goroutine.
type Display struct {
	lights   []Lights
	buzzers  []Buzzer
	screens  []Screen
	patterns map[door.Outcome]Pattern
	voice    *voicePlayer
	clock    clock.Clock
	log      *slog.Logger

	mu     sync.Mutex // serialises Show's drain-then-send
	queue  chan door.Decision
	quit   chan struct{}
	done   chan struct{}
	closed sync.Once

	// last state written, so outputs only hear about changes
	state struct {
		lit   [3]bool
		buzz  bool
		known bool
	}
}

// New starts a display on the given outputs; each must implement at least
// one of Lights, Buzzer and Screen (Recorder and Terminal implement all
// three). The idle screen is shown at once.
func New(cfg Config, outputs ...any) (*Display, error) {
	d := &Display{
		patterns: DefaultPatterns(),
		clock:    cfg.Clock,
		log:      cfg.Logger,
		queue:    make(chan door.Decision, 1),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if d.clock == nil {
		d.clock = clock.Real{}
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	for o, p := range cfg.Patterns {
		if len(p.Steps) == 0 {
			return nil, fmt.Errorf("display: pattern for %v has no steps", o)
		}
		d.patterns[o] = p
	}
	for i, o := range outputs {
		used := false
		if l, ok := o.(Lights); ok {
			d.lights, used = append(d.lights, l), true
		}
		if b, ok := o.(Buzzer); ok {
			d.buzzers, used = append(d.buzzers, b), true
		}
		if s, ok := o.(Screen); ok {
			d.screens, used = append(d.screens, s), true
		}
		if !used {
			return nil, fmt.Errorf("display: output %d (%T) is neither Lights, Buzzer nor Screen", i, o)
		}
	}
	if len(cfg.Voice) > 0 {
		d.voice = newVoicePlayer(cfg.Player, cfg.Voice, d.log)
	}
	go d.run()
	return d, nil
}

// Show queues a decision and returns at once. A decision still waiting is
// replaced, and a pattern being played is cut short.
func (d *Display) Show(dec door.Decision) {
	d.mu.Lock()
	defer d.mu.Unlock()
	select {
	case old := <-d.queue:
		d.log.Debug("display: decision superseded before shown", "outcome", old.Outcome.String())
	default:
	}
	d.queue <- dec // cannot block: only Show sends, under mu, after draining
}

// Close stops the current pattern, switches lights and buzzer off and
// waits for the display goroutine to end. Show after Close is ignored.
func (d *Display) Close() error {
	d.closed.Do(func() { close(d.quit) })
	<-d.done
	var err error
	if d.voice != nil {
		err = d.voice.stop()
	}
	return err
}

func (d *Display) run() {
	defer close(d.done)
	d.showIdle()
	var next *door.Decision
	for {
		if next == nil {
			select {
			case dec := <-d.queue:
				next = &dec
			case <-d.quit:
				d.apply(Step{})
				return
			}
		}
		dec := *next
		next = nil
		var quit bool
		next, quit = d.play(dec)
		if quit {
			d.apply(Step{})
			return
		}
		if next == nil {
			d.showIdle()
		}
	}
}

// play runs the pattern for dec. It returns a newer decision that cut it
// short, or quit when Close was called.
func (d *Display) play(dec door.Decision) (next *door.Decision, quit bool) {
	p := d.patterns[dec.Outcome]
	if len(p.Steps) == 0 {
		p = d.patterns[door.DeviceFault]
	}
	if d.voice != nil {
		d.voice.play(dec.Outcome)
	}
	start := d.clock.Now()
	var at time.Duration
	for range max(1, p.Repeat) {
		for _, s := range p.Steps {
			d.apply(s)
			if at == 0 {
				// Lights and sound first: the screen may take milliseconds.
				d.showMessage(MessageFor(dec))
			}
			at += s.For
			t := d.clock.NewTimer(start.Add(at).Sub(d.clock.Now()))
			select {
			case <-t.Chan():
			case newer := <-d.queue:
				t.Stop()
				return &newer, false
			case <-d.quit:
				t.Stop()
				return nil, true
			}
		}
	}
	d.apply(Step{})
	return nil, false
}

func (d *Display) apply(s Step) {
	lit := [3]bool{s.Green, s.Red, s.Amber}
	if !d.state.known || lit != d.state.lit {
		for _, l := range d.lights {
			if err := l.SetLights(s.Green, s.Red, s.Amber); err != nil {
				d.log.Warn("display: lights", "err", err)
			}
		}
	}
	if !d.state.known || s.Buzz != d.state.buzz {
		for _, b := range d.buzzers {
			if err := b.SetBuzzer(s.Buzz); err != nil {
				d.log.Warn("display: buzzer", "err", err)
			}
		}
	}
	d.state.lit, d.state.buzz, d.state.known = lit, s.Buzz, true
}

func (d *Display) showIdle() {
	d.apply(Step{})
	d.showMessage(IdleMessage())
}

func (d *Display) showMessage(m Message) {
	for _, s := range d.screens {
		if err := s.ShowText(m.Background, m.Lines); err != nil {
			d.log.Warn("display: screen", "err", err)
		}
	}
}
