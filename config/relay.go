package config

import (
	"strings"
	"time"
)

// Relay is the output that opens a door strike or turnstile for admitted
// people, and the optional sensor that tells whether they went through.
type Relay struct {
	Enabled   bool   `toml:"enabled"`
	Line      string `toml:"line"`       // GPIO line to the relay driver, e.g. "GPIO23"
	ActiveLow bool   `toml:"active_low"` // the relay closes with the line low (most relay boards)
	// Pulse is how long the strike is held open after an admission.
	Pulse Duration `toml:"pulse"`
	// SensorLine is a door contact or turnstile switch; "" none.
	SensorLine string `toml:"sensor_line"`
	// SensorActiveLow: the contact pulls the line low when the door opens
	// or the turnstile turns (a switch to ground with the pull-up).
	SensorActiveLow bool `toml:"sensor_active_low"`
	// PassWindow is how long after the admission the sensor must see the
	// person pass; otherwise a not_entered record marks the check-in.
	PassWindow Duration `toml:"pass_window"`
}

func relayDefaults() Relay {
	return Relay{Line: "GPIO23", Pulse: Duration{3 * time.Second}, PassWindow: Duration{10 * time.Second}}
}

func (r Relay) check(bad func(key, format string, a ...any)) {
	if !r.Enabled {
		return
	}
	if r.Line == "" {
		bad("relay.line", "must name the relay's GPIO line when the relay is enabled")
	}
	if p := r.Pulse.Duration; p < 100*time.Millisecond || p > time.Minute {
		bad("relay.pulse", "must be 100ms..1m, got %s", p)
	}
	if r.SensorLine == "" {
		return
	}
	if strings.TrimPrefix(r.SensorLine, "!") == strings.TrimPrefix(r.Line, "!") {
		bad("relay.sensor_line", "must not be the relay's own line %q", r.Line)
	}
	if w := r.PassWindow.Duration; w < time.Second || w > 10*time.Minute {
		bad("relay.pass_window", "must be 1s..10m, got %s", w)
	}
}
