package display

import (
	"fmt"
	"image/color"
	"log/slog"
	"slices"
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
	// Voice speaks each decision as its pattern starts; nil for none.
	Voice Voice
	// Idle is the first idle state (SetIdle changes it); the zero value
	// shows IdleMessage.
	Idle   Idle
	Clock  clock.Clock
	Logger *slog.Logger
}

// Display plays feedback for decisions on its outputs from one goroutine.
type Display struct {
	lights   []Lights
	buzzers  []Buzzer
	screens  []Screen
	patterns map[door.Outcome]Pattern
	voice    Voice
	clock    clock.Clock
	log      *slog.Logger

	mu     sync.Mutex // serialises the queue's drain-then-send; guards last
	queue  chan item
	last   *door.Decision // the newest decision shown, for Repeat
	quit   chan struct{}
	done   chan struct{}
	closed sync.Once

	idleMu      sync.Mutex
	idle        Idle
	idleChanged chan struct{} // capacity 1: "the idle state changed"

	// last state written, so outputs only hear about changes
	state struct {
		lit   [3]bool
		buzz  bool
		known bool
	}
}

// Idle is what the door shows while no pattern plays: the message, and
// whether the amber light stays on (the device refuses every card).
type Idle struct {
	Message Message
	Amber   bool
}

func (i Idle) equal(o Idle) bool {
	return i.Amber == o.Amber && i.Message.Background == o.Message.Background &&
		slices.Equal(i.Message.Lines, o.Message.Lines)
}

// item is one thing to show: a decision's feedback, or a notice (a
// message alone, for a while).
type item struct {
	dec       door.Decision
	notice    *Message
	noticeFor time.Duration
	test      *test // a technician's test of one output (Test)
}

// New starts a display on the given outputs; each must implement at least
// one of Lights, Buzzer and Screen (Recorder and Terminal implement all
// three). The idle screen is shown at once.
func New(cfg Config, outputs ...any) (*Display, error) {
	d := &Display{
		patterns: DefaultPatterns(),
		clock:    cfg.Clock,
		log:      cfg.Logger,
		queue:    make(chan item, 1),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
		idle:     cfg.Idle,

		idleChanged: make(chan struct{}, 1),
	}
	if d.clock == nil {
		d.clock = clock.Real{}
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	if len(d.idle.Message.Lines) == 0 {
		d.idle = Idle{Message: IdleMessage()}
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
	d.voice = cfg.Voice
	go d.run()
	return d, nil
}

// Show queues a decision and returns at once. A decision still waiting is
// replaced, and a pattern being played is cut short.
func (d *Display) Show(dec door.Decision) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.last = &dec
	d.sendLocked(item{dec: dec})
}

// Repeat plays the newest decision's feedback again (screen, lights,
// sound and voice) for someone who missed it; it records nothing. It
// reports whether there was a decision to repeat.
func (d *Display) Repeat() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last == nil {
		return false
	}
	d.sendLocked(item{dec: *d.last})
	return true
}

// Notice shows m for dur (lights and buzzer off), then the idle screen.
// It is queued like a decision: a newer decision or notice cuts it short.
func (d *Display) Notice(m Message, dur time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sendLocked(item{notice: &m, noticeFor: dur})
}

func (d *Display) sendLocked(it item) {
	select {
	case old := <-d.queue:
		d.log.Debug("display: superseded before shown", "outcome", old.dec.Outcome.String(), "notice", old.notice != nil)
	default:
	}
	d.queue <- it // cannot block: only senders under mu, after draining
}

// SetIdle changes what is shown while no pattern plays; it is drawn at
// once when the door is idle, else when the pattern ends. Setting the
// same state again draws nothing.
func (d *Display) SetIdle(i Idle) {
	d.idleMu.Lock()
	same := d.idle.equal(i)
	d.idle = i
	d.idleMu.Unlock()
	if same {
		return
	}
	select {
	case d.idleChanged <- struct{}{}:
	default:
	}
}

// CurrentIdle is the idle state in force.
func (d *Display) CurrentIdle() Idle {
	d.idleMu.Lock()
	defer d.idleMu.Unlock()
	return d.idle
}

// Close stops the current pattern, switches lights and buzzer off and
// waits for the display goroutine to end. Show after Close is ignored.
func (d *Display) Close() error {
	d.closed.Do(func() { close(d.quit) })
	<-d.done
	var err error
	if d.voice != nil {
		err = d.voice.Close()
	}
	return err
}

func (d *Display) run() {
	defer close(d.done)
	d.showIdle()
	var next *item
	for {
		if next == nil {
			select {
			case it := <-d.queue:
				next = &it
			case <-d.idleChanged:
				d.showIdle()
				continue
			case <-d.quit:
				d.apply(Step{})
				return
			}
		}
		it := *next
		next = nil
		var quit bool
		switch {
		case it.test != nil:
			next, quit = d.playTest(*it.test)
		case it.notice != nil:
			next, quit = d.showNotice(*it.notice, it.noticeFor)
		default:
			next, quit = d.play(it.dec)
		}
		if quit {
			d.apply(Step{})
			return
		}
		if next == nil {
			d.showIdle()
		}
	}
}

// play runs the pattern for dec. It returns a newer item that cut it
// short, or quit when Close was called.
func (d *Display) play(dec door.Decision) (next *item, quit bool) {
	p := d.patterns[dec.Outcome]
	if len(p.Steps) == 0 {
		p = d.patterns[door.Fault]
	}
	if d.voice != nil {
		d.voice.Say(dec)
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
			if next, quit, done := d.wait(start.Add(at)); !done {
				return next, quit
			}
		}
	}
	d.apply(Step{})
	return nil, false
}

func (d *Display) showNotice(m Message, dur time.Duration) (next *item, quit bool) {
	d.apply(Step{})
	d.showMessage(m)
	if next, quit, done := d.wait(d.clock.Now().Add(dur)); !done {
		return next, quit
	}
	return nil, false
}

// wait waits until the deadline; done is false when a newer item or
// Close came first.
func (d *Display) wait(until time.Time) (next *item, quit, done bool) {
	t := d.clock.NewTimer(until.Sub(d.clock.Now()))
	select {
	case <-t.Chan():
		return nil, false, true
	case newer := <-d.queue:
		t.Stop()
		return &newer, false, false
	case <-d.quit:
		t.Stop()
		return nil, true, false
	}
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
	select {
	case <-d.idleChanged: // drawn now: a change signalled during a pattern is in it
	default:
	}
	idle := d.CurrentIdle()
	d.apply(Step{Amber: idle.Amber})
	d.showMessage(idle.Message)
}

func (d *Display) showMessage(m Message) {
	for _, s := range d.screens {
		if err := s.ShowText(m.Background, m.Lines); err != nil {
			d.log.Warn("display: screen", "err", err)
		}
	}
}
