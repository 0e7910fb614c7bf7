package kiosk

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/voice"
)

// voiceConfig maps [voice] onto the voice package's settings; a relative
// prompt directory or file is relative to the data directory, like every
// path in scangate.toml.
func voiceConfig(v config.Voice, dataDir string, log *slog.Logger) (voice.Config, error) {
	langs, err := voice.ParseLanguages(v.Language)
	if err != nil {
		return voice.Config{}, fmt.Errorf("kiosk: voice.language: %w", err)
	}
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dataDir, p)
	}
	files := map[string]string{}
	for k, f := range v.Files {
		files[k] = rel(f)
	}
	return voice.Config{Player: v.Player, Device: v.Device, Dir: rel(v.Prompts), Languages: langs,
		Volume: v.Volume, Files: files, Logger: log}, nil
}

// checkVoice is --check-config's look at [voice]: the player and every
// prompt file, each problem named.
func checkVoice(v config.Voice, dataDir string) error {
	if !v.Enabled {
		return nil
	}
	vc, err := voiceConfig(v, dataDir, nil)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range vc.Problems() {
		errs = append(errs, fmt.Errorf("kiosk: %w", p))
	}
	return errors.Join(errs...)
}

// openVoice starts the voice, or returns nil when [voice] is off. A missing
// player or prompt is logged as an error and the kiosk decides anyway: the
// lights, beeps and screen still tell the person, and a door that stays
// dark over a missing sound file helps nobody. --check-config reports it
// before the card goes in.
func openVoice(v config.Voice, dataDir string, log *slog.Logger) (*voice.Voice, error) {
	if !v.Enabled {
		return nil, nil
	}
	vc, err := voiceConfig(v, dataDir, log)
	if err != nil {
		return nil, err
	}
	vo, err := voice.Open(vc)
	if err != nil {
		log.Error("kiosk: voice prompts incomplete; the door speaks what it can", "err", err)
	}
	return vo, nil
}
