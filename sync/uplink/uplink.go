package uplink

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/downlink"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/sync/wire"
)

// Store is the part of *store.Store the uplink uses.
type Store interface {
	Outbox(ctx context.Context, maxRecords, maxBytes int) ([]store.OutboxRecord, error)
	AckLedger(ctx context.Context, ledger string, upTo int64) (int, error)
	Recoveries(ctx context.Context) ([]store.Recovery, error)
	PurgedRanges(ctx context.Context, ledger string, upTo int64) ([]store.SeqRange, error)
	OutboxStats(ctx context.Context) (store.OutboxStats, error)
	CorrectClock(ctx context.Context, bootID string, a store.ClockAnchor) (int, error)
	Committed() <-chan struct{}
	Setting(ctx context.Context, key string) (string, error)
	SetSettings(ctx context.Context, kv map[string]string) error
	PutBlob(ctx context.Context, kind string, version int64, data []byte, etag string, fetchedAt time.Time) error
	TouchBlob(ctx context.Context, kind string, fetchedAt time.Time) error
	Blob(ctx context.Context, kind string) (downlink.Blob, error)
}

// Trust installs downlink trust data; *trust.Source satisfies it. Install
// verifies against the pinned keys before storing anything.
type Trust interface {
	AddPinned(k ed25519.PublicKey)
	InstallTrustList(ctx context.Context, data []byte, etag string, fetchedAt time.Time) error
	InstallRevocations(ctx context.Context, data []byte, etag string, fetchedAt time.Time) error
	Reload(ctx context.Context) error
}

// ClockSync learns that the wall clock was confirmed; *clock.Sync satisfies it.
type ClockSync interface {
	MarkSynced()
}

// settingPublicKey records the device key's public half next to the
// enrollment, so a replaced key file is noticed instead of failing every
// request with a bad signature.
const settingPublicKey = "uplink.public_key"

// Enrollment states kept in store.SettingEnrollment.
const (
	enrolledState = "enrolled"
	revokedState  = "revoked"
)

// Options configure an Uplink.
type Options struct {
	URL          string            // collector base URL, http(s)://host[:port]
	CollectorKey ed25519.PublicKey // pinned: signs bundles and lists
	EnrollToken  string            // one-time token, used on first start only
	KeyFile      string            // device key (created 0600 on first start)
	Hardware     string            // sent at enrollment, e.g. "rpi4"

	Store Store
	Trust Trust // nil: bundles still apply policy and time, but no trust data
	// ApplyPolicy receives the venue policy of each new verified bundle.
	ApplyPolicy func(door.Policy)
	// Health, when set, gives the device's part of the health report sent
	// with each batch and bundle request (software, slot, trust data); the
	// uplink adds the outbox, the clock offset and its last error.
	Health func() wire.Health

	Clock clock.Clock // the wall clock records are stamped with, and the timers of polls and backoff; nil: clock.Real
	Sync  ClockSync   // told when the collector's signed time confirms the clock
	// StepClock, when set, is called with the collector's signed time when
	// the device clock is off by more than ClockTolerance (a daemon running
	// as root passes a settimeofday); the clock then counts as confirmed.
	StepClock func(time.Time) error
	// BootID and SinceBoot identify this boot and read its monotonic clock;
	// nil/empty: store.CurrentBootID and store.SinceBoot.
	BootID    string
	SinceBoot func() (time.Duration, error)

	PollInterval   time.Duration // bundle poll, ≤ 30 s; 0 means 30 s
	RequestTimeout time.Duration // whole request, body included; 0 means 20 s
	MinBackoff     time.Duration // first retry delay; 0 means 1 s
	MaxBackoff     time.Duration // cap of the exponential delay; 0 means 5 min
	// RefusedBackoff is the delay after the collector refused the device
	// (enrollment token unknown or used, device revoked); 0 means 15 min.
	RefusedBackoff time.Duration
	// ClockTolerance is how far the device clock may be from the
	// collector's and still count as right; 0 means 2 s.
	ClockTolerance time.Duration
	// TimeRefresh is the longest the uplink goes without a signed server
	// time (a full bundle instead of a 304); 0 means 10 min.
	TimeRefresh time.Duration
	// BatchRecords caps a batch; 0 means wire.MaxBatchRecords.
	BatchRecords int

	HTTPClient *http.Client // nil: a client with sane dial and idle timeouts
	Logger     *slog.Logger
}

func (o *Options) check() error {
	switch {
	case !strings.HasPrefix(o.URL, "http://") && !strings.HasPrefix(o.URL, "https://"):
		return fmt.Errorf("uplink: collector URL %q is not http(s)", o.URL)
	case len(o.CollectorKey) != ed25519.PublicKeySize:
		return fmt.Errorf("uplink: collector key is %d bytes, want %d", len(o.CollectorKey), ed25519.PublicKeySize)
	case o.KeyFile == "":
		return errors.New("uplink: no device key file")
	case o.Store == nil:
		return errors.New("uplink: no store")
	case o.PollInterval < 0 || o.PollInterval > 30*time.Second:
		return fmt.Errorf("uplink: poll interval %s, want at most 30s", o.PollInterval)
	case o.BatchRecords < 0 || o.BatchRecords > wire.MaxBatchRecords:
		return fmt.Errorf("uplink: batch of %d records, limit %d", o.BatchRecords, wire.MaxBatchRecords)
	}
	o.URL = strings.TrimRight(o.URL, "/")
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.PollInterval, 30*time.Second)
	def(&o.RequestTimeout, 20*time.Second)
	def(&o.MinBackoff, time.Second)
	def(&o.MaxBackoff, 5*time.Minute)
	def(&o.RefusedBackoff, 15*time.Minute)
	def(&o.ClockTolerance, 2*time.Second)
	def(&o.TimeRefresh, 10*time.Minute)
	if o.BatchRecords == 0 {
		o.BatchRecords = wire.MaxBatchRecords
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.SinceBoot == nil {
		o.SinceBoot = store.SinceBoot
	}
	if o.BootID == "" {
		id, err := store.CurrentBootID()
		if err != nil {
			return fmt.Errorf("uplink: %w", err)
		}
		o.BootID = id
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: o.RequestTimeout,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   2,
			ForceAttemptHTTP2:     true,
		}}
	}
	return nil
}

// Uplink connects one kiosk to its collector. Create it with New, run it
// with Run; Status is safe to call at any time from any goroutine.
type Uplink struct {
	opts Options
	log  *slog.Logger

	// Set once by Run before the loops start.
	key ed25519.PrivateKey

	mu          sync.Mutex
	deviceID    string
	venue       string
	enrolled    bool
	refused     string // why the collector refuses this device, "" when it does not
	offset      time.Duration
	haveOffset  bool
	lastSuccess time.Time
	lastError   string
	lastErrorAt time.Time
	etag        string
	signedTime  time.Time // local monotonic-bearing time of the last signed server time
	uploaded    uint64
	batches     uint64
	errors      uint64      // failed exchanges, since start
	conflicts   uint64      // records the collector reported holding differently
	noPurged    bool        // the collector refused purged ranges (it predates them)
	noHealth    atomic.Bool // the collector refused health reports in batches (it predates them)
}

// New checks opts and returns an Uplink. It does no I/O.
func New(opts Options) (*Uplink, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	return &Uplink{opts: opts, log: opts.Logger.With("collector", opts.URL)}, nil
}

// Run enrolls the device if it is not yet, then uploads and polls until ctx
// ends. It returns only ctx's error, or an error for a broken local setup
// (the device key cannot be read or written).
func (u *Uplink) Run(ctx context.Context) error {
	key, err := loadOrCreateKey(u.opts.KeyFile)
	if err != nil {
		return err
	}
	u.key = key
	if err := u.loadEnrollment(ctx); err != nil {
		return err
	}
	if err := u.enrollLoop(ctx); err != nil {
		return err
	}
	if u.opts.Trust != nil {
		u.opts.Trust.AddPinned(u.opts.CollectorKey)
	}
	u.loadStoredBundle(ctx)

	var wg sync.WaitGroup
	wg.Go(func() { u.downlinkLoop(ctx) })
	wg.Go(func() { u.drainLoop(ctx) })
	wg.Wait()
	return ctx.Err()
}

// ident returns the device id under the lock.
func (u *Uplink) ident() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.deviceID
}

func (u *Uplink) succeeded() {
	u.mu.Lock()
	u.lastSuccess = u.opts.Clock.Now()
	u.lastError = ""
	u.mu.Unlock()
}

// failed records err for Status and logs it at a level fitting its kind.
func (u *Uplink) failed(what string, err error) {
	u.mu.Lock()
	u.lastError = what + ": " + err.Error()
	u.lastErrorAt = u.opts.Clock.Now()
	u.errors++
	u.mu.Unlock()
	var he *httpError
	if errors.As(err, &he) && he.refusal() {
		u.log.Error("uplink: "+what+" refused", "status", he.status, "code", he.code, "message", he.message)
		return
	}
	u.log.Warn("uplink: "+what+" failed", "err", err)
}

// wait sleeps d on the uplink's clock or until ctx ends; it reports
// whether ctx is still alive.
func (u *Uplink) wait(ctx context.Context, d time.Duration) bool {
	t := u.opts.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.Chan():
		return true
	case <-ctx.Done():
		return false
	}
}
