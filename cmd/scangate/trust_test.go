//go:build !kiosk

package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/idcode"
)

func openLists(t *testing.T, dir string, pub ed25519.PublicKey) (*idcode.TrustList, *idcode.RevocationList) {
	t.Helper()
	tb, err := os.ReadFile(filepath.Join(dir, "trust.json"))
	if err != nil {
		t.Fatal(err)
	}
	list, err := idcode.OpenTrustList(tb, []ed25519.PublicKey{pub})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := os.ReadFile(filepath.Join(dir, "revocations.json"))
	if err != nil {
		t.Fatal(err)
	}
	rev, err := idcode.OpenRevocations(rb, []ed25519.PublicKey{pub})
	if err != nil {
		t.Fatal(err)
	}
	return list, rev
}

func TestTrustRenewKeepsKeyIssuersAndRevocations(t *testing.T) {
	dir := keygenDir(t)
	const revoked = "00112233445566778899aabbccddeeff"
	if code, _, stderr := runCLI("revoke", "--key", filepath.Join(dir, "issuer.key"), "--revocations", filepath.Join(dir, "revocations.json"), revoked); code != 0 {
		t.Fatalf("revoke: %s", stderr)
	}
	key, err := idcode.LoadPrivateKey(filepath.Join(dir, "issuer.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	oldList, oldRev := openLists(t, dir, pub)

	out := filepath.Join(t.TempDir(), "renewed")
	code, stdout, stderr := runCLI("trust", "renew", "--key", filepath.Join(dir, "issuer.key"), "--from", dir, "--out", out, "--valid-for", "2160h")
	if code != 0 {
		t.Fatalf("renew: exit %d: %s", code, stderr)
	}
	list, rev := openLists(t, out, pub) // the same key verifies them
	if list.Version != oldList.Version+1 || rev.Version != oldRev.Version+1 {
		t.Errorf("versions %d/%d after %d/%d", list.Version, rev.Version, oldList.Version, oldRev.Version)
	}
	if len(list.Issuers) != 1 || list.Issuers[0].ID != oldList.Issuers[0].ID || !bytes.Equal(list.Issuers[0].PublicKey, pub) {
		t.Errorf("issuers %+v", list.Issuers)
	}
	if len(rev.CardIDs) != 1 || rev.CardIDs[0] != revoked {
		t.Errorf("revocations not kept: %v", rev.CardIDs)
	}
	if time.Since(list.IssuedAt) > time.Minute || list.Expires.Sub(list.IssuedAt) != 2160*time.Hour {
		t.Errorf("window %v .. %v", list.IssuedAt, list.Expires)
	}
	// The date printed is the kiosk's: issued + 28 days (the default
	// max_trust_age), long before the lists expire.
	want := list.IssuedAt.Add(defaultMaxTrustAge + time.Nanosecond).Local().Format("2006-01-02 15:04")
	if !strings.Contains(stdout, "cards refused from "+want) || !strings.Contains(stdout, "28 days") {
		t.Errorf("stdout lacks the refusal date %s:\n%s", want, stdout)
	}
	// The source directory is untouched.
	if l, _ := openLists(t, dir, pub); l.Version != oldList.Version {
		t.Errorf("--from rewritten: v%d", l.Version)
	}
	// Renewing in place (no --from) goes on from the renewed lists.
	if code, _, stderr := runCLI("trust", "renew", "--key", filepath.Join(dir, "issuer.key"), "--out", out); code != 0 {
		t.Fatalf("renew in place: %s", stderr)
	}
	if l, r := openLists(t, out, pub); l.Version != list.Version+1 || len(r.CardIDs) != 1 {
		t.Errorf("in place: v%d, %d revoked", l.Version, len(r.CardIDs))
	}
}

func TestTrustRenewRefusesAndChangesNothing(t *testing.T) {
	dir := keygenDir(t)
	other := keygenDir(t)
	before := func(d string) [2][]byte {
		a, _ := os.ReadFile(filepath.Join(d, "trust.json"))
		b, _ := os.ReadFile(filepath.Join(d, "revocations.json"))
		return [2][]byte{a, b}
	}
	orig := before(dir)
	// Another key cannot renew these lists (it would widen trust).
	code, _, stderr := runCLI("trust", "renew", "--key", filepath.Join(other, "issuer.key"), "--out", dir)
	if code != 2 || !strings.Contains(stderr, "is --key the key that signed it?") {
		t.Errorf("foreign key: exit %d: %s", code, stderr)
	}
	if now := before(dir); !bytes.Equal(now[0], orig[0]) || !bytes.Equal(now[1], orig[1]) {
		t.Error("a refused renewal changed the lists")
	}
	// Without the revocation list in force there is nothing to keep.
	os.Remove(filepath.Join(dir, "revocations.json"))
	code, _, stderr = runCLI("trust", "renew", "--key", filepath.Join(dir, "issuer.key"), "--out", dir)
	if code != 2 || !strings.Contains(stderr, "revocations.json not found") {
		t.Errorf("no revocations: exit %d: %s", code, stderr)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "trust.json")); !bytes.Equal(now, orig[0]) {
		t.Error("a refused renewal rewrote trust.json")
	}
	for _, args := range [][]string{{"trust"}, {"trust", "renew"}, {"trust", "renew", "--key", "k", "--out", dir, "--max-trust-age", "0s"}} {
		if code, _, _ := runCLI(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestKeygenPrintsTheRefusalDate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "k")
	code, stdout, stderr := runCLI("keygen", "--issuer", "org.example", "--out", dir, "--max-trust-age", "2400h")
	if code != 0 {
		t.Fatalf("keygen: %s", stderr)
	}
	key, _ := idcode.LoadPrivateKey(filepath.Join(dir, "issuer.key"), nil)
	list, _ := openLists(t, dir, key.Public().(ed25519.PublicKey))
	if !strings.Contains(stdout, base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))) {
		t.Errorf("keygen does not print the public key for trust.list_keys:\n%s", stdout)
	}
	want := list.IssuedAt.Add(2400*time.Hour + time.Nanosecond).Local().Format("2006-01-02 15:04")
	if !strings.Contains(stdout, "cards refused from "+want) || !strings.Contains(stdout, "100 days") {
		t.Errorf("keygen does not print the refusal date %s:\n%s", want, stdout)
	}
}
