package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/scangate/scangate/store"
)

// The power-cut check (docs/vmtest.md, "Power cuts"): the kiosk runs with
// its data partition on dm-log-writes, and the guest replays the write log
// onto a pristine copy of the partition, stopping at every flush and FUA
// write. At each stop it mounts a snapshot (ext4 journal recovery), opens
// the database with the store package (SQLite WAL recovery, the store's own
// checks) and checks it against what the door showed.

const (
	pcMount    = "/pc"       // the live data partition, through dm-log-writes
	pcCheck    = "/pc-check" // each crash point's snapshot
	pcDataDir  = pcMount + "/scangate"
	pcCards    = "/cards/pc.json"
	pcMountOpt = "data=ordered" // buildroot/board/scangate/rootfs-overlay/etc/fstab, with noatime
	passMark   = "pass-"
)

// pcCard is one card from the host's batch manifest; only the text is
// needed, the serial scanner types it.
type pcCard struct {
	CardID string `json:"card_id"`
	QR     string `json:"qr"`
}

func loadPCCards() ([]pcCard, error) {
	b, err := os.ReadFile(pcCards)
	if err != nil {
		return nil, fmt.Errorf("power cut cards: %w", err)
	}
	var cs []pcCard
	if err := json.Unmarshal(b, &cs); err != nil || len(cs) < 2 {
		return nil, fmt.Errorf("power cut cards: %s: want a batch manifest (%d cards, err %v)", pcCards, len(cs), err)
	}
	return cs, nil
}

func mountData(dev, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := syscall.Mount(dev, dir, "ext4", syscall.MS_NOATIME, pcMountOpt); err != nil {
		return fmt.Errorf("mount %s on %s: %w", dev, dir, err)
	}
	return nil
}

// powerCut is the whole check: the logged run, then the replay.
func (r *rig) powerCut() {
	t := time.Now()
	for _, m := range [][]string{{"virtio_pci"}, {"virtio_blk"}, {"dm-log-writes"}, {"dm-snapshot"},
		{"crc32c_generic"}, {"ext4"}, {"brd", "rd_nr=1", "rd_size=65536"}} {
		if err := sh("modprobe", m...); err != nil {
			check("power cut", false, "%v", err)
			return
		}
	}
	var data, logDev, base string
	var sectors int64
	ok := waitFor("power-cut disks", 10*time.Second, func() bool {
		var err1, err2, err3 error
		data, sectors, err1 = diskBySerial("pcdata")
		logDev, _, err2 = diskBySerial("pclog")
		base, _, err3 = diskBySerial("pcbase")
		return err1 == nil && err2 == nil && err3 == nil
	})
	if !check("power cut disks", ok, "data %s, log %s, pristine copy %s, %d MiB", data, logDev, base, sectors>>11) {
		return
	}
	// Without a volatile write cache the block layer drops every flush
	// before dm-log-writes sees it, and there would be no crash points.
	wc, _ := os.ReadFile("/sys/block/" + filepath.Base(data) + "/queue/write_cache")
	if !check("power cut write cache", strings.TrimSpace(string(wc)) == "write back", "%s write_cache %q", data, strings.TrimSpace(string(wc))) {
		return
	}
	lw, err := dmCreate("pclog", "log-writes", data+" "+logDev, sectors)
	if err != nil {
		check("power cut", false, "%v", err)
		return
	}
	shown, live, err := r.powerCutRun(lw)
	if err := errors.Join(err, syscall.Unmount(pcMount, 0), lw.remove()); err != nil {
		check("power cut run", false, "%v", err)
		return
	}
	logf("power cut: logged run done in %.1fs", time.Since(t).Seconds())
	t = time.Now()
	cmdline, _ := os.ReadFile("/proc/cmdline")
	torn := slices.Contains(strings.Fields(string(cmdline)), "scangate.torn") // SCANGATE_VMTEST_TORN=1
	res, err := replay(logDev, base, "/dev/ram0", sectors, shown, live, torn)
	logf("power cut: replay %.1fs: snapshots %.1fs, mounts %.1fs, store open/close %.1fs, reads %.1fs",
		time.Since(t).Seconds(), res.spent[0].Seconds(), res.spent[1].Seconds(), res.spent[2].Seconds(), res.spent[3].Seconds())
	var phases []string
	for i, p := range res.phases {
		phases = append(phases, fmt.Sprintf("%s %d", p, res.phaseN[i]))
	}
	logf("power cut: crash points after each mark: %s", strings.Join(phases, ", "))
	if err != nil {
		check("power cut", false, "%d crash points replayed, then %v", res.points, err)
		return
	}
	if torn {
		check("power cut torn", true, "%d states with every second write before a flush lost: each opened clean, rows a prefix, every pass shown present", res.torn)
	}
	check("power cut", true, "%d crash points replayed (every flush and FUA of %d log entries; %d distinct disk states mounted and opened), "+
		"%d passes checked at each point from their green on (%d checks): store.Open clean, integrity_check ok, rows a prefix of the %d committed; "+
		"each pass absent where the one before it showed, on disk at most %d points before its own green",
		res.points, res.entries, res.distinct, len(shown), res.presence, len(live), res.maxLead)
}

// powerCutRun mounts the logged device and runs the real kiosk on it:
// cards through the serial scanner, a pass shown (GREEN rose) marked in
// the write log, an idle checkpoint, then kill -9 in a burst of codes. It
// returns the card id of each pass shown, keyed by its mark, and the rows
// the live file system held after the kill.
func (r *rig) powerCutRun(lw *dmDev) (map[string]string, []checkin, error) {
	cards, err := loadPCCards()
	if err != nil {
		return nil, nil, err
	}
	if err := mountData(lw.node, pcMount); err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(pcDataDir, 0o700); err != nil {
		return nil, nil, err
	}
	capNode, _ := r.capture()
	if err := writeConfig(capNode, ""); err != nil {
		return nil, nil, err
	}
	if err := lw.message("mark kiosk-start"); err != nil {
		return nil, nil, err
	}
	d, err := startDaemon(configPath, pcDataDir, trustPath, r.log)
	if !check("power cut ready", err == nil, "READY=1 with /data on dm-log-writes (err %v)", err) {
		return nil, nil, err
	}
	shown := map[string]string{}
	// Half the cards, the idle checkpoint (the WAL copied into the main
	// file and truncated), the other half: crash points on both sides.
	half := len(cards) / 2
	err = r.passes(lw, cards[:half], shown)
	ckpt := false
	if err == nil {
		err = lw.message("mark idle")
	}
	if err == nil {
		ckpt = waitFor("idle checkpoint", 15*time.Second, func() bool {
			fi, err := os.Stat(filepath.Join(pcDataDir, "scangate.db-wal"))
			return err == nil && fi.Size() == 0
		})
		err = errors.Join(lw.message("mark checkpoint"), r.passes(lw, cards[half:], shown))
	}
	var committed int
	if err == nil {
		committed, err = r.burstKill(d)
	} else {
		d.kill()
	}
	if err := lw.message("mark killed"); err != nil {
		return nil, nil, err
	}
	live, rerr := checkins(pcDataDir)
	gapless := true
	for i, c := range live {
		gapless = gapless && c.Seq == int64(i+1)
	}
	check("power cut workload", err == nil && rerr == nil && ckpt && len(shown) == len(cards) && gapless,
		"%d of %d passes shown (GREEN) and marked, idle checkpoint seen %v, kill -9 after %d rows of a burst, %d rows in all, seq 1..n %v (err %v, %v)",
		len(shown), len(cards), ckpt, committed, len(live), gapless, err, rerr)
	return shown, live, errors.Join(err, rerr)
}

// passes presents each card through the serial scanner, waits for the
// green light and marks the log, then presents a refused code so green
// goes dark before the next card (a pass after a pass keeps it lit).
func (r *rig) passes(lw *dmDev, cards []pcCard, shown map[string]string) error {
	for _, c := range cards {
		green, _ := r.mon.level("GREEN")
		if err := r.send(c.QR); err != nil {
			return err
		}
		if !waitFor("green for "+c.CardID, 10*time.Second, func() bool { n, _ := r.mon.level("GREEN"); return n > green }) {
			return fmt.Errorf("no green for card %s", c.CardID)
		}
		// The mark lands in the log after every write flushed so far: the
		// disk as it was when green showed.
		m := fmt.Sprintf("%s%d-%s", passMark, len(shown)+1, c.CardID)
		if err := lw.message("mark " + m); err != nil {
			return err
		}
		shown[m] = c.CardID
		red, _ := r.mon.level("RED")
		if err := r.send("pc-refused-" + m); err != nil {
			return err
		}
		if !waitFor("red after "+c.CardID, 10*time.Second, func() bool {
			n, _ := r.mon.level("RED")
			_, g := r.mon.level("GREEN")
			return n > red && !g
		}) {
			return fmt.Errorf("no red after card %s", c.CardID)
		}
	}
	return nil
}

// burstKill sends codes every 40 ms and kills the kiosk with SIGKILL while
// they are being committed, as a power cut would stop it.
func (r *rig) burstKill(d *daemon) (int, error) {
	before, err := checkins(pcDataDir)
	if err != nil {
		return 0, err
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(40 * time.Millisecond):
			}
			r.send(fmt.Sprintf("pc-burst-%03d", i))
		}
	}()
	waitFor("burst recorded", 20*time.Second, func() bool {
		rows, err := checkins(pcDataDir)
		return err == nil && len(rows) >= len(before)+8
	})
	d.cmd.Process.Kill()
	<-d.done
	close(stop)
	<-done
	after, err := checkins(pcDataDir)
	return len(after) - len(before), err
}

type replayResult struct {
	entries  int              // in the log
	points   int              // crash points checked
	distinct int              // of which the disk differed from the point before
	torn     int              // states with some writes before a flush lost
	presence int              // pass-present checks made
	maxLead  int              // most crash points a pass was on disk before its green
	phases   []string         // the marks crash points came after (passes as one), in order
	phaseN   []int            // how many after each
	spent    [4]time.Duration // sync and snapshot, mount, store.Open and Close, reads
}

// replay applies the log at logPath to the pristine device base entry by
// entry and checks the state at every crash point on a snapshot whose
// copy-on-write store is cow. shown maps pass marks to card ids; live is
// what the kiosk had committed when it was killed. With torn, each run of
// two or more writes before a flush is also checked with every second one
// lost, as a disk that wrote them out of order might leave it.
func replay(logPath, base, cow string, sectors int64, shown map[string]string, live []checkin, torn bool) (*replayResult, error) {
	res := &replayResult{}
	lf, err := os.Open(logPath)
	if err != nil {
		return res, err
	}
	defer lf.Close()
	wl, err := openWriteLog(lf)
	if err != nil {
		return res, err
	}
	res.entries = wl.entries
	bf, err := os.OpenFile(base, os.O_RDWR, 0)
	if err != nil {
		return res, err
	}
	defer bf.Close()
	c := &pointChecker{base: bf, snapTable: base + " " + cow + " N 8", sectors: sectors, res: res,
		o: oracle{live: live, first: map[string]int{}}}
	// Writes are applied only when the flush or FUA write that made them
	// durable is reached, so between crash points the device holds the
	// last durable state: what a mark, a moment in time, is judged on.
	var pending string // the crash point applied but not yet checked
	phase, pendingPhase := "start", ""
	var unflushed []logEntry
	lastMark, sinceMark := "start", 0
	wrote := true // the first point's disk differs from nothing checked
	buf := make([]byte, 1<<20)
	checkPending := func() error {
		if pending == "" {
			return nil
		}
		at := pending
		pending = ""
		if n := len(res.phases); n == 0 || res.phases[n-1] != pendingPhase {
			res.phases, res.phaseN = append(res.phases, pendingPhase), append(res.phaseN, 0)
		}
		res.phaseN[len(res.phaseN)-1]++
		err := c.check(fmt.Sprintf("crash point %d, %s", res.points+1, at), wrote)
		wrote = false
		return err
	}
	applyUpTo := func(e *logEntry) error {
		for _, u := range append(unflushed, *e) {
			if err := apply(bf, lf, wl.sectorSize, u, buf); err != nil {
				return err
			}
			wrote = wrote || u.nrSectors > 0
		}
		unflushed = unflushed[:0]
		return nil
	}
	err = wl.each(func(e logEntry) error {
		switch {
		case e.flags&logMark != 0:
			if pending == "" && res.points == 0 {
				pending, pendingPhase = "the pristine partition", phase // a moment before any flush
			}
			// A mark belongs to the crash point before it, which must
			// already hold its pass.
			if id, ok := shown[e.mark]; ok {
				c.o.show(id, res.points+1)
			}
			lastMark, sinceMark, phase = e.mark, 0, e.mark
			if strings.HasPrefix(e.mark, passMark) {
				phase = "passes"
			}
		case !e.crashPoint():
			unflushed = append(unflushed, e)
			sinceMark++
		default:
			sinceMark++
			if err := checkPending(); err != nil {
				return err
			}
			if torn && len(unflushed) >= 2 {
				for i, u := range unflushed {
					if i%2 == 0 {
						if err := apply(bf, lf, wl.sectorSize, u, buf); err != nil {
							return err
						}
					}
				}
				at := fmt.Sprintf("torn state before crash point %d: %d of the %d writes before log entry %s", res.points+1, (len(unflushed)+1)/2, len(unflushed), e)
				if err := c.checkTorn(at); err != nil {
					return err
				}
				wrote = true // applyUpTo below writes them all again, in order
			}
			if err := applyUpTo(&e); err != nil {
				return err
			}
			pending = fmt.Sprintf("log entry %s, %d entries after mark %q", e, sinceMark, lastMark)
			pendingPhase = phase
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	if err := checkPending(); err != nil {
		return res, err
	}
	if len(unflushed) > 0 { // the end of the log is a state too: every write landed
		last := unflushed[len(unflushed)-1]
		unflushed = unflushed[:len(unflushed)-1]
		if err := applyUpTo(&last); err != nil {
			return res, err
		}
		pending, pendingPhase = "the end of the log, every write landed", "end"
		if err := checkPending(); err != nil {
			return res, err
		}
	}
	res.maxLead, err = c.o.final(len(shown))
	return res, err
}

// apply writes one logged write (zeros for a discard) to the device.
func apply(dev *os.File, lf *os.File, ss int64, e logEntry, buf []byte) error {
	left, off := e.nrSectors*ss, e.sector*ss
	src := e.dataOffset
	for left > 0 {
		n := min(left, int64(len(buf)))
		b := buf[:n]
		if e.flags&logDiscard != 0 {
			clear(b)
		} else if _, err := lf.ReadAt(b, src); err != nil {
			return fmt.Errorf("log entry %s: read: %w", e, err)
		}
		if _, err := dev.WriteAt(b, off); err != nil {
			return fmt.Errorf("log entry %s: replay: %w", e, err)
		}
		left, off, src = left-n, off+n, src+n
	}
	return nil
}

// oracle judges the rows found at each crash point, in log order.
type oracle struct {
	live  []checkin      // what the kiosk committed before it was killed
	shown []string       // card ids of the passes shown so far
	at    []int          // the crash point each was shown at
	first map[string]int // the first crash point each pass card was on disk
	prev  int            // rows at the point before
	point int            // the point being judged
}

// show records that the pass for card id showed green at crash point p.
func (o *oracle) show(id string, p int) {
	o.shown = append(o.shown, id)
	o.at = append(o.at, p)
}

// judge checks the rows of the next crash point: never fewer than at the
// point before, each the row the kiosk committed under that seq, and every
// pass shown so far among them. It returns how many passes it checked.
func (o *oracle) judge(rows []checkin) (int, error) {
	o.point++
	if len(rows) < o.prev || len(rows) > len(o.live) {
		return 0, fmt.Errorf("%d rows, after %d at the point before (%d committed in all)", len(rows), o.prev, len(o.live))
	}
	for i, row := range rows {
		if row != o.live[i] {
			return 0, fmt.Errorf("row %d is %+v, the kiosk committed %+v", i+1, row, o.live[i])
		}
	}
	o.prev = len(rows)
	present := map[string]bool{}
	for _, row := range rows {
		if row.Decision == store.DecisionPass {
			present[row.Card] = true
			if _, ok := o.first[row.Card]; !ok {
				o.first[row.Card] = o.point
			}
		}
	}
	for i, id := range o.shown {
		if !present[id] {
			return 0, fmt.Errorf("pass %d (card %s) showed green but is not in the database (%d rows)", i+1, id, len(rows))
		}
	}
	return len(o.shown), nil
}

// judgeTorn checks the rows of a state between two crash points: a
// prefix of the committed rows, none lost since the point before, every
// pass shown so far among them. It changes nothing the next point is
// judged against.
func (o *oracle) judgeTorn(rows []checkin) error {
	prev, first, point := o.prev, o.first, o.point
	o.first = map[string]int{}
	defer func() { o.prev, o.first, o.point = prev, first, point }()
	_, err := o.judge(rows)
	return err
}

// final checks the whole log was seen and that the replay really walked
// through intermediate states: each pass was absent at the point where the
// pass before it showed (its card was typed only after that), so a replay
// that jumped to the end would fail here. It returns the largest number of
// crash points a pass was on disk before its green.
func (o *oracle) final(marks int) (int, error) {
	if len(o.shown) != marks {
		return 0, fmt.Errorf("the log holds %d of the %d pass marks", len(o.shown), marks)
	}
	if o.prev != len(o.live) {
		return 0, fmt.Errorf("the last crash point holds %d rows, the kiosk committed %d", o.prev, len(o.live))
	}
	lead := 0
	for i, id := range o.shown {
		before := 0
		if i > 0 {
			before = o.at[i-1]
		}
		if o.first[id] <= before {
			return 0, fmt.Errorf("pass %d was on disk at crash point %d, before the pass ahead of it showed at %d: the replay skipped states", i+1, o.first[id], before)
		}
		lead = max(lead, o.at[i]-o.first[id])
	}
	return lead, nil
}

// pointChecker checks the replayed device at one crash point.
type pointChecker struct {
	base      *os.File
	snapTable string
	sectors   int64
	res       *replayResult
	o         oracle
	rows      []checkin // at the last point whose disk was read
}

// check judges the device at this crash point; changed says whether any
// write landed since the last one. Only then is it snapshotted, mounted
// and opened; otherwise the rows read last time are judged again.
func (c *pointChecker) check(at string, changed bool) error {
	c.res.points++
	if changed {
		c.res.distinct++
		rows, err := c.read()
		if err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		c.rows = rows
	}
	n, err := c.o.judge(c.rows)
	if err != nil {
		return fmt.Errorf("%s: %w", at, err)
	}
	c.res.presence += n
	return nil
}

// checkTorn judges a state between crash points; see judgeTorn.
func (c *pointChecker) checkTorn(at string) error {
	c.res.torn++
	rows, err := c.read()
	if err == nil {
		err = c.o.judgeTorn(rows)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", at, err)
	}
	return nil
}

func (c *pointChecker) read() ([]checkin, error) {
	t := time.Now()
	// The replay wrote through the page cache; the snapshot reads the disk.
	if err := c.base.Sync(); err != nil {
		return nil, err
	}
	snap, err := dmCreate("pcsnap", "snapshot", c.snapTable, c.sectors)
	if err != nil {
		return nil, err
	}
	c.res.spent[0] += time.Since(t)
	rows, err := c.open(snap.node)
	t = time.Now()
	if rerr := snap.remove(); rerr != nil && err == nil {
		err = rerr
	}
	c.res.spent[0] += time.Since(t)
	return rows, err
}

// open mounts dev, opens the database the way the daemon does and reads
// every row. No database yet (a point before the kiosk made it) is no rows.
func (c *pointChecker) open(dev string) (rows []checkin, err error) {
	t := time.Now()
	if err := mountData(dev, pcCheck); err != nil {
		return nil, err
	}
	c.res.spent[1] += time.Since(t)
	defer func() {
		t := time.Now()
		if uerr := syscall.Unmount(pcCheck, 0); uerr != nil && err == nil {
			err = fmt.Errorf("umount %s: %w", pcCheck, uerr)
		}
		c.res.spent[1] += time.Since(t)
	}()
	dir := filepath.Join(pcCheck, filepath.Base(pcDataDir))
	path := filepath.Join(dir, "scangate.db")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil // judged as no rows
	}
	t = time.Now()
	var logBuf bytes.Buffer
	st, err := store.Open(path, store.Options{Logger: slog.New(slog.NewTextHandler(&logBuf, nil)), CheckpointAfter: -1})
	if err != nil {
		return nil, fmt.Errorf("store.Open: %w", err)
	}
	c.res.spent[2] += time.Since(t)
	defer func() {
		t := time.Now()
		if cerr := st.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("store close: %w", cerr)
		}
		c.res.spent[2] += time.Since(t)
	}()
	t = time.Now()
	defer func() { c.res.spent[3] += time.Since(t) }()
	// A corrupt file would be moved aside and salvaged: that is a loss here.
	if h := st.Health(); h.State != store.StateOK || h.Recovered != "" {
		return nil, fmt.Errorf("store opened with health %s, recovered %q (%s): %s", h.State, h.Recovered, h.Salvage, logBuf.String())
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var ic string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ic); err != nil {
		return nil, fmt.Errorf("integrity_check: %w", err)
	}
	if ic != "ok" {
		return nil, fmt.Errorf("integrity_check: %s", ic)
	}
	return checkins(dir)
}
