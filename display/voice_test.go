package display

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/door"
)

// fakePlayer writes a script that logs its arguments and then plays for a
// long time, like aplay on a long WAV.
func fakePlayer(t *testing.T) (cmd, logFile string) {
	dir := t.TempDir()
	logFile = filepath.Join(dir, "args.log")
	cmd = filepath.Join(dir, "aplay")
	script := "#!/bin/sh\necho \"$$ $*\" >> " + logFile + "\nexec sleep 30\n"
	if err := os.WriteFile(cmd, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return cmd, logFile
}

func waitLines(t *testing.T, file string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(file)
		if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(b) > 0 && len(lines) >= n {
			return lines
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("player did not log %d lines", n)
	return nil
}

func TestVoiceNewPromptKillsOld(t *testing.T) {
	cmd, logFile := fakePlayer(t)
	v := newVoicePlayer(cmd, map[door.Outcome]string{door.Pass: "/snd/pass.wav", door.Fail: "/snd/fail.wav"}, slog.Default())
	v.play(door.Pass)
	first := v.current
	firstExited := v.exited
	waitLines(t, logFile, 1)
	v.play(door.Fail)
	select {
	case <-firstExited:
	default:
		t.Error("the first prompt still plays after a new one started")
	}
	if first.ProcessState == nil || first.ProcessState.Success() {
		t.Errorf("first prompt was not killed: %v", first.ProcessState)
	}
	lines := waitLines(t, logFile, 2)
	if !strings.HasSuffix(lines[0], " -q /snd/pass.wav") || !strings.HasSuffix(lines[1], " -q /snd/fail.wav") {
		t.Errorf("player args: %q", lines)
	}
	v.play(door.AlreadyIn) // no file: stops the fail prompt, plays nothing
	if v.current != nil {
		t.Error("a prompt is playing for an outcome without a file")
	}
	if err := v.stop(); err != nil {
		t.Fatal(err)
	}
}

func TestDisplayPlaysVoiceWithoutWaiting(t *testing.T) {
	cmd, logFile := fakePlayer(t)
	r := newRig(t, Config{Player: cmd, Voice: map[door.Outcome]string{door.Pass: "/snd/pass.wav"}})
	r.d.Show(door.Decision{Outcome: door.Pass})
	r.waitTimer() // the pattern runs while the 30 s prompt still plays
	if lines := waitLines(t, logFile, 1); !strings.HasSuffix(lines[0], "-q /snd/pass.wav") {
		t.Errorf("player args: %q", lines)
	}
	if err := r.d.Close(); err != nil {
		t.Fatal(err)
	}
	if r.d.voice.current != nil {
		t.Error("Close left the prompt playing")
	}
}
