package trust

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"path/filepath"
	"testing"
	"time"

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
	src, err := New(ctx, st, Options{MaxAge: 28 * 24 * time.Hour})
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
	src2, err := New(ctx, st2, Options{MaxAge: 28 * 24 * time.Hour})
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
