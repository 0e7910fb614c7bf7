package collector

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/sync/wire"
)

// Config is what a Server needs.
type Config struct {
	Backend Backend
	// Key is the collector key: it signs bundles, trust lists and
	// revocation lists. Devices pin its public half.
	Key ed25519.PrivateKey
	// AdminToken is the bearer token of the admin API; at least 16 bytes.
	AdminToken string
	Logger     *slog.Logger     // nil: slog.Default()
	Now        func() time.Time // nil: time.Now
	// ListValidity is how long a published trust or revocation list stays
	// valid on a device that cannot reach the collector; 0 means 30 days.
	ListValidity time.Duration
	// MaxNonces bounds the in-memory replay cache; 0 means 1<<20.
	MaxNonces int
	// TimeZone is the IANA zone plain dates mean in queries not tied to a
	// venue (where a card was); "" is UTC. A venue's own zone (its
	// VenueSettings) is used for its visits.
	TimeZone string
	// KEK seals the issuer private keys the collector holds. Without one
	// the collector holds none: an issuer must come with its public key.
	KEK *KEK
	// Fleet says when a device counts as amber or red (fleet view,
	// metrics); zero fields take their defaults.
	Fleet FleetRules
}

// Server is the collector's HTTP API. It holds no state of its own beyond
// caches: every decision is made from the Backend.
type Server struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	pub    ed25519.PublicKey
	kid    [8]byte
	mux    *http.ServeMux
	nonces *nonceCache
	admin  [32]byte // SHA-256 of the admin token

	metrics   Metrics
	prom      *promView
	lastSweep atomic.Int64 // unix ns of the last nonce sweep started

	lmu   sync.Mutex
	lists *signedLists
}

// signedLists caches the signed trust list and revocations of one revision
// and list epoch.
type signedLists struct {
	revision, epoch   int64
	trust, revocation []byte
}

// New checks cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Backend == nil {
		return nil, errors.New("collector: no backend")
	}
	if len(cfg.Key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("collector: collector key is %d bytes, want %d", len(cfg.Key), ed25519.PrivateKeySize)
	}
	if len(cfg.AdminToken) < 16 {
		return nil, errors.New("collector: admin token shorter than 16 characters")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ListValidity == 0 {
		cfg.ListValidity = 30 * 24 * time.Hour
	}
	if cfg.ListValidity < time.Minute {
		return nil, fmt.Errorf("collector: list validity %s shorter than a minute", cfg.ListValidity)
	}
	if _, err := LoadZone(cfg.TimeZone); err != nil {
		return nil, fmt.Errorf("collector: time zone: %w", err)
	}
	if err := cfg.Fleet.WithDefaults().Check(); err != nil {
		return nil, fmt.Errorf("collector: %w", err)
	}
	if cfg.MaxNonces == 0 {
		cfg.MaxNonces = 1 << 20
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, now: cfg.Now,
		pub:    cfg.Key.Public().(ed25519.PublicKey),
		nonces: newNonceCache(cfg.MaxNonces),
		admin:  sha256.Sum256([]byte(cfg.AdminToken)),
	}
	s.kid = idcode.KeyID(s.pub)
	s.prom = newPromView(s)
	s.routes()
	return s, nil
}

// PublicKey returns the collector's public key, which devices pin.
func (s *Server) PublicKey() ed25519.PublicKey { return s.pub }

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("POST /v1/enroll", s.handleEnroll)
	m.HandleFunc("POST /v1/checkins", s.handleCheckins)
	m.HandleFunc("GET /v1/devices/{id}/bundle", s.handleBundle)

	m.HandleFunc("POST /v1/admin/venues", s.adminOnly(s.handleCreateVenue))
	m.HandleFunc("GET /v1/admin/venues/{id}", s.adminOnly(s.handleGetVenue))
	m.HandleFunc("PUT /v1/admin/venues/{id}/policy", s.adminOnly(s.handleSetPolicy))
	m.HandleFunc("POST /v1/admin/venues/{id}/enroll-tokens", s.adminOnly(s.handleCreateToken))
	m.HandleFunc("GET /v1/admin/venues/{id}/visits", s.adminOnly(s.handleVenueVisits))
	m.HandleFunc("POST /v1/admin/devices/{id}/revoke", s.adminOnly(s.handleRevokeDevice))
	m.HandleFunc("GET /v1/admin/devices/{id}", s.adminOnly(s.handleGetDevice))
	m.HandleFunc("GET /v1/admin/devices/{id}/conflicts", s.adminOnly(s.handleDeviceConflicts))
	m.HandleFunc("GET /v1/admin/metrics", s.adminOnly(s.handleMetrics))
	m.HandleFunc("GET /v1/admin/issuers", s.adminOnly(s.handleListIssuers))
	m.HandleFunc("POST /v1/admin/issuers", s.adminOnly(s.handlePutIssuer))
	m.HandleFunc("DELETE /v1/admin/issuers/{id}", s.adminOnly(s.handleDeleteIssuer))
	m.HandleFunc("POST /v1/admin/cards", s.adminOnly(s.handleIssueCard))
	m.HandleFunc("POST /v1/admin/cards/{id}/revoke", s.adminOnly(s.handleRevokeCard))
	m.HandleFunc("GET /v1/admin/cards/{id}/visits", s.adminOnly(s.handleCardVisits))
	m.HandleFunc("PUT /v1/admin/venues/{id}/settings", s.adminOnly(s.handleSetVenueSettings))
	m.HandleFunc("POST /v1/admin/erasures", s.adminOnly(s.handleErase))
	m.HandleFunc("GET /v1/admin/erasures", s.adminOnly(s.handleListErasures))
	m.HandleFunc("POST /v1/admin/purge", s.adminOnly(s.handlePurge))
	m.Handle("GET "+MetricsPath, s.prom.handler)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, wire.Errorf(http.StatusNotFound, wire.CodeNotFound, "no such endpoint %s %s", r.Method, r.URL.Path))
	})
	s.mux = m
}

// ServeHTTP answers one request. Every answer carries the server time.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Latency is a duration on the monotonic clock, whatever Now says.
	start := time.Now()
	w.Header().Set(wire.ServerTimeHeader, s.now().UTC().Format(time.RFC3339Nano))
	sw := &statusWriter{ResponseWriter: w}
	s.mux.ServeHTTP(sw, r) // sets r.Pattern
	if sw.code == 0 {
		sw.code = http.StatusOK
	}
	s.prom.observe(r.Pattern, sw.code, time.Since(start))
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.log.Debug("collector: write response", "err", err)
	}
}

// writeError answers with the *wire.Error in err, or maps a backend error.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var we *wire.Error
	if errors.Is(err, errClientGone) || errors.Is(err, context.Canceled) {
		// The device hung up (a reset, a cut, its own timeout): nobody
		// reads this answer, and it is the network's doing, not a refusal.
		s.metrics.ClientGone.Add(1)
		s.log.Debug("collector: client went away", "route", route(r), "err", err)
		s.writeJSON(w, 499, wire.Errorf(499, wire.CodeBadRequest, "request canceled"))
		return
	}
	if !errors.As(err, &we) {
		switch {
		case errors.Is(err, ErrNotFound):
			we = wire.Errorf(http.StatusNotFound, wire.CodeNotFound, "%v", err)
		case errors.Is(err, ErrExists), errors.Is(err, ErrKeyInUse), errors.Is(err, ErrTokenUsed):
			we = wire.Errorf(http.StatusConflict, wire.CodeConflict, "%v", err)
		case errors.Is(err, ErrExpired), errors.Is(err, ErrRevoked):
			we = wire.Errorf(http.StatusForbidden, wire.CodeForbidden, "%v", err)
		case errors.Is(err, ErrBadRequest):
			we = wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "%v", err)
		default:
			s.metrics.DBErrors.Add(1)
			s.log.Error("collector: internal error", "route", route(r), "err", err)
			we = wire.Errorf(http.StatusInternalServerError, wire.CodeInternal, "internal error")
		}
	}
	if we.Status < 500 {
		s.log.Info("collector: refused", "route", route(r), "status", we.Status, "code", we.Code)
		s.log.Debug("collector: refused detail", "message", we.Message)
	}
	if we.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	s.writeJSON(w, we.Status, we)
}

// route names the matched endpoint pattern for logs: the path itself may
// hold a card id, which stays out of logs above debug.
func route(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return r.Method + " (no route)"
}

// authDevice checks a device request's signature over body and returns
// the device and the request's nonce key. The checks run cheapest first;
// the nonce is looked up only for a request whose signature verified, so
// strangers cannot fill the cache. The in-memory cache refuses a replay to
// this process at once; the backend's nonce table (UseNonce, or the
// batch's own transaction) refuses one across restarts and processes.
func (s *Server) authDevice(r *http.Request, body []byte) (Device, wire.RequestAuth, error) {
	a, err := wire.ParseRequestAuth(r.Header)
	if err != nil {
		return Device{}, a, err
	}
	now := s.now()
	if !a.Fresh(now) {
		return Device{}, a, wire.Errorf(http.StatusUnauthorized, wire.CodeUnauthorized,
			"request time %s is more than %s from server time; set the clock from %s", a.Time.UTC().Format(time.RFC3339), wire.SignatureWindow, wire.ServerTimeHeader)
	}
	d, err := s.cfg.Backend.Device(r.Context(), a.Device)
	if errors.Is(err, ErrNotFound) || a.Device == "" {
		return Device{}, a, wire.Errorf(http.StatusUnauthorized, wire.CodeUnauthorized, "unknown device")
	}
	if err != nil {
		return Device{}, a, err
	}
	if !a.Verify(r.Method, r.URL.RequestURI(), body, d.PublicKey) {
		return Device{}, a, wire.Errorf(http.StatusUnauthorized, wire.CodeUnauthorized, "bad request signature")
	}
	if !d.RevokedAt.IsZero() {
		return Device{}, a, wire.Errorf(http.StatusForbidden, wire.CodeForbidden, "device revoked")
	}
	if err := s.nonces.add(NonceKey(a.Device, a.Nonce), a.Time.Add(wire.SignatureWindow), now); err != nil {
		s.metrics.ReplaysRefused.Add(1)
		return Device{}, a, err
	}
	return d, a, nil
}

// useNonce records a verified request's nonce in the backend.
func (s *Server) useNonce(ctx context.Context, a wire.RequestAuth) error {
	s.sweepNonces()
	err := s.cfg.Backend.UseNonce(ctx, NonceKey(a.Device, a.Nonce), a.Time.Add(wire.SignatureWindow), s.now())
	return s.replayError(err)
}

func (s *Server) replayError(err error) error {
	if errors.Is(err, ErrReplay) {
		s.metrics.ReplaysRefused.Add(1)
		return wire.Errorf(http.StatusUnauthorized, wire.CodeUnauthorized, "replayed request nonce")
	}
	return err
}

// nonceSweepEvery is how often a collector deletes expired nonces.
const nonceSweepEvery = time.Minute

// sweepNonces starts a sweep of expired nonces in the background when the
// last one this process started is older than nonceSweepEvery. Every
// process sweeps; a sweep of rows another one swept costs an index scan.
func (s *Server) sweepNonces() {
	now := s.now()
	last := s.lastSweep.Load()
	if now.UnixNano()-last < int64(nonceSweepEvery) || !s.lastSweep.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		n, err := s.cfg.Backend.SweepNonces(ctx, now)
		if err != nil {
			s.log.Warn("collector: sweep nonces", "err", err)
			return
		}
		s.log.Debug("collector: nonces swept", "expired", n)
	}()
}

// readBody reads a request body of at most limit bytes. A body that ends
// early (the device's connection reset or closed mid-upload) is a client
// disconnect, not a bad request: errClientGone.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err == nil {
		return b, nil
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, wire.Errorf(http.StatusRequestEntityTooLarge, wire.CodeTooLarge, "%s larger than %d bytes", what, limit)
	}
	return nil, fmt.Errorf("%w: reading %s: %w", errClientGone, what, err)
}

// errClientGone marks a request whose client went away before the
// collector had read it: logged at debug level and counted, never a 400.
var errClientGone = errors.New("collector: client went away")

func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) {
	body, err := s.readBody(w, r, wire.MaxSmallBody, "enroll body")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err := wire.DecodeEnroll(body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := wire.ParseRequestAuth(r.Header)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	switch {
	case !a.Fresh(now):
		s.writeError(w, r, wire.Errorf(http.StatusUnauthorized, wire.CodeUnauthorized, "request time more than %s from server time", wire.SignatureWindow))
		return
	case a.Device != "":
		s.writeError(w, r, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "enrollment carries no device id"))
		return
	case !a.Verify(r.Method, r.URL.RequestURI(), body, e.PublicKey):
		s.writeError(w, r, wire.Errorf(http.StatusUnauthorized, wire.CodeUnauthorized, "enrollment not signed by the enrolling key"))
		return
	}
	if err := s.nonces.add(NonceKey("", a.Nonce), a.Time.Add(wire.SignatureWindow), now); err != nil {
		s.metrics.ReplaysRefused.Add(1)
		s.writeError(w, r, err)
		return
	}
	if err := s.useNonce(r.Context(), a); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := randomID("dev-", 8)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tokenHash := sha256Hex(e.Token)
	d, err := s.cfg.Backend.Enroll(r.Context(), tokenHash, Device{ID: id, PublicKey: e.PublicKey, Hardware: e.Hardware}, now.UTC())
	switch {
	case errors.Is(err, ErrNotFound):
		s.writeError(w, r, wire.Errorf(http.StatusUnauthorized, wire.CodeUnauthorized, "unknown enrollment token"))
		return
	case errors.Is(err, ErrTokenUsed):
		s.writeError(w, r, wire.Errorf(http.StatusConflict, wire.CodeConflict, "enrollment token already used"))
		return
	case err != nil:
		s.writeError(w, r, err)
		return
	}
	v, err := s.cfg.Backend.Venue(r.Context(), d.Venue)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if d.ID != id {
		s.log.Info("collector: device enrolled again with its token and key", "device", d.ID, "venue", d.Venue)
	} else {
		s.log.Info("collector: device enrolled", "device", d.ID, "venue", d.Venue)
	}
	s.writeJSON(w, http.StatusOK, wire.EnrollResp{DeviceID: d.ID, Venue: d.Venue, VenueName: v.Name, CollectorKey: s.pub, ServerTime: now.UTC()})
}

func (s *Server) handleCheckins(w http.ResponseWriter, r *http.Request) {
	raw, err := s.readBody(w, r, wire.MaxCompressedBatchBytes, "batch body")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, a, err := s.authDevice(r, raw)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b, err := wire.DecodeBatchBody(raw, r.Header.Get("Content-Encoding"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if b.Device != d.ID {
		s.writeError(w, r, wire.Errorf(http.StatusForbidden, wire.CodeForbidden, "batch for device %q sent by device %q", b.Device, d.ID))
		return
	}
	now := s.now().UTC()
	recs, err := s.correctTimes(r.Context(), d, &b, now)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.sweepNonces()
	// The nonce goes into the batch's own transaction: one commit (on
	// SQLite one fsync shared with other batches) records both.
	res, err := s.cfg.Backend.InsertBatch(r.Context(), d, Batch{
		Ledger: b.Ledger, Floor: b.Floor, Records: recs, Recoveries: b.Recoveries, Purged: b.Purged,
		Nonce: NonceKey(a.Device, a.Nonce), NonceExpires: a.Time.Add(wire.SignatureWindow), Now: now,
	})
	if err != nil {
		s.writeError(w, r, s.replayError(err))
		return
	}
	s.noteHealth(r.Context(), d, b.Health, now)
	s.metrics.Batches.Add(1)
	s.metrics.Records.Add(uint64(len(recs)))
	if res.Lost > 0 {
		s.metrics.DeclaredLost.Add(res.Lost)
		s.log.Warn("collector: device declared check-ins lost", "device", d.ID, "venue", d.Venue, "ledger", b.Ledger, "lost", res.Lost, "floor", b.Floor)
	}
	if res.Purged > 0 {
		s.metrics.DeclaredPurged.Add(res.Purged)
		s.log.Info("collector: device purged check-ins by its retention before upload", "device", d.ID, "venue", d.Venue, "ledger", b.Ledger, "purged", res.Purged)
	}
	if len(res.Conflicts) > 0 {
		s.metrics.Conflicts.Add(uint64(res.NewConflicts))
		// Seqs and counts only: the records themselves (card ids, names)
		// are in the conflicts table and at debug level.
		s.log.Error("collector: check-ins conflict with records already held; kept aside",
			"device", d.ID, "venue", d.Venue, "ledger", b.Ledger, "conflicts", len(res.Conflicts), "new", res.NewConflicts,
			"first_seq", res.Conflicts[0], "last_seq", res.Conflicts[len(res.Conflicts)-1])
	}
	s.log.Debug("collector: batch", "device", d.ID, "ledger", b.Ledger, "records", len(recs), "ack", res.AckSeq)
	s.writeJSON(w, http.StatusOK, wire.BatchAck{Device: d.ID, Ledger: b.Ledger, AckSeq: res.AckSeq, Conflicts: uint64(len(res.Conflicts)), ServerTime: now})
}

// correctTimes turns the batch into stored check-ins. A record made before
// the device clock was trustworthy gets CorrectedAt = boot start + its
// monotonic time, when that boot can be anchored: by the batch itself (sent
// during that boot: server time now minus the send's monotonic time, off by
// the network latency), or by an anchor saved from an earlier batch. A
// correction the device made itself is kept. At is never changed.
func (s *Server) correctTimes(ctx context.Context, d Device, b *wire.CheckinBatch, now time.Time) ([]Checkin, error) {
	anchors := map[string]time.Time{}
	if b.BootID != "" && b.MonoNS > 0 {
		bootWall := now.Add(-time.Duration(b.MonoNS))
		anchors[b.BootID] = bootWall
		// Every uplink batch names its boot, and the first anchor is kept:
		// look before writing, so only a boot's first batch costs a write
		// transaction (on SQLite one queued behind the group commit).
		_, known, err := s.cfg.Backend.BootAnchor(ctx, d.ID, b.BootID)
		if err != nil {
			return nil, err
		}
		if !known {
			if err := s.cfg.Backend.SaveBootAnchor(ctx, d.ID, b.BootID, bootWall); err != nil {
				return nil, err
			}
		}
	}
	out := make([]Checkin, len(b.Records))
	for i, rec := range b.Records {
		if !rec.ClockSynced && rec.CorrectedAt == nil && rec.BootID != "" {
			wall, ok := anchors[rec.BootID]
			if !ok {
				var err error
				wall, ok, err = s.cfg.Backend.BootAnchor(ctx, d.ID, rec.BootID)
				if err != nil {
					return nil, err
				}
				if ok {
					anchors[rec.BootID] = wall
				}
			}
			if ok {
				c := wall.Add(time.Duration(rec.MonoNS)).UTC()
				rec.CorrectedAt = &c
			}
		}
		out[i] = Checkin{Device: d.ID, Venue: d.Venue, Received: now, Record: rec}
	}
	return out, nil
}

// epochLen is how often the lists are re-issued even when nothing changed,
// so a device that stays online never holds lists near their expiry.
func (s *Server) epochLen() time.Duration { return s.cfg.ListValidity / 4 }

// epoch numbers the current re-issue period. Lists are dated from the start
// of their epoch, so every instance signs the same bytes for (revision,
// epoch).
func (s *Server) epoch(now time.Time) int64 {
	return now.UnixNano() / int64(s.epochLen())
}

// etag is the bundle's entity tag: the backend revision, the list epoch and
// the collector key id, so a change, a re-issue or a new key each make every
// device fetch the bundle again.
func (s *Server) etag(rev, epoch int64) string {
	return fmt.Sprintf(`"%d-%d-%x"`, rev, epoch, s.kid[:4])
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

func (s *Server) handleBundle(w http.ResponseWriter, r *http.Request) {
	d, a, err := s.authDevice(r, nil)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if r.PathValue("id") != d.ID {
		s.writeError(w, r, wire.Errorf(http.StatusForbidden, wire.CodeForbidden, "bundle of another device"))
		return
	}
	ctx := r.Context()
	health, err := bundleHealth(r.URL.Query().Get(wire.HealthParam))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.useNonce(ctx, a); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.noteHealth(ctx, d, health, s.now().UTC())
	rev, err := s.cfg.Backend.Revision(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	epoch := s.epoch(s.now())
	tag := s.etag(rev, epoch)
	w.Header().Set("ETag", tag)
	w.Header().Set("Cache-Control", "no-cache")
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	lists, err := s.signedLists(ctx, rev, epoch)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.cfg.Backend.Venue(ctx, d.Venue)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := wire.SignBundle(wire.Bundle{
		Version: wire.Version, Device: d.ID, Venue: d.Venue, Revision: strings.Trim(tag, `"`),
		TrustList: lists.trust, Revocations: lists.revocation, Policy: v.Policy, ServerTime: s.now().UTC(),
	}, s.cfg.Key)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// signedLists returns the signed trust list and revocations for revision
// rev in epoch, signing them once per (revision, epoch) per instance.
func (s *Server) signedLists(ctx context.Context, rev, epoch int64) (*signedLists, error) {
	s.lmu.Lock()
	c := s.lists
	s.lmu.Unlock()
	if c != nil && c.revision == rev && c.epoch == epoch {
		return c, nil
	}
	issuers, err := s.cfg.Backend.Issuers(ctx)
	if err != nil {
		return nil, err
	}
	revoked, err := s.cfg.Backend.Revocations(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Unix(0, epoch*int64(s.epochLen())).UTC().Truncate(time.Second)
	version := listVersion(rev, now)
	tl := idcode.TrustList{Version: version, IssuedAt: now, Expires: now.Add(s.cfg.ListValidity), Issuers: []idcode.Issuer{}}
	for _, is := range issuers {
		tl.Issuers = append(tl.Issuers, idcode.Issuer{ID: is.ID, Name: is.Name, PublicKey: is.PublicKey, NotBefore: is.NotBefore, NotAfter: is.NotAfter, Venues: is.Venues})
	}
	trust, err := idcode.SignTrustList(tl, s.cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("collector: %w", err)
	}
	if revoked == nil {
		revoked = []string{}
	}
	rl, err := idcode.SignRevocations(idcode.RevocationList{Version: version, IssuedAt: now, Expires: now.Add(s.cfg.ListValidity), CardIDs: revoked}, s.cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("collector: %w", err)
	}
	c = &signedLists{revision: rev, epoch: epoch, trust: trust, revocation: rl}
	s.lmu.Lock()
	if s.lists == nil || s.lists.epoch < epoch || (s.lists.epoch == epoch && s.lists.revision <= rev) {
		s.lists = c
	}
	s.lmu.Unlock()
	return c, nil
}

// listVersion is the version of the lists of revision rev re-issued at
// epochStart. Revisions follow the wall clock in microseconds
// (revisionSeed), so the later of the two only grows: a change raises rev,
// a re-issue without a change raises the epoch start above every revision
// made before it, and a rebuilt database starts above both. A device
// refuses a replayed older list by this number.
func listVersion(rev int64, epochStart time.Time) int64 {
	return max(rev, epochStart.UnixMicro())
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

func randomID(prefix string, n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("collector: random id: %w", err)
	}
	return prefix + hex.EncodeToString(b), nil
}

// adminOnly wraps h with the bearer-token check, compared in constant time
// (over SHA-256 digests, so the token's length does not leak either).
func (s *Server) adminOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got := sha256.Sum256([]byte(tok))
		if !ok || subtle.ConstantTimeCompare(got[:], s.admin[:]) != 1 {
			s.writeError(w, r, wire.Errorf(http.StatusUnauthorized, wire.CodeUnauthorized, "admin API needs the bearer token from the collector config"))
			return
		}
		h(w, r)
	}
}
