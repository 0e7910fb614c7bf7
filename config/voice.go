package config

import "strings"

// Voice is the spoken prompt for each decision, through ALSA.
type Voice struct {
	Enabled  bool              `toml:"enabled"`
	Player   string            `toml:"player"`   // aplay, or a path
	Device   string            `toml:"device"`   // ALSA PCM for aplay -D ("plughw:CARD=Headphones"); "" the default
	Prompts  string            `toml:"prompts"`  // DIR/LANG/NAME.wav; relative to device.data
	Language string            `toml:"language"` // zh, en, zh+en, en+zh
	Volume   int               `toml:"volume"`   // 0..100, the samples scaled (100: as recorded)
	Files    map[string]string `toml:"files"`    // prompt name → the venue's own WAV, played instead
}

func voiceDefaults() Voice {
	return Voice{Player: "aplay", Prompts: "/usr/share/scangate/voice", Language: "zh+en", Volume: 80}
}

func (v Voice) check(bad func(key, format string, a ...any)) {
	switch v.Language {
	case "zh", "en", "zh+en", "en+zh":
	default:
		bad("voice.language", "must be zh, en, zh+en or en+zh, got %q", v.Language)
	}
	if v.Volume < 0 || v.Volume > 100 {
		bad("voice.volume", "must be 0..100 (percent), got %d", v.Volume)
	}
	if v.Enabled && strings.TrimSpace(v.Player) == "" {
		bad("voice.player", "must name the player (aplay) when voice is enabled")
	}
	if v.Enabled && v.Prompts == "" && len(v.Files) == 0 {
		bad("voice.prompts", "must name the prompt directory when voice is enabled")
	}
}
