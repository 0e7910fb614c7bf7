//go:build !kiosk

package main

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scangate/scangate/idcode"
)

// runCLI runs one scangate command in-process.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// keygenDir runs keygen into a fresh directory and returns it.
func keygenDir(t *testing.T, extra ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "issuer")
	args := append([]string{"keygen", "--issuer", "org.example.venue", "--name", "Venue Org", "--out", dir}, extra...)
	if code, _, stderr := runCLI(args...); code != 0 {
		t.Fatalf("keygen: exit %d: %s", code, stderr)
	}
	return dir
}

func TestKeygenWritesKeyAndLists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCLI("keygen", "--issuer", "org.example.venue", "--name", "Venue Org", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	st, err := os.Stat(filepath.Join(dir, "issuer.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("issuer.key: %v %v", st, err)
	}
	key, err := idcode.LoadPrivateKey(filepath.Join(dir, "issuer.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	kid := idcode.KeyID(pub)
	if !strings.Contains(stdout, "kid") || !strings.Contains(stdout, hexKID(kid)) || !strings.Contains(stdout, filepath.Join(dir, "trust.json")) {
		t.Errorf("stdout lacks kid or paths:\n%s", stdout)
	}
	trustData, _ := os.ReadFile(filepath.Join(dir, "trust.json"))
	list, err := idcode.OpenTrustList(trustData, []ed25519.PublicKey{pub})
	if err != nil || len(list.Issuers) != 1 || list.Issuers[0].ID != "org.example.venue" || list.Issuers[0].Name != "Venue Org" ||
		!bytes.Equal(list.Issuers[0].PublicKey, pub) {
		t.Fatalf("trust.json: %+v %v", list, err)
	}
	revData, _ := os.ReadFile(filepath.Join(dir, "revocations.json"))
	revs, err := idcode.OpenRevocations(revData, []ed25519.PublicKey{pub})
	if err != nil || len(revs.CardIDs) != 0 || revs.Version != 1 {
		t.Fatalf("revocations.json: %+v %v", revs, err)
	}
	pubPEM, _ := os.ReadFile(filepath.Join(dir, "issuer.pub"))
	if p, err := idcode.ParsePublicKey(pubPEM); err != nil || !bytes.Equal(p, pub) {
		t.Fatalf("issuer.pub: %v", err)
	}
}

func hexKID(k [8]byte) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for _, c := range k {
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&15])
	}
	return b.String()
}

func TestKeygenRefusesOverwriteWithoutForce(t *testing.T) {
	dir := keygenDir(t)
	before, _ := os.ReadFile(filepath.Join(dir, "issuer.key"))
	code, _, stderr := runCLI("keygen", "--issuer", "x", "--out", dir)
	if code != 2 || !strings.Contains(stderr, "--force") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "issuer.key")); !bytes.Equal(before, after) {
		t.Fatal("key replaced without --force")
	}
	if code, _, stderr := runCLI("keygen", "--issuer", "x", "--out", dir, "--force"); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "issuer.key")); bytes.Equal(before, after) {
		t.Fatal("--force kept the old key")
	}
	if _, err := os.Stat(filepath.Join(dir, "issuer.key.new")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary key left behind: %v", err)
	}
}

func TestKeygenUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"keygen"},
		{"keygen", "--out", dir},
		{"keygen", "--issuer", "x"},
		{"keygen", "--issuer", "x", "--out", dir, "extra"},
		{"keygen", "--issuer", strings.Repeat("x", 65), "--out", dir},
		{"keygen", "--issuer", "x", "--out", dir, "--passphrase-file", filepath.Join(dir, "absent")},
		{"keygen", "--bogus"},
	} {
		if code, _, _ := runCLI(args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}

func TestKeygenPassphraseAndKeyErrors(t *testing.T) {
	tmp := t.TempDir()
	passFile := filepath.Join(tmp, "pass")
	wrongFile := filepath.Join(tmp, "wrong")
	os.WriteFile(passFile, []byte("correct horse battery\n"), 0o600)
	os.WriteFile(wrongFile, []byte("incorrect\n"), 0o600)
	dir := keygenDir(t, "--passphrase-file", passFile)
	keyPath := filepath.Join(dir, "issuer.key")
	if _, err := idcode.LoadPrivateKey(keyPath, nil); !errors.Is(err, idcode.ErrPassphraseRequired) {
		t.Fatalf("key not encrypted: %v", err)
	}
	if _, err := idcode.LoadPrivateKey(keyPath, []byte("correct horse battery")); err != nil {
		t.Fatalf("passphrase is not the file's first line: %v", err)
	}
	revs := filepath.Join(dir, "revocations.json")
	id := strings.Repeat("ab", 16)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--key", keyPath, "--passphrase-file", wrongFile}, "wrong passphrase"},
		{[]string{"--key", keyPath}, "encrypted"},
		{[]string{"--key", filepath.Join(tmp, "absent.key")}, "does not exist"},
		{[]string{"--key", passFile}, "no PEM block"},
	} {
		args := append(append([]string{"revoke"}, c.args...), "--revocations", revs, id)
		code, _, stderr := runCLI(args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q, want 2 and %q", args, code, stderr, c.want)
		}
	}
	if code, _, stderr := runCLI("revoke", "--key", keyPath, "--passphrase-file", passFile, "--revocations", revs, id); code != 0 {
		t.Fatalf("right passphrase: exit %d: %s", code, stderr)
	}
}

func TestRevokeAddsAndResigns(t *testing.T) {
	dir := keygenDir(t)
	keyPath, revPath := filepath.Join(dir, "issuer.key"), filepath.Join(dir, "revocations.json")
	a, b := strings.Repeat("0a", 16), strings.Repeat("0B", 16)
	if code, out, stderr := runCLI("revoke", "--key", keyPath, "--revocations", revPath, a, b); code != 0 || !strings.Contains(out, "v2") {
		t.Fatalf("exit %d: %s %s", code, out, stderr)
	}
	if code, out, _ := runCLI("revoke", "--key", keyPath, "--revocations", revPath, a); code != 0 || !strings.Contains(out, "0 added") {
		t.Fatalf("re-adding: exit %d: %s", code, out)
	}
	key, _ := idcode.LoadPrivateKey(keyPath, nil)
	data, _ := os.ReadFile(revPath)
	list, err := idcode.OpenRevocations(data, []ed25519.PublicKey{key.Public().(ed25519.PublicKey)})
	if err != nil || list.Version != 3 || len(list.CardIDs) != 2 || list.CardIDs[1] != strings.ToLower(b) {
		t.Fatalf("%+v %v", list, err)
	}
	for _, args := range [][]string{
		{"revoke", "--key", keyPath, "--revocations", revPath},           // no ids
		{"revoke", "--key", keyPath, "--revocations", revPath, "12345"},  // bad id
		{"revoke", "--key", keyDirOther(t), "--revocations", revPath, a}, // another key's list
	} {
		if code, _, _ := runCLI(args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	// A missing list is started afresh.
	fresh := filepath.Join(t.TempDir(), "r.json")
	if code, _, stderr := runCLI("revoke", "--key", keyPath, "--revocations", fresh, a); code != 0 || !strings.Contains(stderr, "new revocation list") {
		t.Fatalf("fresh list: exit %d: %s", code, stderr)
	}
}

func keyDirOther(t *testing.T) string { return filepath.Join(keygenDir(t), "issuer.key") }
