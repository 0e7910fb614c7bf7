package collector_test

import (
	"crypto/ed25519"
	"net/http"
	"slices"
	"testing"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/sync/collector/collectortest"
	"github.com/scangate/scangate/sync/wire"
)

// TestRebuiltDatabaseListsAccepted rebuilds the collector's database from
// nothing (same collector key, fewer changes than before) and checks that
// the new lists still version above the old ones, so a device holding the
// old lists (which refuses a lower version) installs them.
func TestRebuiltDatabaseListsAccepted(t *testing.T) {
	key := newKey(t)
	pinned := []ed25519.PublicKey{key.Public().(ed25519.PublicKey)}
	var revoked []string
	// install opens the bundle's lists as a device does (the device's own
	// rule, refusing a lower version, is trust's and tested there).
	install := func(c *collectortest.Collector) (trustV, revV int64) {
		t.Helper()
		d := mustEnroll(t, c, "v1")
		code, body, _ := d.bundle(t, "")
		if code != http.StatusOK {
			t.Fatalf("bundle: %d %s", code, body)
		}
		bun, err := wire.OpenBundle(body, c.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		tl, err := idcode.OpenTrustList(bun.TrustList, pinned)
		if err != nil {
			t.Fatalf("trust list: %v", err)
		}
		rl, err := idcode.OpenRevocations(bun.Revocations, pinned)
		if err != nil {
			t.Fatalf("revocation list: %v", err)
		}
		revoked = rl.CardIDs
		return tl.Version, rl.Version
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
	if !slices.Contains(revoked, card) {
		t.Fatal("the rebuilt collector's revocation is not in force on the device")
	}
}
