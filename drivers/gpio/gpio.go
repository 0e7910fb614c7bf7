package gpio

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/driver/driverreg"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3/gpioioctl"
)

// Config names the lines; an empty name means the part is not fitted.
type Config struct {
	Green, Red, Amber string
	// Buzzer is an active buzzer switched by a GPIO line.
	Buzzer string
	// Tone drives a passive buzzer through sysfs PWM; nil when none.
	Tone *PWMConfig
	// Button is an optional push button (input, both edges).
	Button string
}

// PWMConfig selects a sysfs PWM channel and the tone it plays.
type PWMConfig struct {
	Root    string // "/sys/class/pwm" when empty
	Chip    int    // pwmchipN
	Channel int
	Hz      int // tone frequency; 2700 (a typical piezo resonance) when 0
}

// Outputs holds the resolved lines. Nil fields are parts not fitted.
type Outputs struct {
	Green, Red, Amber gpio.PinOut
	Buzzer            gpio.PinOut
	Tone              *PWM
	ToneHz            int
	Button            gpio.PinIn

	lines []gpio.PinIO // as resolved, so Close can release them
}

// Open initialises periph's GPIO character-device driver and resolves the
// configured lines. Lines are driven low (off) at once.
func Open(cfg Config) (*Outputs, error) {
	if _, err := driverreg.Init(); err != nil {
		return nil, fmt.Errorf("gpio: init periph: %w", err)
	}
	o, err := open(cfg, periphLines{})
	if err != nil {
		return nil, err
	}
	if cfg.Tone != nil {
		root := cfg.Tone.Root
		if root == "" {
			root = "/sys/class/pwm"
		}
		o.Tone, err = OpenPWM(SysFS{}, root, cfg.Tone.Chip, cfg.Tone.Channel)
		if err != nil {
			return nil, err
		}
		o.ToneHz = cfg.Tone.Hz
		if o.ToneHz == 0 {
			o.ToneHz = 2700
		}
	}
	return o, nil
}

// lineFinder resolves line names and chip:offset pairs to pins.
type lineFinder interface {
	byName(name string) gpio.PinIO
	byOffset(chip string, offset int) gpio.PinIO
}

type periphLines struct{}

func (periphLines) byName(name string) gpio.PinIO { return gpioreg.ByName(name) }

func (periphLines) byOffset(chip string, offset int) gpio.PinIO {
	for _, c := range gpioioctl.Chips {
		if c.Name() == chip || c.Label() == chip || strings.TrimPrefix(c.Name(), "gpiochip") == chip {
			if offset < 0 || offset >= c.LineCount() {
				return nil
			}
			return c.ByNumber(offset)
		}
	}
	return nil
}

// open resolves every configured line through f.
func open(cfg Config, f lineFinder) (*Outputs, error) {
	o := &Outputs{}
	outs := []struct {
		spec string
		dst  *gpio.PinOut
	}{{cfg.Green, &o.Green}, {cfg.Red, &o.Red}, {cfg.Amber, &o.Amber}, {cfg.Buzzer, &o.Buzzer}}
	for _, out := range outs {
		if out.spec == "" {
			continue
		}
		p, activeLow, err := resolve(out.spec, f)
		if err != nil {
			return nil, err
		}
		o.lines = append(o.lines, p)
		var pin gpio.PinOut = p
		if activeLow {
			pin = invertedOut{p}
		}
		if err := pin.Out(gpio.Low); err != nil {
			return nil, fmt.Errorf("gpio: line %s: %w", out.spec, err)
		}
		*out.dst = pin
	}
	if cfg.Button != "" {
		p, activeLow, err := resolve(cfg.Button, f)
		if err != nil {
			return nil, err
		}
		// A button to ground needs the pull-up; one to 3V3 the pull-down.
		pull := gpio.PullDown
		if activeLow {
			pull = gpio.PullUp
		}
		if err := p.In(pull, gpio.BothEdges); err != nil {
			return nil, fmt.Errorf("gpio: button %s: %w", cfg.Button, err)
		}
		o.lines = append(o.lines, p)
		o.Button = p
		if activeLow {
			o.Button = invertedIn{p}
		}
	}
	return o, nil
}

// resolve parses "[!]NAME" or "[!]CHIP:OFFSET".
func resolve(spec string, f lineFinder) (gpio.PinIO, bool, error) {
	name, activeLow := strings.CutPrefix(spec, "!")
	var p gpio.PinIO
	if chip, off, ok := strings.Cut(name, ":"); ok {
		n, err := strconv.Atoi(off)
		if err != nil || n < 0 {
			return nil, false, fmt.Errorf("gpio: line %q: offset %q is not a number", spec, off)
		}
		p = f.byOffset(chip, n)
	} else {
		p = f.byName(name)
	}
	if p == nil {
		return nil, false, fmt.Errorf("gpio: line %q not found (see gpioinfo)", spec)
	}
	return p, activeLow, nil
}

// SetLights switches the LEDs. Without an amber LED, amber is shown as red
// and green together.
func (o *Outputs) SetLights(green, red, amber bool) error {
	if amber && o.Amber == nil {
		green, red = true, true
	}
	var errs []error
	for _, l := range []struct {
		pin gpio.PinOut
		on  bool
	}{{o.Green, green}, {o.Red, red}, {o.Amber, amber}} {
		if l.pin != nil {
			if err := l.pin.Out(gpio.Level(l.on)); err != nil {
				errs = append(errs, fmt.Errorf("gpio: %s: %w", l.pin.Name(), err))
			}
		}
	}
	return errors.Join(errs...)
}

// SetBuzzer switches the active buzzer line or the PWM tone.
func (o *Outputs) SetBuzzer(on bool) error {
	if o.Buzzer != nil {
		if err := o.Buzzer.Out(gpio.Level(on)); err != nil {
			return fmt.Errorf("gpio: buzzer %s: %w", o.Buzzer.Name(), err)
		}
	}
	if o.Tone != nil {
		if on {
			return o.Tone.Tone(o.ToneHz)
		}
		return o.Tone.Off()
	}
	return nil
}

// Close switches everything off and releases the lines (gpioioctl keeps
// a line requested until closed) and the PWM channel.
func (o *Outputs) Close() error {
	errs := []error{o.SetLights(false, false, false), o.SetBuzzer(false)}
	if o.Tone != nil {
		errs = append(errs, o.Tone.Close())
	}
	for _, l := range o.lines {
		if c, ok := l.(interface{ Close() }); ok {
			c.Close()
		}
	}
	o.lines = nil
	return errors.Join(errs...)
}

// invertedOut drives an active-low line: Out(High) means "on", the wire low.
type invertedOut struct{ gpio.PinIO }

func (p invertedOut) Out(l gpio.Level) error { return p.PinIO.Out(!l) }

// invertedIn reads an active-low input: a pressed button to ground is High.
type invertedIn struct{ gpio.PinIO }

func (p invertedIn) Read() gpio.Level { return !p.PinIO.Read() }
