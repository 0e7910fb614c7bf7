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
// Pinning: list keys come from the config (and the collector key); with
// none configured, the key that signed the first trust list ever installed
// is pinned in the store (trust on first use, the single-issuer setup).
package trust

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/store"
)

// settingPinned holds the list key pinned on first use.
const settingPinned = "trust.pinned_key"

// Blobs is the part of the store this package uses.
type Blobs interface {
	PutBlob(ctx context.Context, kind string, version int64, data []byte, etag string, fetchedAt time.Time) error
	Blob(ctx context.Context, kind string) (store.Blob, error)
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
}

// Options configure a Source.
type Options struct {
	Venue  string
	MaxAge time.Duration
	Pinned []ed25519.PublicKey // configured list keys; empty: trust on first use
	Logger *slog.Logger
}

// Source hands the gate the current idcode.Trust. Safe for concurrent use.
type Source struct {
	blobs Blobs
	opts  Options
	log   *slog.Logger

	mu      sync.Mutex
	pinned  []ed25519.PublicKey
	current *idcode.Trust
}

// New returns a Source over the store and loads what it holds.
func New(ctx context.Context, blobs Blobs, opts Options) (*Source, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Source{blobs: blobs, opts: opts, log: opts.Logger, pinned: append([]ed25519.PublicKey(nil), opts.Pinned...)}
	if v, err := blobs.Setting(ctx, settingPinned); err == nil && v != "" {
		k, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("trust: pinned key in store is damaged")
		}
		s.pinned = append(s.pinned, ed25519.PublicKey(k))
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("trust: read pinned key: %w", err)
	}
	if err := s.Reload(ctx); err != nil && !errors.Is(err, store.ErrNotFound) {
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

// Pinned returns the list keys in force.
func (s *Source) Pinned() []ed25519.PublicKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ed25519.PublicKey(nil), s.pinned...)
}

// AddPinned pins another list key (the collector's, once enrolled).
func (s *Source) AddPinned(k ed25519.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.pinned {
		if p.Equal(k) {
			return
		}
	}
	s.pinned = append(s.pinned, k)
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
	if err := s.Reload(ctx); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// Reload rebuilds the index from the store. The venue is the configured
// one, else the one the device was bound to at enrollment.
func (s *Source) Reload(ctx context.Context) error {
	s.mu.Lock()
	opts := s.opts
	s.mu.Unlock()
	if opts.Venue == "" {
		if v, err := s.blobs.Setting(ctx, store.SettingVenue); err == nil {
			opts.Venue = v
		}
	}
	tb, err := s.blobs.Blob(ctx, store.KindTrustList)
	if err != nil {
		return fmt.Errorf("trust: load trust list: %w", err)
	}
	pinned := s.Pinned()
	list, err := idcode.OpenTrustList(tb.Data, pinned)
	if err != nil {
		return fmt.Errorf("trust: stored trust list: %w", err)
	}
	var rev *idcode.RevocationList
	fetched := tb.FetchedAt
	if rb, err := s.blobs.Blob(ctx, store.KindRevocations); err == nil {
		if rev, err = idcode.OpenRevocations(rb.Data, pinned); err != nil {
			return fmt.Errorf("trust: stored revocations: %w", err)
		}
		if rb.FetchedAt.Before(fetched) {
			fetched = rb.FetchedAt
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("trust: load revocations: %w", err)
	}
	t, err := idcode.NewTrust(list, rev, idcode.TrustOptions{Venue: opts.Venue, MaxAge: opts.MaxAge, FetchedAt: fetched})
	if err != nil {
		return fmt.Errorf("trust: %w", err)
	}
	s.mu.Lock()
	s.current = t
	s.mu.Unlock()
	return nil
}

// InstallTrustList verifies data and, when it is not older than the list
// in force, stores and applies it. fetchedAt is when the data was confirmed
// current (the server time for a bundle); zero means the list's own issue
// time, for files, which prove nothing about freshness.
func (s *Source) InstallTrustList(ctx context.Context, data []byte, etag string, fetchedAt time.Time) error {
	pinned := s.Pinned()
	tofu := false
	if len(pinned) == 0 {
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
	if cur := s.Trust(); cur != nil && cur.List != nil && list.Version < cur.List.Version {
		return fmt.Errorf("trust: trust list v%d is older than v%d in force", list.Version, cur.List.Version)
	}
	if fetchedAt.IsZero() {
		fetchedAt = list.IssuedAt // a file carries no proof of freshness
	}
	if tofu {
		if err := s.blobs.SetSetting(ctx, settingPinned, base64.StdEncoding.EncodeToString(pinned[0])); err != nil {
			return fmt.Errorf("trust: pin list key: %w", err)
		}
		s.AddPinned(pinned[0])
		s.log.Info("trust: pinned the trust list's signing key", "kid", fmt.Sprintf("%x", idcode.KeyID(pinned[0])))
	}
	if err := s.blobs.PutBlob(ctx, store.KindTrustList, list.Version, data, etag, fetchedAt); err != nil {
		return fmt.Errorf("trust: store trust list: %w", err)
	}
	return s.Reload(ctx)
}

// InstallRevocations verifies data and, when it is not older than the list
// in force, stores and applies it.
func (s *Source) InstallRevocations(ctx context.Context, data []byte, etag string, fetchedAt time.Time) error {
	rev, err := idcode.OpenRevocations(data, s.Pinned())
	if err != nil {
		return fmt.Errorf("trust: %w", err)
	}
	if cur := s.Trust(); cur != nil && cur.Revoked != nil && rev.Version < cur.Revoked.Version {
		return fmt.Errorf("trust: revocation list v%d is older than v%d in force", rev.Version, cur.Revoked.Version)
	}
	if fetchedAt.IsZero() {
		fetchedAt = rev.IssuedAt
	}
	if err := s.blobs.PutBlob(ctx, store.KindRevocations, rev.Version, data, etag, fetchedAt); err != nil {
		return fmt.Errorf("trust: store revocations: %w", err)
	}
	if err := s.Reload(ctx); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// selfSigner returns the key inside a trust list that signed the list
// itself (the single-issuer setup that `scangate keygen` writes).
func selfSigner(data []byte) (ed25519.PublicKey, error) {
	_, k, err := idcode.OpenSelfSignedTrustList(data)
	return k, err
}
