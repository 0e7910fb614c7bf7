package config

import (
	"strings"
	"testing"
	"time"
)

func TestVoiceAndRelayValues(t *testing.T) {
	c, err := Parse("t.toml", []byte(`
[voice]
enabled = true
device = "plughw:CARD=Headphones"
language = "en"
volume = 55
files = { pass = "/data/scangate/welcome.wav" }
[relay]
enabled = true
line = "GPIO5"
active_low = true
pulse = "1500ms"
sensor_line = "!GPIO6"
pass_window = "8s"
`))
	if err != nil {
		t.Fatal(err)
	}
	if v := c.Voice; !v.Enabled || v.Device != "plughw:CARD=Headphones" || v.Language != "en" || v.Volume != 55 ||
		v.Prompts != "/usr/share/scangate/voice" || v.Files["pass"] == "" || v.Player != "aplay" {
		t.Errorf("voice: %+v", v)
	}
	if r := c.Relay; !r.Enabled || r.Line != "GPIO5" || !r.ActiveLow || r.Pulse.Duration != 1500*time.Millisecond ||
		r.SensorLine != "!GPIO6" || r.PassWindow.Duration != 8*time.Second {
		t.Errorf("relay: %+v", r)
	}
}

func TestVoiceAndRelayErrors(t *testing.T) {
	for text, want := range map[string]string{
		"[voice]\nlanguage = \"fr\"\n":                                              `t.toml:2: key "voice.language": must be zh, en, zh+en or en+zh`,
		"[voice]\nvolume = 150\n":                                                   `t.toml:2: key "voice.volume": must be 0..100`,
		"[voice]\nenabled = true\nplayer = \"\"\n":                                  `t.toml:3: key "voice.player"`,
		"[relay]\nenabled = true\nline = \"\"\n":                                    `t.toml:3: key "relay.line"`,
		"[relay]\nenabled = true\npulse = \"10ms\"\n":                               `t.toml:3: key "relay.pulse": must be 100ms..1m`,
		"[relay]\nenabled = true\nsensor_line = \"!GPIO23\"\n":                      `t.toml:3: key "relay.sensor_line": must not be the relay's own line`,
		"[relay]\nenabled = true\nsensor_line = \"GPIO24\"\npass_window = \"0s\"\n": `t.toml:4: key "relay.pass_window": must be 1s..10m`,
	} {
		_, err := Parse("t.toml", []byte(text))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
	// A disabled relay is not checked: the example's defaults stand.
	if _, err := Parse("t.toml", []byte("[relay]\npulse = \"10ms\"\n")); err != nil {
		t.Errorf("disabled relay checked: %v", err)
	}
}
