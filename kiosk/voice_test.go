package kiosk_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/kiosk"
	"github.com/scangate/scangate/kiosk/kiosktest"
	"github.com/scangate/scangate/voice"
)

// recordingPlayer is a script standing in for aplay: it keeps its stdin of
// each run in DIR/N.wav (N counting from 1) and its arguments in DIR/N.args.
func recordingPlayer(t *testing.T) (cmd, dir string) {
	dir = t.TempDir()
	cmd = filepath.Join(dir, "aplay")
	script := `#!/bin/sh
d=` + dir + `
n=$(ls "$d" | grep -c '\.args$')
n=$(printf %02d $((n + 1)))
cat > "$d/$n.wav.tmp"
mv "$d/$n.wav.tmp" "$d/$n.wav"
echo "$*" > "$d/$n.args"
`
	if err := os.WriteFile(cmd, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return cmd, dir
}

func waitRun(t *testing.T, dir string, n int) []byte {
	t.Helper()
	var b []byte
	kiosktest.WaitFor(t, 10*time.Second, "player run", func() bool {
		_, err := os.Stat(filepath.Join(dir, fmt.Sprintf("%02d.args", n)))
		if err != nil {
			return false
		}
		b, err = os.ReadFile(filepath.Join(dir, fmt.Sprintf("%02d.wav", n)))
		return err == nil
	})
	return b
}

// The simulated kiosk speaks every decision through the configured
// player: what the player reads is exactly the prompt of that outcome and
// reason, in the configured languages.
func TestSimulatedKioskSpeaks(t *testing.T) {
	prompts, err := filepath.Abs("../voice/prompts")
	if err != nil {
		t.Fatal(err)
	}
	player, runs := recordingPlayer(t)
	is := kiosktest.NewIssuer(t, t.TempDir())
	revokedText, revokedID := is.Card(t, "张伟", "companion", time.Now().AddDate(1, 0, 0))
	is.Revoke(t, revokedID)
	valid, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	expired, _ := is.Card(t, "李明", "child", time.Now().Add(-time.Minute))

	cfg := config.Default()
	cfg.Voice.Enabled, cfg.Voice.Player, cfg.Voice.Prompts, cfg.Voice.Language = true, player, prompts, "zh+en"
	if err := kiosk.CheckConfig(cfg, t.TempDir()); err != nil {
		t.Fatalf("check-config with the shipped prompts: %v", err)
	}
	r := kiosktest.Start(t, t.TempDir(), cfg, is.TrustPath)
	vc := voice.Config{Dir: prompts, Languages: []string{"zh", "en"}, Volume: cfg.Voice.Volume}
	for i, tc := range []struct{ text, decision, prompt string }{
		{valid, "pass", "pass"},
		{expired, "fail", "expired"},
		{revokedText, "fail", "revoked"},
		{valid, "already", "already"},
		{"https://example.org/menu", "fail", "malformed"},
	} {
		res := r.Present(t, control.PresentRequest{Text: tc.text})
		if res.Decision != tc.decision {
			t.Fatalf("%s: decision %s", tc.prompt, res.Decision)
		}
		got := waitRun(t, runs, i+1)
		want, err := vc.Stream(tc.prompt)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the player read %d bytes, not the %d of the %s prompt", tc.prompt, len(got), len(want), tc.prompt)
		}
	}
	if args, _ := os.ReadFile(filepath.Join(runs, "01.args")); strings.TrimSpace(string(args)) != "-q -t wav -" {
		t.Errorf("player args %q", args)
	}
}

// --check-config names a missing player and each missing prompt; the
// kiosk still starts (the door decides without the voice it lacks).
func TestCheckConfigVoice(t *testing.T) {
	dir := t.TempDir()
	for _, lang := range []string{"zh", "en"} {
		os.MkdirAll(filepath.Join(dir, "voice", lang), 0o755)
		for _, name := range voice.Names() {
			b, err := os.ReadFile(filepath.Join("../voice/prompts", lang, name+".wav"))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, "voice", lang, name+".wav"), b, 0o644)
		}
	}
	player, _ := recordingPlayer(t)
	cfg := config.Default()
	cfg.Camera.Enabled = false
	cfg.Voice.Enabled, cfg.Voice.Player, cfg.Voice.Prompts = true, player, "voice" // relative to the data directory
	if err := kiosk.CheckConfig(cfg, dir); err != nil {
		t.Fatalf("complete: %v", err)
	}
	os.Remove(filepath.Join(dir, "voice", "zh", "expired.wav"))
	cfg.Voice.Player = filepath.Join(dir, "aplay-gone")
	err := kiosk.CheckConfig(cfg, dir)
	for _, want := range []string{`player "` + cfg.Voice.Player + `" not found`, filepath.Join(dir, "voice", "zh", "expired.wav") + " is missing"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("check-config: %v, want %q", err, want)
		}
	}
	cfg.Voice.Enabled = false
	if err := kiosk.CheckConfig(cfg, dir); err != nil {
		t.Errorf("voice off is not checked: %v", err)
	}
	is := kiosktest.NewIssuer(t, t.TempDir())
	cfg.Voice.Enabled = true
	r := kiosktest.Start(t, t.TempDir(), cfg, is.TrustPath)
	text, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	if res := r.Present(t, control.PresentRequest{Text: text}); res.Decision != "pass" {
		t.Errorf("kiosk without its player: %s", res.Decision)
	}
}
