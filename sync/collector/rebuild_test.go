package collector_test

import (
	"crypto/ed25519"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/sync/collector/collectortest"
	"github.com/scangate/scangate/sync/wire"
	"github.com/scangate/scangate/trust"
)

// TestRebuiltDatabaseListsAccepted rebuilds the collector's database from
// nothing (same collector key, fewer changes than before) and checks that a
// device holding the old lists installs the new ones: the kiosk's trust
// source refuses a list with a lower version than the one in force.
func TestRebuiltDatabaseListsAccepted(t *testing.T) {
	key := newKey(t)
	st, err := store.Open(filepath.Join(t.TempDir(), "kiosk.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src, err := trust.New(t.Context(), st, trust.Options{Venue: "v1", Pinned: []ed25519.PublicKey{key.Public().(ed25519.PublicKey)}})
	if err != nil {
		t.Fatal(err)
	}
	install := func(c *collectortest.Collector) (trustV, revV int64) {
		t.Helper()
		d := mustEnroll(t, c, "v1")
		code, body, etag := d.bundle(t, "")
		if code != http.StatusOK {
			t.Fatalf("bundle: %d %s", code, body)
		}
		bun, err := wire.OpenBundle(body, c.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		if err := src.InstallTrustList(t.Context(), bun.TrustList, etag, time.Now()); err != nil {
			t.Fatalf("device refused the trust list: %v", err)
		}
		if err := src.InstallRevocations(t.Context(), bun.Revocations, etag, time.Now()); err != nil {
			t.Fatalf("device refused the revocation list: %v", err)
		}
		tr := src.Trust()
		return tr.List.Version, tr.Revoked.Version
	}

	old := collectortest.Start(t, collectortest.Options{Key: key})
	old.CreateVenue(t, "v1")
	old.CreateIssuer(t, "city")
	for range 5 {
		old.RevokeCard(t, randomCardID())
	}
	t1, r1 := install(old)

	// The database is lost and rebuilt: a fresh file, the same key, one
	// change where the old one had seven.
	rebuilt := collectortest.Start(t, collectortest.Options{Key: key})
	rebuilt.CreateVenue(t, "v1")
	card := randomCardID()
	rebuilt.RevokeCard(t, card)
	t2, r2 := install(rebuilt)
	if t2 <= t1 || r2 <= r1 {
		t.Fatalf("list versions after the rebuild: trust %d (was %d), revocations %d (was %d)", t2, t1, r2, r1)
	}
	if !slices.Contains(src.Trust().Revoked.CardIDs, card) {
		t.Fatal("the rebuilt collector's revocation is not in force on the device")
	}
}
