package voice

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/scangate/scangate/door"
)

// Config says where the prompts are, how to play them and in which
// languages.
type Config struct {
	// Player plays a WAV stream from standard input: "aplay" (looked up in
	// PATH) or a path. It is run as `PLAYER -q [-D DEVICE] -t wav -`.
	Player string
	// Device is the ALSA PCM for aplay's -D ("plughw:CARD=Headphones",
	// "default"); empty leaves aplay's default.
	Device string
	// Dir holds the prompts as DIR/LANG/NAME.wav (prompts/ in the source
	// tree, /usr/share/scangate/voice on the image).
	Dir string
	// Languages are spoken in order, e.g. ["zh", "en"]: a short pause
	// between them.
	Languages []string
	// Volume scales the samples, 0..100 (100: as recorded).
	Volume int
	// Files replaces prompts by the venue's own recordings: the key is a
	// prompt name (Names), "fail" for every card refusal without its own
	// file; the file is played as the whole prompt, in every language.
	Files  map[string]string
	Logger *slog.Logger
}

// Languages the prompts are made in.
var knownLanguages = []string{"zh", "en"}

// ParseLanguages reads "zh", "en", "zh+en" or "en+zh".
func ParseLanguages(s string) ([]string, error) {
	var out []string
	for _, l := range strings.Split(s, "+") {
		if !contains(knownLanguages, l) {
			return nil, fmt.Errorf("voice: language %q: want zh, en, zh+en or en+zh", s)
		}
		if contains(out, l) {
			return nil, fmt.Errorf("voice: language %q names %s twice", s, l)
		}
		out = append(out, l)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// gap is the silence between two languages of one prompt.
const gap = 300 * time.Millisecond

// files returns the files played, in order, for prompt name.
func (c Config) files(name string) []string {
	if f, ok := c.Files[name]; ok {
		return []string{f}
	}
	if f, ok := c.Files[PromptFail]; ok && name != PromptPass && name != PromptAlready && name != PromptFault {
		return []string{f}
	}
	out := make([]string, 0, len(c.Languages))
	for _, l := range c.Languages {
		out = append(out, filepath.Join(c.Dir, l, name+".wav"))
	}
	return out
}

// Problems checks everything Open needs without playing a sound: the
// player, every setting, and every prompt file of every language (present,
// 16-bit PCM, one format for the files spoken together). Each problem
// names what is missing or wrong.
func (c Config) Problems() []error {
	var errs []error
	if c.Player == "" {
		errs = append(errs, errors.New("voice: no player set"))
	} else if _, err := exec.LookPath(c.Player); err != nil {
		errs = append(errs, fmt.Errorf("voice: player %q not found or not executable: %w", c.Player, err))
	}
	if len(c.Languages) == 0 {
		errs = append(errs, errors.New("voice: no language"))
	}
	if c.Volume < 0 || c.Volume > 100 {
		errs = append(errs, fmt.Errorf("voice: volume %d out of 0..100", c.Volume))
	}
	for k := range c.Files {
		if _, ok := texts[k]; !ok {
			errs = append(errs, fmt.Errorf("voice.files: unknown prompt %q (one of %s)", k, strings.Join(Names(), ", ")))
		}
	}
	type result struct {
		f   Format
		err error
	}
	seen := map[string]result{}
	for _, name := range Names() {
		var first string // the first readable file of this prompt: the others must match it
		for _, f := range c.files(name) {
			r, done := seen[f]
			if !done {
				r.f, r.err = readFormat(f)
				seen[f] = r
				if r.err != nil {
					errs = append(errs, r.err) // once a file, however many prompts use it
				}
			}
			switch {
			case r.err != nil:
			case first == "":
				first = f
			case r.f != seen[first].f:
				errs = append(errs, fmt.Errorf("voice: %s is %v, but %s spoken with it is %v", f, r.f, first, seen[first].f))
			}
		}
	}
	return errs
}

func readFormat(path string) (Format, error) {
	b, err := readPrompt(path)
	if err != nil {
		return Format{}, err
	}
	f, _, err := ParseWAV(b)
	if err != nil {
		return Format{}, fmt.Errorf("voice: prompt %s: %w", path, err)
	}
	return f, nil
}

func readPrompt(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("voice: prompt %s is missing", path)
		}
		return nil, fmt.Errorf("voice: prompt: %w", err)
	}
	if fi.Size() > MaxWAV {
		return nil, fmt.Errorf("voice: prompt %s: %d bytes, limit %d", path, fi.Size(), MaxWAV)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("voice: prompt: %w", err)
	}
	return b, nil
}

// Stream is the WAV the player is fed for prompt name: each language's
// file in turn, a pause between, scaled to the volume.
func (c Config) Stream(name string) ([]byte, error) {
	var pcm []byte
	var f Format
	for i, path := range c.files(name) {
		b, err := readPrompt(path)
		if err != nil {
			return nil, err
		}
		fm, data, err := ParseWAV(b)
		if err != nil {
			return nil, fmt.Errorf("voice: prompt %s: %w", path, err)
		}
		if i == 0 {
			f = fm
		} else {
			if fm != f {
				return nil, fmt.Errorf("voice: prompt %s is %v, not %v like the one before", path, fm, f)
			}
			pcm = append(pcm, make([]byte, int(gap.Seconds()*float64(f.Rate))*f.Channels*2)...)
		}
		pcm = append(pcm, data...)
	}
	return EncodeWAV(f, scale(pcm, c.Volume)), nil
}

// Voice speaks decisions through the player. Say never waits for the sound;
// a new prompt stops the one still playing, so two never overlap.
type Voice struct {
	cfg    Config
	player string
	log    *slog.Logger

	mu     sync.Mutex
	gen    uint64 // bumped by every Say and by Close: a stale start is dropped
	closed bool
	cur    *exec.Cmd
	exited chan struct{}
	wg     sync.WaitGroup
}

// Open checks the configuration (Problems) and returns a Voice. A problem
// is an error, listing them all; the kiosk logs it and goes on without
// the prompts it cannot play rather than leave the door dark.
func Open(cfg Config) (*Voice, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	v := &Voice{cfg: cfg, log: cfg.Logger}
	if p, err := exec.LookPath(cfg.Player); err == nil {
		v.player = p
	}
	return v, errors.Join(cfg.Problems()...)
}

// Say plays the prompt for d and returns at once.
func (v *Voice) Say(d door.Decision) { v.SayPrompt(PromptFor(d)) }

// SayPrompt plays prompt name and returns at once.
func (v *Voice) SayPrompt(name string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.gen++
	v.killLocked()
	if v.closed || v.player == "" {
		return
	}
	gen := v.gen
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		v.play(gen, name)
	}()
}

func (v *Voice) play(gen uint64, name string) {
	data, err := v.cfg.Stream(name)
	if err != nil {
		v.log.Warn("voice: prompt not played", "prompt", name, "err", err)
		return
	}
	args := []string{"-q"}
	if v.cfg.Device != "" {
		args = append(args, "-D", v.cfg.Device)
	}
	args = append(args, "-t", "wav", "-")
	v.mu.Lock()
	if gen != v.gen || v.closed {
		v.mu.Unlock()
		return // a newer prompt or Close came first
	}
	c := exec.Command(v.player, args...)
	c.Stdin = bytes.NewReader(data)
	var stderr tailBuffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		v.mu.Unlock()
		v.log.Warn("voice: player", "player", v.player, "err", err)
		return
	}
	exited := make(chan struct{})
	v.cur, v.exited = c, exited
	v.mu.Unlock()
	err = c.Wait()
	if err != nil && !killed(c) {
		// aplay says why (no card, device busy) on stderr.
		v.log.Warn("voice: player failed", "prompt", name, "err", err, "stderr", stderr.String())
	}
	close(exited)
}

func killed(c *exec.Cmd) bool {
	return c.ProcessState != nil && !c.ProcessState.Exited()
}

// killLocked stops the prompt still playing and waits until it is reaped.
func (v *Voice) killLocked() {
	if v.cur == nil {
		return
	}
	select {
	case <-v.exited:
	default:
		_ = v.cur.Process.Kill()
		<-v.exited
	}
	v.cur, v.exited = nil, nil
}

// Close stops the prompt playing and waits for the player to end.
func (v *Voice) Close() error {
	v.mu.Lock()
	v.closed = true
	v.gen++
	v.killLocked()
	v.mu.Unlock()
	v.wg.Wait()
	return nil
}

// tailBuffer keeps the last bytes a player wrote to stderr.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 512 {
		t.b = t.b[len(t.b)-512:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
