package voice

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/door"
)

// The prompts shipped in prompts/ are complete: every prompt in both
// languages, the format the image's player is fed, and what MANIFEST
// says genprompts made (so a changed text without regenerating fails).
func TestShippedPrompts(t *testing.T) {
	man := readManifest(t, "prompts/MANIFEST")
	for _, name := range Names() {
		txt, _ := TextOf(name)
		for lang, want := range map[string]string{"zh": txt.ZH, "en": txt.EN} {
			path := filepath.Join("prompts", lang, name+".wav")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			}
			f, data, err := ParseWAV(b)
			if err != nil || f != (Format{Channels: 1, Rate: 16000, Bits: 16}) || len(data) < 16000 {
				t.Errorf("%s: %v, %d bytes of samples (err %v)", path, f, len(data), err)
			}
			m, ok := man[lang+"/"+name]
			if !ok || m.text != want || m.sum != fmt.Sprintf("%x", sha256.Sum256(b)) {
				t.Errorf("%s: MANIFEST says %+v, catalogue %q: run go run ./voice/genprompts", path, m, want)
			}
			delete(man, lang+"/"+name)
		}
	}
	for k := range man {
		t.Errorf("MANIFEST lists %s, which the catalogue does not have", k)
	}
	var total int64
	filepath.Walk("prompts", func(_ string, fi os.FileInfo, _ error) error {
		total += fi.Size()
		return nil
	})
	if total > 3<<20 {
		t.Errorf("prompts are %d bytes; keep the image small", total)
	}
}

type manifestEntry struct{ sum, text string }

func readManifest(t *testing.T, path string) map[string]manifestEntry {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]manifestEntry{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		p := strings.SplitN(sc.Text(), "\t", 4)
		if len(p) != 4 {
			t.Fatalf("MANIFEST line %q", sc.Text())
		}
		out[p[0]+"/"+p[1]] = manifestEntry{sum: p[2], text: p[3]}
	}
	return out
}

// Every reason the gate can give has a prompt: each card refusal its own,
// every device reason the one "see staff".
func TestEveryReasonHasItsPrompt(t *testing.T) {
	seen := map[string]door.Reason{}
	for _, r := range door.Reasons() {
		var d door.Decision
		switch {
		case r == door.ReasonPass || r == door.ReasonLogged:
			d = door.Decision{Outcome: door.Pass, Reason: r}
		case r == door.ReasonAlreadyIn:
			d = door.Decision{Outcome: door.AlreadyIn, Reason: r}
		case r == door.ReasonExit || r == door.ReasonAlreadyOut:
			d = door.Decision{Outcome: door.Exit, Reason: r}
		case r == door.ReasonVenueFull:
			d = door.Decision{Outcome: door.Full, Reason: r}
		case r.Device():
			d = door.Decision{Outcome: door.Fault, Reason: r}
		default:
			d = door.Decision{Outcome: door.Fail, Reason: r}
		}
		name := PromptFor(d)
		if _, ok := TextOf(name); !ok {
			t.Errorf("%s: prompt %q has no text", r, name)
		}
		switch {
		case r.Device() && name != PromptFault:
			t.Errorf("device reason %s says %q, want fault", r, name)
		case d.Outcome == door.Fail && name != string(r):
			t.Errorf("card refusal %s says %q, not its own prompt", r, name)
		case d.Outcome == door.Fail:
			if prev, dup := seen[name]; dup {
				t.Errorf("%s and %s share prompt %q", prev, r, name)
			}
			seen[name] = r
		}
	}
	for _, tc := range []struct {
		d    door.Decision
		want string
	}{
		{door.Decision{Outcome: door.Exit, Reason: door.ReasonExit}, PromptExit},
		{door.Decision{Outcome: door.Exit, Reason: door.ReasonTrustStale}, PromptExit},
		{door.Decision{Outcome: door.Exit, Reason: door.ReasonRevoked}, PromptExitSeeStaff},
		{door.Decision{Outcome: door.Full, Reason: door.ReasonVenueFull}, PromptFull},
	} {
		if got := PromptFor(tc.d); got != tc.want {
			t.Errorf("%v/%s says %q, want %q", tc.d.Outcome, tc.d.Reason, got, tc.want)
		}
	}
	if got := PromptFor(door.Decision{Outcome: door.Fail, Reason: "brand_new"}); got != PromptFail {
		t.Errorf("unknown card reason says %q, want fail", got)
	}
	if got := PromptFor(door.Decision{Outcome: door.Fail, Reason: door.ReasonStorage}); got != PromptFault {
		t.Errorf("a device reason under fail says %q, want fault", got)
	}
}

func TestParseLanguages(t *testing.T) {
	for in, want := range map[string]string{"zh": "zh", "en": "en", "zh+en": "zh,en", "en+zh": "en,zh"} {
		got, err := ParseLanguages(in)
		if err != nil || strings.Join(got, ",") != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, in := range []string{"", "fr", "zh+zh", "zh+", "ZH"} {
		if _, err := ParseLanguages(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// fakePlayer writes a script standing in for aplay: it logs its pid and
// arguments, keeps what it reads on stdin in stdin-PID, then plays for
// hold (a sleep) like aplay on a long prompt.
func fakePlayer(t *testing.T, hold string) (cmd, dir string) {
	dir = t.TempDir()
	cmd = filepath.Join(dir, "aplay")
	script := "#!/bin/sh\ncat > " + dir + "/stdin-$$\necho \"$$ $*\" >> " + dir + "/args.log\nexec sleep " + hold + "\n"
	if err := os.WriteFile(cmd, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return cmd, dir
}

type played struct {
	args  string
	stdin []byte
}

// waitPlayed waits until the fake player has logged n runs.
func waitPlayed(t *testing.T, dir string, n int) []played {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, "args.log"))
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(b) > 0 && len(lines) >= n {
			var out []played
			for _, l := range lines {
				pid, args, _ := strings.Cut(l, " ")
				in, err := os.ReadFile(filepath.Join(dir, "stdin-"+pid))
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, played{args, in})
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("player ran %d times, want %d", len(lines), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func shipped(player string) Config {
	return Config{Player: player, Dir: "prompts", Languages: []string{"zh", "en"}, Volume: 100}
}

func samples(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, data, err := ParseWAV(b)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Each card refusal plays its own prompt, Chinese then English, and the
// player is fed exactly those samples as one WAV on stdin.
func TestEachReasonPlaysItsOwnPrompt(t *testing.T) {
	cmd, dir := fakePlayer(t, "0")
	cfg := shipped(cmd)
	cfg.Device = "plughw:0"
	v, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	var reasons []door.Reason
	for _, r := range door.Reasons() {
		switch r {
		case door.ReasonExit, door.ReasonAlreadyOut, door.ReasonVenueFull:
			continue // not a card refusal: TestEveryReasonHasItsPrompt
		}
		if r != door.ReasonPass && r != door.ReasonAlreadyIn && r != door.ReasonLogged && !r.Device() {
			reasons = append(reasons, r)
		}
	}
	for i, r := range reasons {
		v.Say(door.Decision{Outcome: door.Fail, Reason: r})
		got := waitPlayed(t, dir, i+1)[i]
		if got.args != "-q -D plughw:0 -t wav -" {
			t.Errorf("%s: player args %q", r, got.args)
		}
		f, data, err := ParseWAV(got.stdin)
		if err != nil || f.Rate != 16000 {
			t.Fatalf("%s: player got %v (err %v)", r, f, err)
		}
		zh, en := samples(t, "prompts/zh/"+string(r)+".wav"), samples(t, "prompts/en/"+string(r)+".wav")
		pause := int(gap.Seconds()*16000) * 2
		if len(data) != len(zh)+pause+len(en) || !bytes.Equal(data[:len(zh)], zh) || !bytes.Equal(data[len(zh)+pause:], en) ||
			bytes.Count(data[len(zh):len(zh)+pause], []byte{0}) != pause {
			t.Errorf("%s: player was fed %d bytes, want zh %d + pause %d + en %d of the reason's own prompts",
				r, len(data), len(zh), pause, len(en))
		}
	}
}

func TestVolumeAndLanguage(t *testing.T) {
	cmd, dir := fakePlayer(t, "0")
	cfg := shipped(cmd)
	cfg.Languages, cfg.Volume = []string{"en"}, 50
	v, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	v.Say(door.Decision{Outcome: door.Pass})
	_, data, err := ParseWAV(waitPlayed(t, dir, 1)[0].stdin)
	if err != nil {
		t.Fatal(err)
	}
	full := samples(t, "prompts/en/pass.wav")
	if len(data) != len(full) {
		t.Fatalf("en only: %d bytes, want %d", len(data), len(full))
	}
	var peakFull, peak int
	for i := 0; i < len(full); i += 2 {
		a, b := int(int16(binary.LittleEndian.Uint16(full[i:]))), int(int16(binary.LittleEndian.Uint16(data[i:])))
		if b != a*50/100 {
			t.Fatalf("sample %d: %d at volume 50, want %d", i/2, b, a*50/100)
		}
		peakFull, peak = max(peakFull, abs(a)), max(peak, abs(b))
	}
	if peakFull < 20000 || peak > peakFull/2 {
		t.Errorf("peaks %d → %d", peakFull, peak)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// A venue's own recording replaces a prompt in every language; "fail"
// replaces every card refusal that has no file of its own.
func TestFilesOverride(t *testing.T) {
	own := filepath.Join(t.TempDir(), "welcome.wav")
	pcm := make([]byte, 3200)
	for i := range pcm {
		pcm[i] = byte(i)
	}
	os.WriteFile(own, EncodeWAV(Format{Channels: 1, Rate: 16000, Bits: 16}, pcm), 0o644)
	cfg := shipped("sh")
	cfg.Files = map[string]string{"pass": own, "fail": own}
	for _, name := range []string{"pass", "expired", "revoked"} {
		s, err := cfg.Stream(name)
		if _, data, _ := ParseWAV(s); err != nil || !bytes.Equal(data, pcm) {
			t.Errorf("%s: not the venue's file (err %v)", name, err)
		}
	}
	if s, _ := cfg.Stream("already"); bytes.Contains(s, pcm[:64]) {
		t.Error("already played the override")
	}
	cfg.Files = map[string]string{"welcome": own}
	if errs := cfg.Problems(); len(errs) != 1 || !strings.Contains(errs[0].Error(), `files: unknown prompt "welcome"`) {
		t.Errorf("unknown prompt key: %v", errs)
	}
}

// Problems (scangated --check-config) names the missing player and each
// missing or broken prompt; the shipped set with a real player has none.
func TestProblemsNameWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	for _, lang := range []string{"zh", "en"} {
		os.MkdirAll(filepath.Join(dir, lang), 0o755)
		for _, name := range Names() {
			b, _ := os.ReadFile(filepath.Join("prompts", lang, name+".wav"))
			os.WriteFile(filepath.Join(dir, lang, name+".wav"), b, 0o644)
		}
	}
	cmd, _ := fakePlayer(t, "0")
	cfg := Config{Player: cmd, Dir: dir, Languages: []string{"zh", "en"}, Volume: 80}
	if errs := cfg.Problems(); len(errs) != 0 {
		t.Fatalf("complete set: %v", errs)
	}
	os.Remove(filepath.Join(dir, "en", "revoked.wav"))
	os.WriteFile(filepath.Join(dir, "zh", "pass.wav"), []byte("RIFF...."), 0o644)
	rate8k := EncodeWAV(Format{Channels: 1, Rate: 8000, Bits: 16}, make([]byte, 800))
	os.WriteFile(filepath.Join(dir, "en", "fault.wav"), rate8k, 0o644)
	cfg.Player = filepath.Join(dir, "no-such-aplay")
	var msgs []string
	for _, e := range cfg.Problems() {
		msgs = append(msgs, e.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		`player "` + cfg.Player + `" not found`,
		filepath.Join(dir, "en", "revoked.wav") + " is missing",
		filepath.Join(dir, "zh", "pass.wav") + ": wav: not a RIFF/WAVE file",
		filepath.Join(dir, "en", "fault.wav") + " is 8000 Hz",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
	if len(msgs) != 4 {
		t.Errorf("%d problems, want 4:\n%s", len(msgs), all)
	}
	if _, err := Open(cfg); err == nil {
		t.Error("Open with a missing player and prompts returned no error")
	}
}

// A new prompt stops the one still playing, and Close stops the last.
func TestNewPromptKillsOld(t *testing.T) {
	cmd, dir := fakePlayer(t, "30")
	v, err := Open(shipped(cmd))
	if err != nil {
		t.Fatal(err)
	}
	v.Say(door.Decision{Outcome: door.Pass})
	waitPlayed(t, dir, 1)
	v.mu.Lock()
	first, firstExited := v.cur, v.exited
	v.mu.Unlock()
	v.Say(door.Decision{Outcome: door.Fail, Reason: door.ReasonExpired})
	select {
	case <-firstExited:
	default:
		t.Error("the first prompt still plays after a new one started")
	}
	if first.ProcessState == nil || first.ProcessState.Exited() {
		t.Errorf("first prompt was not killed: %v", first.ProcessState)
	}
	p := waitPlayed(t, dir, 2)
	if !bytes.Contains(p[1].stdin, samples(t, "prompts/zh/expired.wav")[:4096]) {
		t.Error("second run was not the expired prompt")
	}
	v.mu.Lock()
	second := v.exited
	v.mu.Unlock()
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-second:
	default:
		t.Error("Close left the prompt playing")
	}
	v.Say(door.Decision{Outcome: door.Pass}) // after Close: nothing
	time.Sleep(50 * time.Millisecond)
	if n := len(waitPlayed(t, dir, 2)); n != 2 {
		t.Errorf("player ran %d times after Close", n)
	}
}
