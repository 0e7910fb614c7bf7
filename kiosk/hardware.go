package kiosk

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/display"
	"github.com/scangate/scangate/drivers/camera"
	"github.com/scangate/scangate/drivers/gpio"
	"github.com/scangate/scangate/drivers/hidscan"
	"github.com/scangate/scangate/drivers/lcd"
	"github.com/scangate/scangate/drivers/serialscan"
	"github.com/scangate/scangate/scanner"

	periphgpio "periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

type cameraSource struct {
	name  string
	src   scanner.FrameSource
	state func() camera.State
}

type textSource struct {
	name  string
	kind  string // serial, hid
	src   scanner.TextSource
	state func() (status, lastErr string, codes uint64)
}

// hardware is every opened part; in simulation the fakes.
type hardware struct {
	cameras []cameraSource
	texts   []textSource
	outputs []any
	closers []io.Closer
	button  periphgpio.PinIn // [gpio] button; a gpiotest pin in simulation; nil when none

	simCamera *camera.Fake
	simSerial *serialscan.Sim
}

func (h *hardware) Close() error {
	var errs []error
	for i := len(h.closers) - 1; i >= 0; i-- {
		if err := h.closers[i].Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func openHardware(cfg config.Config, opts Options, log *slog.Logger) (h *hardware, err error) {
	h = &hardware{}
	defer func() {
		if err != nil {
			h.Close()
		}
	}()
	if opts.Sim {
		return h, h.openSim(cfg, opts, log)
	}

	if cfg.Camera.Enabled {
		cc, err := cameraConfig(cfg.Camera, log)
		if err != nil {
			return nil, err
		}
		cam, err := camera.New(cc)
		if err != nil {
			return nil, fmt.Errorf("kiosk: camera: %w", err)
		}
		h.closers = append(h.closers, cam)
		h.cameras = append(h.cameras, cameraSource{name: "camera0", src: cam, state: cam.State})
	}
	if cfg.Serial.Enabled {
		s, err := serialscan.Open(serialConfig(cfg.Serial, cfg.Serial.Device, log))
		if err != nil {
			return nil, fmt.Errorf("kiosk: serial scanner: %w", err)
		}
		h.closers = append(h.closers, s)
		h.texts = append(h.texts, textSource{name: "serial0", kind: "serial", src: s, state: func() (string, string, uint64) {
			st := s.State()
			return st.Status, st.LastError, st.Codes
		}})
	}
	if cfg.HID.Enabled {
		s, err := hidscan.Open(hidscan.Config{Path: cfg.HID.Device, Name: cfg.HID.Name, Timeout: cfg.HID.EndTimeout.Duration, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("kiosk: HID scanner: %w", err)
		}
		h.closers = append(h.closers, s)
		h.texts = append(h.texts, textSource{name: "hid0", kind: "hid", src: s, state: func() (string, string, uint64) {
			st := s.State()
			return st.Status, st.LastError, st.Codes
		}})
	}
	if cfg.GPIO.Enabled {
		line := func(name string) string {
			if name != "" && cfg.GPIO.ActiveLow {
				return "!" + name
			}
			return name
		}
		gc := gpio.Config{Green: line(cfg.GPIO.Green), Red: line(cfg.GPIO.Red), Amber: line(cfg.GPIO.Amber),
			Buzzer: line(cfg.GPIO.Buzzer), Button: cfg.GPIO.Button}
		if cfg.GPIO.PWMChip >= 0 {
			gc.Tone = &gpio.PWMConfig{Chip: cfg.GPIO.PWMChip, Channel: cfg.GPIO.PWMChan, Hz: cfg.GPIO.ToneHz}
		}
		out, err := gpio.Open(gc)
		if err != nil {
			return nil, fmt.Errorf("kiosk: gpio: %w", err)
		}
		h.closers = append(h.closers, out)
		h.outputs = append(h.outputs, out)
		if out.Button != nil {
			h.button = out.Button
		}
	}
	switch cfg.Screen.Type {
	case "hd44780":
		d, c, err := lcd.OpenHD44780(lcd.CharConfig{Bus: cfg.Screen.Bus, Addr: uint16(cfg.Screen.Addr),
			Cols: cfg.Screen.Cols, Rows: cfg.Screen.Rows, SMBus: cfg.Screen.SMBus})
		if err != nil {
			return nil, fmt.Errorf("kiosk: screen: %w", err)
		}
		h.closers = append(h.closers, c)
		h.outputs = append(h.outputs, d)
	case "ssd1306":
		d, c, err := lcd.OpenOLED(cfg.Screen.Bus)
		if err != nil {
			return nil, fmt.Errorf("kiosk: screen: %w", err)
		}
		h.closers = append(h.closers, c)
		h.outputs = append(h.outputs, d)
	case "fb":
		d, err := lcd.OpenFramebuffer(cfg.Screen.FB)
		if err != nil {
			return nil, fmt.Errorf("kiosk: screen: %w", err)
		}
		h.closers = append(h.closers, d)
		h.outputs = append(h.outputs, d)
	}
	if len(h.cameras)+len(h.texts) == 0 {
		return nil, errors.New("kiosk: no input configured: enable camera, serial or hid in scangate.toml")
	}
	return h, nil
}

// openSim replaces every part by its fake: a simulated camera, a serial
// scanner on a real pseudo-terminal, and a terminal renderer.
func (h *hardware) openSim(cfg config.Config, opts Options, log *slog.Logger) error {
	// Frames are stamped on the kiosk's clock: on a fake clock a test holds
	// a card in view for as long as it likes.
	cam := camera.NewFake(camera.FakeConfig{Width: cfg.Camera.Width, Height: cfg.Camera.Height, FPS: cfg.Camera.FPS,
		Clock: opts.Clock, Logger: log})
	h.closers = append(h.closers, cam)
	h.simCamera = cam
	h.cameras = append(h.cameras, cameraSource{name: "camera0", src: cam, state: cam.State})

	sc := serialConfig(cfg.Serial, "", log)
	sc.Path = filepath.Join(opts.DataDirOr(cfg), "sim-serial")
	sim, err := serialscan.NewSimulated(sc)
	if err != nil {
		return fmt.Errorf("kiosk: simulated serial scanner: %w", err)
	}
	h.closers = append(h.closers, sim)
	h.simSerial = sim
	h.texts = append(h.texts, textSource{name: "serial0", kind: "serial", src: sim, state: func() (string, string, uint64) {
		st := sim.State()
		return st.Status, st.LastError, st.Codes
	}})
	h.outputs = append(h.outputs, display.NewTerminal(opts.Terminal))
	// A button that tests press by sending edges (PressSimButton).
	h.button = &gpiotest.Pin{N: "sim-button", EdgesChan: make(chan periphgpio.Level, 4)}
	return nil
}

// DataDirOr is the data directory these options resolve to.
func (o Options) DataDirOr(cfg config.Config) string {
	if o.DataDir != "" {
		return o.DataDir
	}
	return cfg.Device.Data
}

func serialConfig(c config.Serial, path string, log *slog.Logger) serialscan.Config {
	return serialscan.Config{Path: path, Baud: c.Baud, DataBits: c.DataBits, Parity: c.Parity, StopBits: c.StopBits,
		Suffix: serialscan.SuffixFor(c.Terminator), CharTimeout: c.CharTimeout.Duration,
		DiscardPartial: !c.FlushPartial, Logger: log}
}

// cameraConfig maps [camera] onto the driver's options.
func cameraConfig(c config.Camera, log *slog.Logger) (camera.Config, error) {
	var format camera.PixelFormat
	if c.Format != "" {
		var err error
		if format, err = camera.ParseFormat(c.Format); err != nil {
			return camera.Config{}, fmt.Errorf("kiosk: camera.format: %w", err)
		}
	}
	controls, err := camera.ParseControls(c.Controls)
	if err != nil {
		return camera.Config{}, fmt.Errorf("kiosk: camera.controls: %w", err)
	}
	return camera.Config{Device: c.Device, Width: c.Width, Height: c.Height, FPS: c.FPS, Buffers: c.Buffers,
		Format: format, Input: c.Input, Controls: controls, Logger: log}, nil
}
