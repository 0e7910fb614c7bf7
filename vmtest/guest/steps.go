package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/scangate/scangate/camsim"
)

// rig is the guest's test bench around one kiosk.
type rig struct {
	chip    *simChip
	mon     *lineMonitor
	out     *output
	d       *daemon
	log     *os.File
	lcd     *lcdModel
	lcdOff  int
	scanner *os.File // to the host program that plays the USB serial scanner
	stop    chan struct{}
}

func (r *rig) lcdText() string {
	b, err := os.ReadFile(lcdLog)
	if err != nil {
		return "read " + lcdLog + ": " + err.Error()
	}
	if len(b) > r.lcdOff {
		r.lcd.feed(b[r.lcdOff:])
		r.lcdOff = len(b)
	}
	return r.lcd.text()
}

// lcdSince lists every screen shown since the previous call, then the one on show.
func (r *rig) lcdSince() string {
	now := r.lcdText()
	all := append(r.lcd.screens, now)
	r.lcd.screens = nil
	return strings.Join(all, " | ")
}

func (r *rig) capture() (string, error) { return videoNode("vid-cap") }

func run() error {
	chip, err := setupModules()
	if err != nil {
		return err
	}
	logf("drivers loaded")
	r := &rig{chip: chip, lcd: newLCDModel(16, 2), stop: make(chan struct{})}
	r.mon = chip.monitor([]string{"GREEN", "RED", "AMBER", "BUZZER"}, 3*time.Millisecond, r.stop)
	if r.scanner, err = os.OpenFile("/dev/ttyS1", os.O_WRONLY, 0); err != nil {
		return fmt.Errorf("scanner control port: %w", err)
	}
	if r.log, err = os.Create("/tmp/scangated.log"); err != nil {
		return err
	}
	defer func() {
		if failed > 0 {
			b, _ := os.ReadFile("/tmp/scangated.log")
			fmt.Printf("vmtest: scangated log:\n%s\n", b)
		}
	}()
	cards := map[string]card{}
	for _, n := range []string{"valid", "valid2", "valid3", "revoked", "forged", "relay1", "relay2"} {
		if cards[n], err = loadCard(n); err != nil {
			return err
		}
	}
	qr, err := camsim.QR("https://example.org/menu", 8)
	if err != nil {
		return err
	}
	cards["menu"] = card{name: "menu", img: qr, qr: "https://example.org/menu"}

	if r.out, err = openOutput(width, height); err != nil {
		return err
	}
	capNode, err := r.capture()
	if err != nil {
		return err
	}
	if err := writeConfig(capNode, ""); err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}

	// 1. Boot → ready.
	t := time.Now()
	r.d, err = startDaemon(configPath, dataDir, trustPath, r.log)
	if !check("ready", err == nil, "READY=1 after %.1fs (err %v)", time.Since(t).Seconds(), err) {
		return nil
	}
	var st status
	ok := waitFor("camera streaming", 30*time.Second, func() bool {
		st, err = getStatus(dataDir)
		return err == nil && st.source("camera0") == "streaming" && st.source("serial0") != ""
	})
	check("status", ok && st.Ready, "ready=%v camera0=%q serial0=%q (err %v)", st.Ready, st.source("camera0"), st.source("serial0"), err)
	lcd := r.lcdText()
	check("lcd idle", strings.Contains(lcd, "Show your card"), "screen %q", lcd)

	// 2. A valid card through the camera, held.
	r.present("camera valid", "camera", cards["valid"], "pass", "pass", "Welcome")
	time.Sleep(3 * time.Second)
	rows, _ := checkins(dataDir)
	check("camera held 3s", countPass(rows, cards["valid"].cardID) == 1 && len(rows) <= 2,
		"%d pass row(s) for the card, %d row(s) in all: %v", countPass(rows, cards["valid"].cardID), len(rows), rows)
	r.blank()

	// 3. Refused cards through the camera.
	r.present("camera revoked", "camera", cards["revoked"], "fail", "revoked", "Invalid")
	r.blank()
	r.present("camera forged", "camera", cards["forged"], "fail", "unknown_issuer|bad_signature", "Invalid")
	r.blank()
	r.present("camera menu QR", "camera", cards["menu"], "fail", "malformed", "Invalid")
	r.blank()

	// 4. The same through the USB serial scanner.
	r.present("serial valid", "serial", cards["valid2"], "pass", "pass", "Welcome")
	r.present("serial again", "serial", cards["valid2"], "already", "already_checked_in", "Already in")
	r.present("serial revoked", "serial", cards["revoked"], "fail", "revoked", "Invalid")
	r.present("serial forged", "serial", cards["forged"], "fail", "unknown_issuer|bad_signature", "Invalid")
	r.present("serial menu QR", "serial", cards["menu"], "fail", "malformed", "Invalid")

	// 5. The camera goes away and comes back.
	r.replug(cards["valid3"])

	// 7. kill -9 mid-run.
	r.killRestart("")

	// 6. Uploads to a collector on the guest's loopback, then 7 again
	// while uploading.
	r.uplink(cards)

	err = r.d.stop()
	check("stop", err == nil, "scangated stopped on SIGTERM (err %v)", err)

	// 9. Voice through aplay into snd-aloop, the relay and door sensor on
	// gpio-sim.
	r.relayAndVoice(cards)

	// 8. Power cuts: the data partition on dm-log-writes, replayed to
	// every flush.
	r.mon.reset()
	r.powerCut()
	close(r.stop)
	return nil
}

func (r *rig) linesLow() bool {
	for _, n := range []string{"GREEN", "RED", "AMBER", "BUZZER"} {
		if v, err := r.chip.value(n); err != nil || v {
			return false
		}
	}
	return true
}

func countPass(rows []checkin, cardID string) int {
	n := 0
	for _, c := range rows {
		if c.Card == cardID && c.Decision == "pass" {
			n++
		}
	}
	return n
}

func (r *rig) blank() {
	if err := r.out.Show(blankFrame(width, height)); err != nil {
		check("output", false, "%v", err)
	}
	time.Sleep(1200 * time.Millisecond) // > scanner.rearm_absent
}

func (r *rig) send(text string) error {
	_, err := fmt.Fprintf(r.scanner, "SCAN %s\n", text)
	return err
}

// present shows c to the kiosk and checks the new check-in row, the LED
// and buzzer lines and the LCD.
func (r *rig) present(name, via string, c card, decision, reasons, screen string) {
	before, err := checkins(dataDir)
	if err != nil {
		check(name, false, "%v", err)
		return
	}
	// The previous decision's pattern ends first, so every light and the
	// buzzer start low and each rise below belongs to this card.
	waitFor("feedback idle", 10*time.Second, func() bool { return r.linesLow() && r.mon.allLow() })
	r.mon.reset()
	r.lcdSince()
	t := time.Now()
	switch via {
	case "camera":
		err = r.out.Show(cardFrame(c.img, width, height))
	case "serial":
		err = r.send(c.qr)
	}
	if err != nil {
		check(name, false, "%v", err)
		return
	}
	var rows []checkin
	waitFor(name+" check-in", 30*time.Second, func() bool {
		rows, err = checkins(dataDir)
		return err == nil && len(rows) > len(before)
	})
	lat := time.Since(t)
	if !check(name+" recorded", len(rows) == len(before)+1, "%d new row(s) after %.2fs (err %v)", len(rows)-len(before), lat.Seconds(), err) {
		return
	}
	row := rows[len(rows)-1]
	okReason := false
	for _, want := range strings.Split(reasons, "|") {
		okReason = okReason || row.Reason == want
	}
	check(name+" decision", row.Decision == decision && okReason && strings.HasPrefix(row.Source, via) && (c.cardID == "" || row.Card == c.cardID),
		"decision=%s reason=%s source=%s (want %s %s via %s)", row.Decision, row.Reason, row.Source, decision, reasons, via)
	time.Sleep(1500 * time.Millisecond) // the feedback pattern plays
	rises, falls, merr := r.mon.reset()
	lights := fmt.Sprintf("rises %v falls %v", rises, falls)
	switch decision {
	case "pass", "already":
		check(name+" gpio", merr == nil && rises["GREEN"] >= 1 && rises["RED"] == 0 && rises["BUZZER"] >= 1 && falls["BUZZER"] >= 1,
			"green on, buzzer pulsed, red off: %s (err %v)", lights, merr)
	default:
		check(name+" gpio", merr == nil && rises["RED"] >= 1 && rises["GREEN"] == 0 && rises["BUZZER"] >= 1,
			"red on, buzzer, green off: %s (err %v)", lights, merr)
	}
	// The screen may already be back to idle; the HD44780 stream since
	// the card holds the decision's text.
	text := r.lcdSince()
	check(name+" lcd", strings.Contains(text, screen), "screens %q", text)
}

// replug unbinds vivid from its driver and binds it again, as a USB
// camera unplugged and plugged back, and checks the kiosk recovers alone.
func (r *rig) replug(c card) {
	pid := r.d.cmd.Process.Pid
	r.out.Close()
	const drv = "/sys/bus/platform/drivers/vivid/"
	if err := writeFile(drv+"unbind", "vivid.0"); err != nil {
		check("camera unplug", false, "%v", err)
		return
	}
	var st status
	var err error
	ok := waitFor("camera disconnected", 20*time.Second, func() bool {
		st, err = getStatus(dataDir)
		return err == nil && st.source("camera0") != "streaming"
	})
	check("camera unplug", ok, "camera0=%q (err %v)", st.source("camera0"), err)
	if err := writeFile(drv+"bind", "vivid.0"); err != nil {
		check("camera replug", false, "%v", err)
		return
	}
	if r.out, err = openOutput(width, height); err != nil {
		check("camera replug", false, "output: %v", err)
		return
	}
	ok = waitFor("camera streaming again", 30*time.Second, func() bool {
		st, err = getStatus(dataDir)
		return err == nil && st.source("camera0") == "streaming"
	})
	check("camera replug", ok && r.d.alive() && r.d.cmd.Process.Pid == pid, "camera0=%q, same process %v (err %v)", st.source("camera0"), r.d.alive(), err)
	r.present("camera after replug", "camera", c, "pass", "pass", "Welcome")
	r.blank()
}

// killRestart kills scangated with SIGKILL while codes arrive, restarts it
// and checks that every row committed before the kill is still there,
// unchanged, and the sequence has no gap or repeat.
func (r *rig) killRestart(label string) {
	before, _ := checkins(dataDir)
	burst := make(chan struct{})
	go func() { // codes keep arriving across the kill and the restart
		defer close(burst)
		for i := range 40 {
			r.send(fmt.Sprintf("not-a-card-%02d", i))
			time.Sleep(100 * time.Millisecond)
		}
	}()
	waitFor("some of the burst recorded", 20*time.Second, func() bool {
		rows, err := checkins(dataDir)
		return err == nil && len(rows) >= len(before)+5
	})
	r.d.cmd.Process.Kill()
	<-r.d.done
	committed, err := checkins(dataDir)
	if !check(label+"kill -9", err == nil && len(committed) > len(before), "%d rows committed before the kill (err %v)", len(committed)-len(before), err) {
		return
	}
	t := time.Now()
	r.d, err = startDaemon(configPath, dataDir, trustPath, r.log)
	if !check(label+"restart", err == nil, "READY=1 %.1fs after restart (err %v)", time.Since(t).Seconds(), err) {
		return
	}
	<-burst
	time.Sleep(time.Second)
	r.present(label+"serial after restart", "serial", card{qr: "after-restart" + label}, "fail", "malformed", "Invalid")
	after, err := checkins(dataDir)
	kept := err == nil && len(after) > len(committed)
	for i := 0; kept && i < len(committed); i++ {
		kept = after[i] == committed[i]
	}
	gapless := err == nil
	for i := 1; gapless && i < len(after); i++ {
		gapless = after[i].Seq == after[i-1].Seq+1
	}
	check(label+"no check-in lost", kept, "%d rows committed before the kill kept unchanged, %d rows after the restart (err %v)", len(committed), len(after), err)
	check(label+"sequence gap-free", gapless && len(after) > 0 && after[0].Seq == 1, "seq 1..%d", len(after))
}

// uplink restarts the kiosk enrolled at a collector running on the
// guest's loopback and checks every check-in arrives there once, also
// across a kill -9 while uploading.
func (r *rig) uplink(cards map[string]card) {
	if err := r.d.stop(); err != nil {
		check("uplink", false, "stop: %v", err)
		return
	}
	clog, err := os.Create("/tmp/collector.log")
	if err != nil {
		check("uplink", false, "%v", err)
		return
	}
	defer func() {
		if failed > 0 {
			b, _ := os.ReadFile("/tmp/collector.log")
			fmt.Printf("vmtest: collector log:\n%s\n", b)
		}
	}()
	c, err := startCollector(clog)
	if !check("collector", err == nil, "scangate collector on %s (err %v)", collectorAddr, err) {
		return
	}
	defer func() { c.cmd.Process.Kill(); <-c.done }()
	token, err := c.setup(cards["revoked"].cardID)
	if !check("collector setup", err == nil, "venue, issuer, revocation, enrollment token (err %v)", err) {
		return
	}
	capNode, _ := r.capture()
	extra := fmt.Sprintf(`
[uplink]
enabled = true
url = "http://%s"
collector_key = "%s/collector.key.pub"
enroll_token = %q
poll_interval = "1s"
`, collectorAddr, collectorDir, token)
	if err := writeConfig(capNode, extra); err != nil {
		check("uplink", false, "%v", err)
		return
	}
	r.d, err = startDaemon(configPath, dataDir, trustPath, r.log)
	if !check("uplink ready", err == nil, "READY=1 with [uplink] (err %v)", err) {
		return
	}
	r.drained("uploads", c)
	r.present("uplink revoked", "serial", cards["revoked"], "fail", "revoked", "Invalid")
	r.killRestart("uplink ")
	r.drained("uploads after kill -9", c)
}

// drained waits for the outbox to empty and compares the collector's rows
// with the kiosk's.
func (r *rig) drained(name string, c *collector) {
	var st status
	var err error
	t := time.Now()
	ok := waitFor("outbox drained", 60*time.Second, func() bool {
		st, err = getStatus(dataDir)
		return err == nil && st.Uplink != nil && st.Uplink.Enrolled && st.Store.OutboxDepth == 0
	})
	up := "no uplink"
	if st.Uplink != nil {
		up = fmt.Sprintf("enrolled=%v last_error=%q", st.Uplink.Enrolled, st.Uplink.LastError)
	}
	check(name+" drained", ok, "outbox %d after %.1fs, %s (err %v)", st.Store.OutboxDepth, time.Since(t).Seconds(), up, err)
	local, err := checkins(dataDir)
	if err != nil {
		check(name+" once", false, "%v", err)
		return
	}
	remote, err := c.visits()
	if err != nil {
		check(name+" once", false, "%v", err)
		return
	}
	same, why := sameRows(local, remote)
	check(name+" once", same, "%s", why)
}
