package idcode

import (
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Trust and revocation lists arrive as files from technicians and as
// bundle parts from the network: no input may panic, and nothing that is
// not signed by a pinned key may open.
func FuzzOpenLists(f *testing.F) {
	key := testKey(3)
	pub := key.Public().(ed25519.PublicKey)
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	tl, err := SignTrustList(TrustList{Version: 1, IssuedAt: now, Expires: now.AddDate(1, 0, 0),
		Issuers: []Issuer{{ID: "lib", PublicKey: pub}}}, key)
	if err != nil {
		f.Fatal(err)
	}
	rl, err := SignRevocations(RevocationList{Version: 1, IssuedAt: now, Expires: now.AddDate(1, 0, 0),
		CardIDs: []string{"00112233445566778899aabbccddeeff"}}, key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tl)
	f.Add(rl)
	f.Add([]byte(`{"payload":"","kid":"0011223344556677","sig":""}`))
	f.Add([]byte(`{"payload":"e30=","kid":"zz","sig":"AA=="}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if l, err := OpenTrustList(data, []ed25519.PublicKey{pub}); err == nil {
			if l.Version < 1 || len(l.Issuers) == 0 {
				t.Fatalf("opened an invalid trust list: %+v", l)
			}
		}
		if l, err := OpenRevocations(data, []ed25519.PublicKey{pub}); err == nil {
			for _, id := range l.CardIDs {
				if _, err := ParseCardID(id); err != nil {
					t.Fatalf("opened a revocation list with a bad card id %q", id)
				}
			}
		}
		OpenSelfSignedTrustList(data)
		EnvelopeKID(data)
	})
}

// Key files come from disk and from the technician's config.
func FuzzParsePublicKey(f *testing.F) {
	pem, err := MarshalPublicKey(testKey(4).Public().(ed25519.PublicKey))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pem)
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	f.Add([]byte("not a key"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if k, err := ParsePublicKey(data); err == nil && len(k) != ed25519.PublicKeySize {
			t.Fatalf("key of %d bytes", len(k))
		}
	})
}

// A pinned key's spec comes straight from scangate.toml.
func FuzzReadPublicKey(f *testing.F) {
	pub := testKey(4).Public().(ed25519.PublicKey)
	pem, err := MarshalPublicKey(pub)
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "k.pub"), pem, 0o644); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{string(pem), base64.StdEncoding.EncodeToString(pub), "k.pub", "missing.pub", "", "  ", "AAAA", "../../etc/passwd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		k, err := ReadPublicKey(spec, dir)
		if err == nil && len(k) != ed25519.PublicKeySize {
			t.Fatalf("key of %d bytes from %q", len(k), spec)
		}
		if (spec == "k.pub" || spec == base64.StdEncoding.EncodeToString(pub)) && (err != nil || !k.Equal(pub)) {
			t.Fatalf("%q: %v %v", spec, k, err)
		}
	})
}
