package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/scangate/scangate/voice"
)

const (
	promptDir  = "/usr/share/scangate/voice"
	voiceRelay = `
[voice]
enabled = true
player = "/bin/aplay"
device = "plughw:Loopback,0,0"
prompts = "` + promptDir + `"
language = "zh+en"
volume = 80

[relay]
enabled = true
line = "RELAY"
pulse = "1s"
sensor_line = "DOOR"
pass_window = "3s"
`
)

// relayAndVoice restarts the kiosk with [voice] playing through the real
// aplay into snd-aloop, and [relay] on two gpio-sim lines (RELAY out, DOOR
// in): the prompt's samples must come out of the loopback's capture side,
// the relay must rise only once the check-in is in the database and fall
// after its pulse, and an admission nobody passes for must gain a
// not_entered record.
func (r *rig) relayAndVoice(cards map[string]card) {
	if err := sh("modprobe", "snd-aloop", "pcm_substreams=1"); err != nil {
		check("voice", false, "%v", err)
		return
	}
	if !waitFor("loopback sound card", 10*time.Second, func() bool {
		_, err := os.Stat("/dev/snd/pcmC0D1c")
		return err == nil
	}) {
		check("voice", false, "no /dev/snd/pcmC0D1c")
		return
	}
	capNode, _ := r.capture()
	if err := writeConfig(capNode, voiceRelay); err != nil {
		check("voice", false, "%v", err)
		return
	}
	out, err := exec.Command("/bin/scangated", "--check-config", "--config", configPath, "--data", dataDir).CombinedOutput()
	check("voice check-config", err == nil && strings.Contains(string(out), "ok"), "%s (err %v)", strings.TrimSpace(string(out)), err)
	// A missing prompt is named by --check-config.
	moved := filepath.Join(promptDir, "en", "revoked.wav")
	os.Rename(moved, moved+".away")
	out, err = exec.Command("/bin/scangated", "--check-config", "--config", configPath, "--data", dataDir).CombinedOutput()
	os.Rename(moved+".away", moved)
	check("voice check-config missing prompt", err != nil && strings.Contains(string(out), moved+" is missing"), "%s", strings.TrimSpace(string(out)))

	if err := writeFile(filepath.Join(r.chip.lines["DOOR"], "pull"), "pull-down"); err != nil {
		check("relay", false, "%v", err)
		return
	}
	r.d, err = startDaemon(configPath, dataDir, trustPath, r.log)
	if !check("relay voice ready", err == nil, "READY=1 with [voice] and [relay] (err %v)", err) {
		return
	}
	defer func() {
		err := r.d.stop()
		check("relay voice stop", err == nil, "scangated stopped (err %v)", err)
	}()
	stop := make(chan struct{})
	defer close(stop)
	relay := r.chip.monitor([]string{"RELAY"}, 2*time.Millisecond, stop)

	r.voicePlays(cards["revoked"], relay)
	r.relayOpens(cards["relay1"], relay, true)
	r.relayOpens(cards["relay2"], relay, false)
}

// voicePlays presents a refused card while arecord listens on the
// loopback, and looks for the revoked prompt's samples (zh, then en, at
// volume 80) in what was captured.
func (r *rig) voicePlays(c card, relay *lineMonitor) {
	const capFile = "/tmp/capture.wav"
	rec := exec.Command("/bin/arecord", "-q", "-D", "hw:Loopback,1,0", "-f", "S16_LE", "-r", "16000", "-c", "1", "-d", "9", capFile)
	var recErr bytes.Buffer
	rec.Stderr = &recErr
	if err := rec.Start(); err != nil {
		check("voice", false, "arecord: %v", err)
		return
	}
	time.Sleep(300 * time.Millisecond) // capture open first: playback takes its format
	relay.reset()
	t := time.Now()
	r.send(c.qr)
	err := rec.Wait()
	b, rerr := os.ReadFile(capFile)
	_, got, perr := voice.ParseWAV(b)
	if !check("voice captured", err == nil && rerr == nil && perr == nil && len(got) > 0,
		"%d bytes from the loopback in %.1fs (arecord %v %s, %v %v)", len(got), time.Since(t).Seconds(), err, strings.TrimSpace(recErr.String()), rerr, perr) {
		return
	}
	want, err := voice.Config{Dir: promptDir, Languages: []string{"zh", "en"}, Volume: 80}.Stream("revoked")
	if err != nil {
		check("voice", false, "%v", err)
		return
	}
	_, want, _ = voice.ParseWAV(want)
	// Blocks from the middle of the Chinese and the English halves, byte
	// for byte: the kernel carried exactly what the kiosk meant to say.
	zh, en := want[len(want)/4:len(want)/4+4000], want[3*len(want)/4:3*len(want)/4+4000]
	at := bytes.Index(got, zh)
	check("voice revoked prompt played", at >= 0 && bytes.Contains(got[at:], en),
		"zh block at byte %d, en block after it %v (captured %d, prompt %d bytes)", at, at >= 0 && bytes.Contains(got[at:], en), len(got), len(want))
	rises, _ := relay.level("RELAY")
	check("relay stays shut on refusal", rises == 0, "RELAY rose %d times for a revoked card", rises)
	logb, _ := os.ReadFile("/tmp/scangated.log")
	check("voice player ok", !strings.Contains(string(logb), "voice: player failed") && !strings.Contains(string(logb), "voice prompts incomplete"),
		"no player failure in the daemon's log")
}

// relayOpens presents an admitted card and follows the relay: it rises
// only when the check-in is stored and falls after the 1 s pulse. With
// passed the door sensor reports a passage within the window; without, a
// not_entered record must follow the 3 s window.
func (r *rig) relayOpens(c card, relay *lineMonitor, passed bool) {
	name := "relay " + c.name
	relay.reset()
	before, _ := checkins(dataDir)
	r.send(c.qr)
	var risen time.Time
	var stored bool
	ok := waitFor(name+" open", 10*time.Second, func() bool {
		if _, high := relay.level("RELAY"); !high {
			return false
		}
		risen = time.Now()
		rows, err := checkins(dataDir) // read at once: the row must already be there
		stored = err == nil && len(rows) > len(before) && rows[len(before)].Card == c.cardID && rows[len(before)].Decision == "pass"
		return true
	})
	check(name+" after durable", ok && stored, "RELAY high, the pass row already in the database: %v", stored)
	ok = waitFor(name+" pulse end", 5*time.Second, func() bool { _, high := relay.level("RELAY"); return !high })
	pulse := time.Since(risen)
	check(name+" pulse", ok && pulse > 700*time.Millisecond && pulse < 2*time.Second, "RELAY high for about %.2fs (pulse 1s)", pulse.Seconds())
	if passed {
		door := filepath.Join(r.chip.lines["DOOR"], "pull")
		writeFile(door, "pull-up") // the door opens ...
		time.Sleep(200 * time.Millisecond)
		writeFile(door, "pull-down") // ... and closes
	}
	time.Sleep(4 * time.Second) // past the 3 s window
	rows, err := checkins(dataDir)
	var notEntered []checkin
	for _, row := range rows[len(before):] {
		if row.Decision == "not_entered" {
			notEntered = append(notEntered, row)
		}
	}
	if passed {
		check(name+" passed", err == nil && len(notEntered) == 0 && len(rows) == len(before)+1, "a passage within the window: no not_entered record (%d new rows)", len(rows)-len(before))
		return
	}
	check(name+" not entered", err == nil && len(notEntered) == 1 && notEntered[0].Card == c.cardID && notEntered[0].Reason == "pass" &&
		len(rows) == len(before)+2 && rows[len(before)].Decision == "pass",
		"no passage: the pass row kept and a not_entered record after it: %v", fmt.Sprint(rows[len(before):]))
}
