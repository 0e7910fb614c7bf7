package kiosk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/display"
	"github.com/scangate/scangate/drivers/gpio"
	"github.com/scangate/scangate/drivers/lcd"
)

// ConfigFaultTitle heads the screen and the error file, Chinese first.
const ConfigFaultTitle = "配置错误 / Configuration error"

// ConfigFaultText is the error file a technician reads on a PC: the title,
// then one line a problem, "file:line: key "k": what is wrong".
func ConfigFaultText(problems []config.Problem) string {
	var b strings.Builder
	b.WriteString(ConfigFaultTitle + "\r\n")
	for _, p := range problems {
		b.WriteString(p.Error() + "\r\n")
	}
	return b.String()
}

// WriteConfigFault writes the error file (CRLF, for Notepad) atomically:
// a power cut leaves the old file or the new one.
func WriteConfigFault(path string, problems []config.Problem) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(ConfigFaultText(problems)), 0o644); err != nil {
		return fmt.Errorf("kiosk: config fault file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("kiosk: config fault file: %w", err)
	}
	return nil
}

// ConfigFaultPages are the screens shown in turn: one problem a page, as
// title, where (file:line), key, and what is wrong.
func ConfigFaultPages(problems []config.Problem) [][]string {
	var pages [][]string
	for i, p := range problems {
		where := filepath.Base(p.File)
		if p.Line > 0 {
			where += ":" + strconv.Itoa(p.Line)
		}
		if len(problems) > 1 {
			where += fmt.Sprintf(" (%d/%d)", i+1, len(problems))
		}
		lines := []string{"配置错误", "Configuration error", where}
		if p.Key != "" {
			lines = append(lines, p.Key)
		}
		pages = append(pages, append(lines, p.Msg))
	}
	return pages
}

// ShowConfigFault keeps the config error on every screen and the amber LED
// pattern it can open until ctx ends. cfg is what could be read of the
// file (the defaults where nothing could): the screen and LEDs it names
// are tried, and a framebuffer at the default node always. It never
// returns early: a kiosk with a config error must not restart in a loop.
func ShowConfigFault(ctx context.Context, cfg config.Config, problems []config.Problem, log *slog.Logger) {
	var screens []display.Screen
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	addScreen := func(s display.Screen, c io.Closer, err error) {
		if err != nil {
			log.Warn("config fault: screen", "err", err)
			return
		}
		screens, closers = append(screens, s), append(closers, c)
	}
	sc := cfg.Screen
	switch sc.Type {
	case "hd44780":
		d, c, err := lcd.OpenHD44780(lcd.CharConfig{Bus: sc.Bus, Addr: uint16(sc.Addr), Cols: sc.Cols, Rows: sc.Rows, SMBus: sc.SMBus})
		addScreen(d, c, err)
	case "ssd1306":
		d, c, err := lcd.OpenOLED(sc.Bus)
		addScreen(d, c, err)
	}
	fbs := []string{config.Default().Screen.FB}
	if sc.Type == "fb" && sc.FB != fbs[0] {
		fbs = append(fbs, sc.FB)
	}
	for _, p := range fbs {
		d, err := lcd.OpenFramebuffer(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		addScreen(d, d, err)
	}
	var lights display.Lights
	if cfg.GPIO.Enabled {
		out, err := gpio.Open(gpio.Config{Green: cfg.GPIO.Green, Red: cfg.GPIO.Red, Amber: cfg.GPIO.Amber})
		if err != nil {
			log.Warn("config fault: lights", "err", err)
		} else {
			lights, closers = out, append(closers, out)
		}
	}
	pages := ConfigFaultPages(problems)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		// A page every 3 s, so a two-line LCD shows every problem in turn.
		if n%6 == 0 {
			page := pages[(n/6)%len(pages)]
			for _, s := range screens {
				if err := s.ShowText(display.ColorFault, page); err != nil {
					log.Warn("config fault: screen", "err", err)
				}
			}
		}
		if lights != nil {
			_ = lights.SetLights(false, false, n%2 == 0)
		}
		select {
		case <-ctx.Done():
			if lights != nil {
				_ = lights.SetLights(false, false, false)
			}
			return
		case <-tick.C:
		}
	}
}
