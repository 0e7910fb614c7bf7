// Package trust keeps the kiosk's current trust data: the signed trust list
// and revocation list, verified against the pinned list keys, stored in the
// store (so they survive reboots and the gate never waits on the network),
// and indexed once into an idcode.Trust that the gate reads on every card.
//
// Sources of trust data, in order of arrival: the files named in
// scangate.toml (a technician's trust.json from `scangate keygen`), then the
// collector's bundles through the uplink. Every source goes through Install,
// which verifies before it stores: a list that does not verify changes
// nothing. A list older (by version) than the one in force is refused, so a
// replayed old revocation list cannot un-revoke a card.
//
// Pinning: the list keys in force are known before anything is installed:
// the configured keys (trust.list_keys) and the collector key. Only when
// there are none does the key pinned on first use count, and trust on first
// use itself happens only on a device that was never pinned by anything,
// and only when the configuration asks for it (Options.FirstUse). A local
// file therefore never adds a pin to a pinned device, and a list that no key
// in force verifies is never used, even when it is already stored (so a list
// planted before these rules stops counting once the device is pinned).
package trust

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/scangate/scangate/downlink"

	"github.com/scangate/scangate/idcode"
)

const (
	// settingVenue is the venue the device was bound to at enrollment
	// (store.SettingVenue; kiosk's tests check they agree).
	settingVenue = "venue"
	// settingPinned holds the list key pinned on first use.
	settingPinned = "trust.pinned_key"
	// settingEverPinned records that the device has had a pinned key, from
	// any origin: trust on first use is then over for good, even if the
	// configuration later loses its keys.
	settingEverPinned = "trust.ever_pinned"
)

// ErrOlder is wrapped by an install refused because the list is older
// (by version) than the one in force: a replay, or a copy superseded by a
// renewal, never an attack on its own.
var ErrOlder = errors.New("older than the list in force")

// Origins of a pinned key, as status shows them.
const (
	OriginConfig    = "config"    // trust.list_keys
	OriginCollector = "collector" // uplink.collector_key
	OriginFirstUse  = "first-use" // the signer of the first trust list installed
)

// Pin is a list key in force and where it came from.
type Pin struct {
	Key    ed25519.PublicKey
	Origin string
}

// KID is the key id (idcode.KeyID) in hex, as status shows it.
func (p Pin) KID() string { return fmt.Sprintf("%x", idcode.KeyID(p.Key)) }

// Blobs is the part of the store this package uses. A kind or setting it
// does not hold is an error wrapping fs.ErrNotExist.
type Blobs interface {
	PutBlob(ctx context.Context, kind string, version int64, data []byte, etag string, fetchedAt time.Time) error
	ReplaceBlob(ctx context.Context, kind string, version int64, data []byte, etag string, fetchedAt time.Time) error
	Blob(ctx context.Context, kind string) (downlink.Blob, error)
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
}

// Options configure a Source.
type Options struct {
	Venue  string
	MaxAge time.Duration
	// Pinned are the configured list keys (trust.list_keys).
	Pinned []ed25519.PublicKey
	// CollectorKey is the enrolled collector's key, which signs bundles and
	// lists; nil when no collector is configured.
	CollectorKey ed25519.PublicKey
	// FirstUse allows pinning the signer of the first trust list installed,
	// on a device that has never had a pinned key.
	FirstUse bool
	Logger   *slog.Logger
}

// Source hands the gate the current idcode.Trust. Safe for concurrent use.
type Source struct {
	blobs Blobs
	opts  Options
	log   *slog.Logger

	mu         sync.Mutex
	pins       []Pin
	everPinned bool
	current    *idcode.Trust
	// Versions of the stored lists that verify under the pins in force:
	// what a new list must not be older than. verified says whether the
	// stored copy verified at all (else its version proves nothing).
	listVersion, revVersion   int64
	listVerified, revVerified bool
}

// New returns a Source over the store and loads what it holds.
func New(ctx context.Context, blobs Blobs, opts Options) (*Source, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Source{blobs: blobs, opts: opts, log: opts.Logger}
	for _, k := range opts.Pinned {
		s.addPin(k, OriginConfig)
	}
	if len(opts.CollectorKey) > 0 {
		if len(opts.CollectorKey) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("trust: collector key is %d bytes, want %d", len(opts.CollectorKey), ed25519.PublicKeySize)
		}
		s.addPin(opts.CollectorKey, OriginCollector)
	}
	ever, err := blobs.Setting(ctx, settingEverPinned)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("trust: read pin state: %w", err)
	}
	s.everPinned = ever != ""
	v, err := blobs.Setting(ctx, settingPinned)
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("trust: read pinned key: %w", err)
	case v != "" && len(s.pins) > 0:
		// Configured keys (or a collector) now decide; the first-use key
		// stays stored but no longer counts.
		s.log.Info("trust: first-use key superseded by configured list keys")
	case v != "":
		k, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("trust: pinned key in store is damaged")
		}
		s.addPin(ed25519.PublicKey(k), OriginFirstUse)
		s.everPinned = true // a store from before the marker existed
	}
	if len(s.pins) > 0 && ever == "" {
		if err := blobs.SetSetting(ctx, settingEverPinned, "1"); err != nil {
			// The pins in force still hold for this run; only the memory
			// of them across a reconfiguration is at stake.
			s.log.Warn("trust: record pin state", "err", err)
		}
		s.everPinned = true
	}
	if err := s.Reload(ctx); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("trust: stored trust data unusable", "err", err)
	}
	return s, nil
}

// Trust returns the trust data in force, or nil when there is none. The
// gate turns nil into "trust data stale".
func (s *Source) Trust() *idcode.Trust {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// Unpinned reports that no list key is in force and none can be pinned
// on first use: no trust data can ever verify until the configuration
// names a key (the gate's "configuration" fault, not stale data).
func (s *Source) Unpinned() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pins) == 0 && (!s.opts.FirstUse || s.everPinned)
}

// Pins returns the list keys in force and where each came from.
func (s *Source) Pins() []Pin {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Pin(nil), s.pins...)
}

// Pinned returns the list keys in force.
func (s *Source) Pinned() []ed25519.PublicKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keysLocked()
}

func (s *Source) keysLocked() []ed25519.PublicKey {
	keys := make([]ed25519.PublicKey, len(s.pins))
	for i, p := range s.pins {
		keys[i] = p.Key
	}
	return keys
}

// AddPinned pins the collector's key (the uplink calls it once enrolled;
// the kiosk normally passes it to New already).
func (s *Source) AddPinned(k ed25519.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addPin(k, OriginCollector)
}

func (s *Source) addPin(k ed25519.PublicKey, origin string) {
	for _, p := range s.pins {
		if p.Key.Equal(k) {
			return
		}
	}
	s.pins = append(s.pins, Pin{Key: append(ed25519.PublicKey(nil), k...), Origin: origin})
}

// SetPolicy changes the venue and the maximum trust-data age (the collector's
// venue policy) and rebuilds the index.
func (s *Source) SetPolicy(ctx context.Context, venue string, maxAge time.Duration) error {
	s.mu.Lock()
	if venue != "" {
		s.opts.Venue = venue
	}
	if maxAge > 0 {
		s.opts.MaxAge = maxAge
	}
	s.mu.Unlock()
	if err := s.Reload(ctx); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Reload rebuilds the index from the store. The venue is the configured
// one, else the one the device was bound to at enrollment. Stored lists
// that no key in force verifies are not used: the door then refuses every
// card as stale until a list that verifies arrives.
func (s *Source) Reload(ctx context.Context) error {
	s.mu.Lock()
	opts := s.opts
	pinned := s.keysLocked()
	s.mu.Unlock()
	if opts.Venue == "" {
		if v, err := s.blobs.Setting(ctx, settingVenue); err == nil {
			opts.Venue = v
		}
	}
	// Revocations first and on their own: their version guards against a
	// rollback even while the trust list is missing or unusable.
	var rev *idcode.RevocationList
	var revFetched time.Time
	rb, err := s.blobs.Blob(ctx, downlink.KindRevocations)
	switch {
	case err == nil:
		if rev, err = idcode.OpenRevocations(rb.Data, pinned); err != nil {
			// Without a revocation list that verifies the door refuses
			// every card as stale; it never passes a revoked one.
			s.log.Warn("trust: stored revocations not signed by a key in force", "err", err)
			rev = nil
		} else {
			revFetched = rb.FetchedAt
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("trust: load revocations: %w", err)
	}
	var revVersion int64
	if rev != nil {
		revVersion = rev.Version
	}
	fail := func(err error) error {
		s.mu.Lock()
		s.current, s.listVersion, s.listVerified = nil, 0, false
		s.revVersion, s.revVerified = revVersion, rev != nil
		s.mu.Unlock()
		return err
	}
	tb, err := s.blobs.Blob(ctx, downlink.KindTrustList)
	if errors.Is(err, fs.ErrNotExist) {
		return fail(fmt.Errorf("trust: load trust list: %w", err))
	}
	if err != nil {
		return fmt.Errorf("trust: load trust list: %w", err)
	}
	list, err := idcode.OpenTrustList(tb.Data, pinned)
	if err != nil {
		return fail(fmt.Errorf("trust: stored trust list not signed by a key in force: %w", err))
	}
	fetched := tb.FetchedAt
	if rev != nil && revFetched.Before(fetched) {
		fetched = revFetched
	}
	t, err := idcode.NewTrust(list, rev, idcode.TrustOptions{Venue: opts.Venue, MaxAge: opts.MaxAge, FetchedAt: fetched})
	if err != nil {
		return fmt.Errorf("trust: %w", err)
	}
	s.mu.Lock()
	s.current, s.listVersion, s.revVersion = t, list.Version, revVersion
	s.listVerified, s.revVerified = true, rev != nil
	s.mu.Unlock()
	return nil
}

// InstallTrustList verifies data and, when it is not older than the list
// in force, stores and applies it. fetchedAt is when the data was confirmed
// current (the server time for a bundle); zero means the list's own issue
// time, for files, which prove nothing about freshness.
//
// With no key in force, the list is accepted only on first use (see
// Options.FirstUse) and only when it is self-signed; its signer is pinned
// after the list is fully verified and stored.
func (s *Source) InstallTrustList(ctx context.Context, data []byte, etag string, fetchedAt time.Time) error {
	s.mu.Lock()
	pinned, ever, inForce, verified := s.keysLocked(), s.everPinned, s.listVersion, s.listVerified
	s.mu.Unlock()
	tofu := false
	if len(pinned) == 0 {
		if !s.opts.FirstUse || ever {
			return errors.New("trust: no list key pinned: name the issuer's public key in trust.list_keys" +
				" (or set trust.first_use = true on a device that was never pinned)")
		}
		k, err := selfSigner(data)
		if err != nil {
			return fmt.Errorf("trust: no list key pinned, and the trust list is not self-signed: %w", err)
		}
		pinned, tofu = []ed25519.PublicKey{k}, true
	}
	list, err := idcode.OpenTrustList(data, pinned)
	if err != nil {
		return fmt.Errorf("trust: %w", err)
	}
	if list.Version < inForce {
		return fmt.Errorf("trust: trust list v%d: %w (v%d)", list.Version, ErrOlder, inForce)
	}
	if fetchedAt.IsZero() {
		fetchedAt = list.IssuedAt // a file carries no proof of freshness
	}
	if err := s.put(ctx, verified, downlink.KindTrustList, list.Version, data, etag, fetchedAt); err != nil {
		return fmt.Errorf("trust: store trust list: %w", err)
	}
	if tofu {
		// After the list is stored: a crash in between leaves an unpinned
		// device that installs the same file again at the next start.
		if err := s.blobs.SetSetting(ctx, settingPinned, base64.StdEncoding.EncodeToString(pinned[0])); err != nil {
			return fmt.Errorf("trust: pin list key: %w", err)
		}
		if err := s.blobs.SetSetting(ctx, settingEverPinned, "1"); err != nil {
			return fmt.Errorf("trust: record pin state: %w", err)
		}
		s.mu.Lock()
		s.addPin(pinned[0], OriginFirstUse)
		s.everPinned = true
		s.mu.Unlock()
		s.log.Info("trust: pinned the trust list's signing key on first use", "kid", fmt.Sprintf("%x", idcode.KeyID(pinned[0])))
	}
	return s.Reload(ctx)
}

// InstallRevocations verifies data and, when it is not older than the list
// in force, stores and applies it.
func (s *Source) InstallRevocations(ctx context.Context, data []byte, etag string, fetchedAt time.Time) error {
	s.mu.Lock()
	pinned, inForce, verified := s.keysLocked(), s.revVersion, s.revVerified
	s.mu.Unlock()
	if len(pinned) == 0 {
		return errors.New("trust: no list key pinned: revocations cannot be verified")
	}
	rev, err := idcode.OpenRevocations(data, pinned)
	if err != nil {
		return fmt.Errorf("trust: %w", err)
	}
	if rev.Version < inForce {
		return fmt.Errorf("trust: revocation list v%d: %w (v%d)", rev.Version, ErrOlder, inForce)
	}
	if fetchedAt.IsZero() {
		fetchedAt = rev.IssuedAt
	}
	if err := s.put(ctx, verified, downlink.KindRevocations, rev.Version, data, etag, fetchedAt); err != nil {
		return fmt.Errorf("trust: store revocations: %w", err)
	}
	if err := s.Reload(ctx); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// put stores a verified list: through the store's own version guard when
// the stored copy verified, over it when it did not (a planted or foreign
// list, whose version proves nothing).
func (s *Source) put(ctx context.Context, storedVerified bool, kind string, version int64, data []byte, etag string, fetchedAt time.Time) error {
	if storedVerified {
		return s.blobs.PutBlob(ctx, kind, version, data, etag, fetchedAt)
	}
	return s.blobs.ReplaceBlob(ctx, kind, version, data, etag, fetchedAt)
}

// selfSigner returns the key inside a trust list that signed the list
// itself (the single-issuer setup that `scangate keygen` writes).
func selfSigner(data []byte) (ed25519.PublicKey, error) {
	_, k, err := idcode.OpenSelfSignedTrustList(data)
	return k, err
}
