package kiosk

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scangate/scangate/door"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/display"
	"github.com/scangate/scangate/gate"
	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/scanner"
	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/sync/uplink"
	"github.com/scangate/scangate/trust"
	"github.com/scangate/scangate/version"
	"github.com/scangate/scangate/voice"
)

// DBName is the database file inside the data directory.
const DBName = "scangate.db"

// Options are what cmd/scangated hands over after parsing flags.
type Options struct {
	Config    config.Config
	DataDir   string    // overrides Config.Device.Data when set
	Sim       bool      // every hardware part replaced by its fake
	TrustFile string    // a trust list to install at start (overrides config)
	Terminal  io.Writer // sim: where LEDs, buzzer and screen are drawn (default stdout)
	Logger    *slog.Logger
	Clock     clock.Clock // default clock.Real
	// Ready, when set, is called once the kiosk is deciding (tests).
	Ready func(k *Kiosk)
}

// Kiosk is a running kiosk. Its methods are safe for concurrent use.
type Kiosk struct {
	opts    Options
	cfg     config.Config
	dataDir string
	log     *slog.Logger
	clock   clock.Clock
	started time.Time
	bootID  string
	slot    string // booted root slot, version.BootedSlot

	store   *store.Store
	trust   *trust.Source
	sync    *clock.Sync
	gate    *gate.Gate
	display *display.Display
	relay   *doorRelay   // nil without [relay]
	voice   *voice.Voice // nil when [voice] is off
	scanner *scanner.Scanner
	hw      *hardware
	bus     *bus
	uplink  *uplink.Uplink // nil when no collector is configured

	loc   *time.Location // device.timezone: what status and the screen show
	files trustFiles     // trust files found at start and in trust.watch_dirs

	ready      atomic.Bool
	loopBeat   atomic.Int64 // unix nanos of the decision loop's last turn
	lastCode   atomic.Int64 // unix nanos of the last code decided (idle checkpoints)
	statusAddr atomic.Value // string: the status page's listening address
	deskAddr   atomic.Value // string: the staff desk's listening address

	metrics         *kioskMetrics
	metricsAddr     atomic.Value // string: the metrics endpoint's listening address
	storeScrapeErrs atomic.Uint64
}

// StatusAddr is the status page's address ("" when it is off).
func (k *Kiosk) StatusAddr() string {
	s, _ := k.statusAddr.Load().(string)
	return s
}

// Run runs the kiosk until ctx ends, then drains and closes everything.
func Run(ctx context.Context, opts Options) error {
	k, err := open(ctx, opts)
	if err != nil {
		return err
	}
	return k.run(ctx)
}

func open(ctx context.Context, opts Options) (k *Kiosk, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Terminal == nil {
		opts.Terminal = os.Stdout
	}
	cfg := opts.Config
	dataDir := cfg.Device.Data
	if opts.DataDir != "" {
		dataDir = opts.DataDir
	}
	k = &Kiosk{opts: opts, cfg: cfg, dataDir: dataDir, log: opts.Logger, clock: opts.Clock,
		started: opts.Clock.Now(), bus: newBus()}
	k.metrics = newKioskMetrics(k)
	if k.loc, err = cfg.Device.Location(); err != nil {
		return nil, fmt.Errorf("kiosk: device.timezone: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("kiosk: data directory: %w", err)
	}
	closeOnErr := func(c io.Closer) {
		if err != nil && c != nil {
			c.Close()
		}
	}
	k.slot = version.BootedSlot()
	if k.bootID, err = store.CurrentBootID(); err != nil {
		k.log.Warn("kiosk: no boot id; records cannot be clock-corrected later", "err", err)
		k.bootID = ""
		err = nil
	}
	k.store, err = store.Open(filepath.Join(dataDir, DBName), store.Options{
		RetentionDays: cfg.Device.RetentionDays, KeepUntilUploaded: cfg.Device.KeepUntilUploaded, Logger: k.log, Now: k.clock.Now, BootID: k.bootID})
	if err != nil {
		return nil, fmt.Errorf("kiosk: %w", err)
	}
	defer closeOnErr(k.store)
	k.sync = clock.NewSync(nil, nil)

	pinned, err := loadListKeys(cfg.Trust.ListKeys, dataDir)
	if err != nil {
		return nil, err
	}
	// The collector key is pinned before any trust data is read, so the
	// stored bundle's lists are usable from the first card after a restart
	// and a file in the data directory can never stand in for them.
	var uo uplink.Options
	if cfg.Uplink.Enabled {
		if uo, err = uplinkOptions(cfg.Uplink, dataDir); err != nil {
			return nil, err
		}
	}
	k.trust, err = trust.New(ctx, k.store, trust.Options{Venue: cfg.Device.Venue,
		MaxAge: cfg.Policy.MaxTrustAge.Duration, Pinned: pinned, CollectorKey: uo.CollectorKey,
		// --trust is the technician's explicit install, as good as asking.
		FirstUse: cfg.Trust.FirstUse || opts.TrustFile != "", Logger: k.log})
	if err != nil {
		return nil, fmt.Errorf("kiosk: %w", err)
	}

	// The relay's ledger remembers admitted entries for its not-entered
	// records; without a sensor it is the store itself.
	ledger, err := k.openRelay(k.store)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			k.relay.close()
		}
	}()
	k.gate, err = gate.New(gate.Options{
		Ledger: ledger,
		Trust:  k.trust, Clock: k.clock, Sync: k.sync, Logger: k.log,
		Policy: cfg.DoorPolicy(),
		// Exits and the capacity's count: the store counts every writer's
		// records (relay, desk), the day is the venue's.
		Exit: cfg.Exits(), Occupancy: k.store, Location: k.loc,
	})
	if err != nil {
		return nil, fmt.Errorf("kiosk: %w", err)
	}
	if cfg.Uplink.Enabled {
		if k.uplink, err = k.openUplink(uo); err != nil {
			return nil, err
		}
	}
	k.hw, err = openHardware(cfg, opts, k.log)
	if err != nil {
		return nil, err
	}
	defer closeOnErr(k.hw)
	dc := display.Config{Logger: k.log, Idle: k.idleState()}
	if k.voice, err = openVoice(cfg.Voice, dataDir, k.log); err != nil {
		return nil, err
	}
	if k.voice != nil {
		dc.Voice = k.voice
	}
	k.display, err = display.New(dc, k.hw.outputs...)
	if err != nil {
		return nil, fmt.Errorf("kiosk: display: %w", err)
	}
	k.scanner = scanner.New(scanner.Config{
		RearmAbsent: cfg.Scanner.RearmAbsent.Duration, TextRearm: cfg.Scanner.RearmText.Duration,
		Reread: cfg.Scanner.Reread.Duration,
		Clock:  k.clock, Logger: k.log, OnDecode: k.metrics.decoded})
	for _, c := range k.hw.cameras {
		k.scanner.AddCamera(c.name, c.src)
	}
	for _, t := range k.hw.texts {
		k.scanner.AddText(t.name, t.src)
	}
	// With the display up, so a refused file at start is shown too.
	k.installTrustFiles(ctx)
	k.updateIdle()
	return k, nil
}

// openUplink connects the store's outbox and the trust data to the
// collector (whose key the trust source already pins).
func (k *Kiosk) openUplink(uo uplink.Options) (*uplink.Uplink, error) {
	uo.Store, uo.Trust, uo.Clock, uo.Sync, uo.BootID, uo.Logger = k.store, k.trust, k.clock, k.sync, k.bootID, k.log
	uo.ApplyPolicy, uo.Health = k.applyPolicy, k.uplinkHealth
	if !k.opts.Sim {
		uo.StepClock = stepClock
	}
	u, err := uplink.New(uo)
	if err != nil {
		return nil, fmt.Errorf("kiosk: %w", err)
	}
	return u, nil
}

// applyPolicy takes the venue policy of a verified bundle; the device keeps
// its own settings (door.Policy.WithVenue).
func (k *Kiosk) applyPolicy(p door.Policy) {
	gp := k.gate.Policy().WithVenue(p)
	k.gate.SetPolicy(gp)
	if err := k.trust.SetPolicy(context.Background(), "", gp.MaxTrustAge); err != nil {
		k.log.Warn("kiosk: trust policy", "err", err)
	}
	k.log.Info("kiosk: venue policy applied", "log_only", gp.LogOnly, "duplicate_window", gp.DuplicateWindow, "capacity", gp.Capacity)
}

// CheckConfig runs every start-up check that needs no hardware, so
// `scangated --check-config` reports what the daemon would stop on: camera
// format and controls, the voice player and prompts, pinned list keys, the
// collector key.
func CheckConfig(cfg config.Config, dataDir string) error {
	if dataDir == "" {
		dataDir = cfg.Device.Data
	}
	var errs []error
	if cfg.Camera.Enabled {
		if _, err := cameraConfig(cfg.Camera, nil); err != nil {
			errs = append(errs, err)
		}
	}
	if err := checkVoice(cfg.Voice, dataDir); err != nil {
		errs = append(errs, err)
	}
	if _, err := loadListKeys(cfg.Trust.ListKeys, dataDir); err != nil {
		errs = append(errs, err)
	}
	if cfg.Uplink.Enabled {
		if _, err := uplinkOptions(cfg.Uplink, dataDir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// loadListKeys reads the pinned list keys of trust.list_keys.
func loadListKeys(entries []string, dataDir string) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for _, e := range entries {
		k, err := idcode.ReadPublicKey(e, dataDir)
		if err != nil {
			return nil, fmt.Errorf("kiosk: trust.list_keys: %w", err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func (k *Kiosk) run(ctx context.Context) error {
	defer k.close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	notify := newNotifier()

	var wg sync.WaitGroup
	codes := make(chan door.Code, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		k.scanner.Run(ctx, codes)
	}()

	sockPath := filepath.Join(k.dataDir, control.SocketName)
	l, err := control.Listen(sockPath)
	if err != nil {
		return fmt.Errorf("kiosk: %w", err)
	}
	srv := &http.Server{Handler: k.controlHandler(), ReadHeaderTimeout: 5 * time.Second}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			k.log.Error("kiosk: control socket", "err", err)
		}
	}()
	stopControl := func() {
		sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
		defer c()
		srv.Shutdown(sctx)
		os.Remove(sockPath)
	}
	defer stopControl()

	if k.cfg.Status.Listen != "" {
		stop, err := k.serveStatusPage(k.cfg.Status.Listen)
		if err != nil {
			return err
		}
		defer stop()
	}
	if k.cfg.Metrics.Listen != "" {
		stop, err := k.serveMetrics(k.cfg.Metrics.Listen)
		if err != nil {
			return err
		}
		defer stop()
	}
	if k.cfg.Desk.Listen != "" {
		stop, err := k.serveDesk(k.cfg.Desk.Listen)
		if err != nil {
			return err
		}
		defer stop()
	}
	k.loopBeat.Store(k.clock.Now().UnixNano())
	k.ready.Store(true)
	notify.send("READY=1\nSTATUS=deciding")
	k.log.Info("kiosk: ready", "version", version.Version, "sim", k.opts.Sim, "data", k.dataDir,
		"cameras", len(k.hw.cameras), "text_sources", len(k.hw.texts))
	if k.opts.Ready != nil {
		k.opts.Ready(k)
	}
	if k.uplink != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := k.uplink.Run(ctx); err != nil && ctx.Err() == nil {
				k.log.Error("kiosk: uplink stopped", "err", err)
			}
		}()
	}
	if notify.watchdog > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k.watchdog(ctx, notify)
		}()
	}

	k.lastCode.Store(k.clock.Now().UnixNano())
	for _, f := range []func(context.Context){k.housekeeping, k.watchTrustFiles, k.watchIdle, k.watchButton} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(ctx)
		}()
	}

	tick := k.clock.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			notify.send("STOPPING=1")
			k.log.Info("kiosk: stopping")
			cancel()
			stopControl()
			wg.Wait()
			return nil
		case c := <-codes:
			k.handle(ctx, c)
			k.lastCode.Store(k.clock.Now().UnixNano())
		case <-tick.Chan():
		}
		k.loopBeat.Store(k.clock.Now().UnixNano())
	}
}

// housekeeping runs the store's upkeep beside the door, never on its
// goroutine, so a large purge cannot delay the next card: the WAL is
// checkpointed while nobody is at the door (arch doc §9), uploaded
// check-ins past retention are purged hourly, and a write fault is probed
// so health clears once the media takes writes again.
func (k *Kiosk) housekeeping(ctx context.Context) {
	tick := k.clock.NewTicker(time.Second)
	defer tick.Stop()
	var lastCkpt, lastPurge, lastProbe time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.Chan():
		}
		now := k.clock.Now()
		idle := now.Sub(time.Unix(0, k.lastCode.Load()))
		if idle > 5*time.Second && now.Sub(lastCkpt) > 5*time.Second {
			if err := k.store.Checkpoint(ctx); err != nil && ctx.Err() == nil {
				k.log.Warn("kiosk: checkpoint", "err", err)
			}
			lastCkpt = now
		}
		if now.Sub(lastPurge) > time.Hour {
			if n, err := k.store.Purge(ctx, k.clock.Now()); err != nil && ctx.Err() == nil {
				k.log.Warn("kiosk: purge", "err", err)
			} else if n > 0 {
				k.log.Info("kiosk: purged check-ins past retention", "rows", n)
			}
			lastPurge = now
		}
		if now.Sub(lastProbe) > 10*time.Second {
			if err := k.store.Probe(ctx); err != nil && ctx.Err() == nil {
				k.log.Debug("kiosk: store probe", "err", err)
			}
			lastProbe = now
		}
	}
}

// handle decides one code and shows it. The check-in is durable before
// Show is called.
func (k *Kiosk) handle(ctx context.Context, c door.Code) {
	d := k.gate.Decide(ctx, c)
	k.relay.admitted(d) // opens only for an admission the store holds
	k.display.Show(d)
	shown := door.Shown{Decision: d, ShownAt: time.Now()}
	k.bus.publish(shown)
	k.metrics.shown(shown)
}

// watchdog pings systemd at half the interval while the kiosk is alive.
func (k *Kiosk) watchdog(ctx context.Context, n *notifier) {
	t := k.clock.NewTicker(n.watchdog / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
			if why := k.unhealthy(n.watchdog); why != "" {
				k.log.Error("kiosk: not feeding the watchdog", "why", why)
				continue
			}
			n.send("WATCHDOG=1")
		}
	}
}

// unhealthy says why the kiosk should be restarted, or "".
func (k *Kiosk) unhealthy(window time.Duration) string {
	beat := time.Unix(0, k.loopBeat.Load())
	if stuck := k.clock.Now().Sub(beat); stuck > window {
		return fmt.Sprintf("decision loop stuck for %s", stuck.Round(time.Second))
	}
	for _, c := range k.hw.cameras {
		st := c.state()
		if st.Status != "streaming" {
			continue // unplugged or reopening: reported in status, handled by the driver
		}
		for _, s := range k.scanner.Stats().Sources {
			if s.Name == c.name && !s.LastFrame.IsZero() && time.Since(s.LastFrame) > window {
				return fmt.Sprintf("camera %s streaming but no frame for %s", c.name, time.Since(s.LastFrame).Round(time.Second))
			}
		}
	}
	return ""
}

func (k *Kiosk) close() {
	if err := k.relay.close(); err != nil {
		k.log.Warn("kiosk: close relay", "err", err)
	}
	if k.display != nil {
		k.display.Close()
	}
	if k.hw != nil {
		k.hw.Close()
	}
	if k.store != nil {
		if err := k.store.Close(); err != nil {
			k.log.Error("kiosk: close store", "err", err)
		}
	}
}

// Store returns the kiosk's store (tests and the uplink).
func (k *Kiosk) Store() *store.Store { return k.store }

// DataDir returns the data directory in use.
func (k *Kiosk) DataDir() string { return k.dataDir }

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
