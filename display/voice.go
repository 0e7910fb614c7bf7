package display

import (
	"log/slog"
	"os/exec"
	"sync"

	"github.com/scangate/scangate/door"
)

// voicePlayer plays one WAV per outcome with `aplay -q FILE`. It does not
// wait for the sound to end; a new prompt kills the one still playing.
type voicePlayer struct {
	cmd   string
	files map[door.Outcome]string
	log   *slog.Logger

	mu      sync.Mutex
	current *exec.Cmd
	exited  chan struct{}
}

func newVoicePlayer(cmd string, files map[door.Outcome]string, log *slog.Logger) *voicePlayer {
	if cmd == "" {
		cmd = "aplay"
	}
	return &voicePlayer{cmd: cmd, files: files, log: log}
}

func (v *voicePlayer) play(o door.Outcome) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.killLocked()
	file, ok := v.files[o]
	if !ok {
		return
	}
	c := exec.Command(v.cmd, "-q", file)
	if err := c.Start(); err != nil {
		v.log.Warn("display: voice prompt", "cmd", v.cmd, "err", err)
		return
	}
	exited := make(chan struct{})
	go func() {
		// Reap the child; a killed prompt ends with a signal, not an error to report.
		_ = c.Wait()
		close(exited)
	}()
	v.current, v.exited = c, exited
}

// killLocked stops the prompt still playing and waits until it is reaped,
// so two prompts never overlap on the sound card.
func (v *voicePlayer) killLocked() {
	if v.current == nil {
		return
	}
	select {
	case <-v.exited:
	default:
		_ = v.current.Process.Kill()
		<-v.exited
	}
	v.current, v.exited = nil, nil
}

func (v *voicePlayer) stop() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.killLocked()
	return nil
}
