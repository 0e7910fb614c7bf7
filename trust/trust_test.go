package trust

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"path/filepath"
	"testing"
	"time"

	"github.com/scangate/scangate/downlink"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/store"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func key(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func list(t *testing.T, signer ed25519.PrivateKey, version int64, issuers ...ed25519.PrivateKey) []byte {
	t.Helper()
	l := idcode.TrustList{Version: version, IssuedAt: t0.Add(-time.Hour), Expires: t0.AddDate(1, 0, 0)}
	for _, k := range issuers {
		l.Issuers = append(l.Issuers, idcode.Issuer{ID: "lib", PublicKey: k.Public().(ed25519.PublicKey)})
	}
	b, err := idcode.SignTrustList(l, signer)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func revs(t *testing.T, signer ed25519.PrivateKey, version int64, ids ...string) []byte {
	t.Helper()
	b, err := idcode.SignRevocations(idcode.RevocationList{Version: version, IssuedAt: t0.Add(-time.Hour), Expires: t0.AddDate(1, 0, 0), CardIDs: ids}, signer)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestFirstUsePinsAndSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	st := openStore(t, path)
	issuer, mallory := key(1), key(2)
	src, err := New(ctx, st, Options{MaxAge: 28 * 24 * time.Hour, FirstUse: true})
	if err != nil {
		t.Fatal(err)
	}
	if src.Trust() != nil {
		t.Fatal("trust before any install")
	}
	// A list signed by a key it does not contain is refused on first use.
	if err := src.InstallTrustList(ctx, list(t, mallory, 1, issuer), "", t0); err == nil {
		t.Fatal("foreign-signed list installed without a pinned key")
	}
	if err := src.InstallTrustList(ctx, list(t, issuer, 1, issuer), "", t0); err != nil {
		t.Fatal(err)
	}
	if tr := src.Trust(); tr == nil || tr.List.Version != 1 {
		t.Fatalf("trust after install: %+v", tr)
	}
	// From now on only the pinned key may sign, even a self-signed list.
	if err := src.InstallTrustList(ctx, list(t, mallory, 2, mallory), "", t0); err == nil {
		t.Fatal("self-signed list by another key replaced the pinned one")
	}
	if err := src.InstallRevocations(ctx, revs(t, issuer, 3, "00112233445566778899aabbccddeeff"), "", t0); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st2 := openStore(t, path)
	src2, err := New(ctx, st2, Options{MaxAge: 28 * 24 * time.Hour, FirstUse: true})
	if err != nil {
		t.Fatal(err)
	}
	tr := src2.Trust()
	if tr == nil || tr.List.Version != 1 || tr.Revoked == nil || tr.Revoked.Version != 3 {
		t.Fatalf("after restart: %+v", tr)
	}
	if err := src2.InstallTrustList(ctx, list(t, mallory, 5, mallory), "", t0); err == nil {
		t.Fatal("pin forgotten across restart")
	}
}

func TestOlderVersionsRefused(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	issuer := key(1)
	src, err := New(ctx, st, Options{Pinned: []ed25519.PublicKey{issuer.Public().(ed25519.PublicKey)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.InstallTrustList(ctx, list(t, issuer, 4, issuer), "", t0); err != nil {
		t.Fatal(err)
	}
	if err := src.InstallRevocations(ctx, revs(t, issuer, 4, "00112233445566778899aabbccddeeff"), "", t0); err != nil {
		t.Fatal(err)
	}
	if err := src.InstallTrustList(ctx, list(t, issuer, 3, issuer), "", t0); err == nil {
		t.Fatal("older trust list accepted")
	}
	// A replayed older revocation list must not un-revoke a card.
	if err := src.InstallRevocations(ctx, revs(t, issuer, 2), "", t0); err == nil {
		t.Fatal("older revocation list accepted")
	}
	if got := src.Trust().Revoked.Version; got != 4 {
		t.Fatalf("revocations in force v%d", got)
	}
	// Damaged data changes nothing.
	bad := list(t, issuer, 9, issuer)
	bad[len(bad)/2] ^= 1
	if err := src.InstallTrustList(ctx, bad, "", t0); err == nil {
		t.Fatal("damaged list accepted")
	}
	if got := src.Trust().List.Version; got != 4 {
		t.Fatalf("list in force v%d", got)
	}
}

func pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// An enrolled kiosk knows its collector key before it reads any file, so a
// self-signed list planted in its data directory is refused and pins nothing.
func TestCollectorPinnedRefusesSelfSignedFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	st := openStore(t, path)
	collector, mallory := key(1), key(2)
	src, err := New(ctx, st, Options{CollectorKey: pub(collector), FirstUse: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.InstallTrustList(ctx, list(t, mallory, 1<<40, mallory), "", t0); err == nil {
		t.Fatal("self-signed list installed on a collector-pinned kiosk")
	}
	if v, _ := st.Setting(ctx, settingPinned); v != "" {
		t.Fatalf("refused list pinned a key: %q", v)
	}
	if src.Trust() != nil {
		t.Fatal("trust in force after a refused list")
	}
	pins := src.Pins()
	if len(pins) != 1 || pins[0].Origin != OriginCollector || !pins[0].Key.Equal(pub(collector)) {
		t.Fatalf("pins %+v", pins)
	}
	// The collector's own list installs, whatever version the forged one had.
	if err := src.InstallTrustList(ctx, list(t, collector, 2, key(3)), "", t0); err != nil {
		t.Fatal(err)
	}
	if err := src.InstallRevocations(ctx, revs(t, mallory, 9), "", t0); err == nil {
		t.Fatal("revocations by an unpinned key installed")
	}
}

// Trust on first use happens only when the configuration asks for it.
func TestFirstUseOnlyWhenAsked(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	issuer := key(1)
	src, err := New(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.InstallTrustList(ctx, list(t, issuer, 1, issuer), "", t0); err == nil {
		t.Fatal("self-signed list pinned without trust.first_use")
	}
	if len(src.Pins()) != 0 {
		t.Fatalf("pins %+v", src.Pins())
	}
}

// A device that once had a pinned key never goes back to trust on first
// use, even when its configuration loses the key.
func TestNoFirstUseAfterPinned(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	issuer, mallory := key(1), key(2)
	st := openStore(t, path)
	src, err := New(ctx, st, Options{Pinned: []ed25519.PublicKey{pub(issuer)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.InstallTrustList(ctx, list(t, issuer, 1, issuer), "", t0); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st2 := openStore(t, path)
	src2, err := New(ctx, st2, Options{FirstUse: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := src2.InstallTrustList(ctx, list(t, mallory, 7, mallory), "", t0); err == nil {
		t.Fatal("first use after the device was pinned")
	}
	if src2.Trust() != nil {
		t.Fatal("the stored list verified with no key in force")
	}
}

// A forged list installed by trust on first use before these rules (a
// device in the field) stops counting once a collector is configured, and
// its huge version does not block the collector's lists.
func TestPlantedListDroppedOncePinned(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	collector, mallory := key(1), key(2)
	st := openStore(t, path)
	old, err := New(ctx, st, Options{FirstUse: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := old.InstallTrustList(ctx, list(t, mallory, 1<<40, mallory), "", t0); err != nil {
		t.Fatal(err)
	}
	if err := old.InstallRevocations(ctx, revs(t, mallory, 1<<40), "", t0); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st2 := openStore(t, path)
	src, err := New(ctx, st2, Options{CollectorKey: pub(collector)})
	if err != nil {
		t.Fatal(err)
	}
	if src.Trust() != nil {
		t.Fatal("planted list still in force under the collector key")
	}
	if len(src.Pins()) != 1 {
		t.Fatalf("first-use key still counts beside the collector: %+v", src.Pins())
	}
	if err := src.InstallTrustList(ctx, list(t, collector, 3, key(3)), "", t0); err != nil {
		t.Fatalf("collector list refused: %v", err)
	}
	if err := src.InstallRevocations(ctx, revs(t, collector, 3), "", t0); err != nil {
		t.Fatalf("collector revocations refused: %v", err)
	}
	if tr := src.Trust(); tr == nil || tr.List.Version != 3 || tr.Revoked == nil || tr.Revoked.Version != 3 {
		t.Fatalf("trust %+v", tr)
	}
}

// Stored revocations that no key in force verifies count as missing: the
// door refuses as stale rather than pass a revoked card.
func TestUnverifiableRevocationsAreMissing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	issuer, mallory := key(1), key(2)
	if err := st.PutBlob(ctx, downlink.KindRevocations, 1, revs(t, mallory, 1), "", t0); err != nil {
		t.Fatal(err)
	}
	src, err := New(ctx, st, Options{Pinned: []ed25519.PublicKey{pub(issuer)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.InstallTrustList(ctx, list(t, issuer, 1, issuer), "", t0); err != nil {
		t.Fatal(err)
	}
	tr := src.Trust()
	if tr == nil || tr.Revoked != nil {
		t.Fatalf("trust %+v", tr)
	}
	if why := tr.Stale(t0); why != "no revocation list" {
		t.Fatalf("stale %q", why)
	}
}

// The stored revocation list's version holds even while no trust list is
// stored: a replayed older list cannot un-revoke a card.
func TestRevocationRollbackWithoutTrustList(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	issuer := key(1)
	src, err := New(ctx, st, Options{Pinned: []ed25519.PublicKey{pub(issuer)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.InstallRevocations(ctx, revs(t, issuer, 10, "00112233445566778899aabbccddeeff"), "", t0); err != nil {
		t.Fatal(err)
	}
	if err := src.InstallRevocations(ctx, revs(t, issuer, 2), "", t0); err == nil {
		t.Fatal("older revocation list accepted while no trust list is stored")
	}
}
