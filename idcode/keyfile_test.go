package idcode

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestPrivateKeyFiles(t *testing.T) {
	dir := t.TempDir()
	key := testKey(1)
	for _, pass := range [][]byte{nil, []byte("correct horse")} {
		path := filepath.Join(dir, "k"+string(pass)+".key")
		if err := WritePrivateKey(path, key, pass); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v, %v", st.Mode(), err)
		}
		got, err := LoadPrivateKey(path, pass)
		if err != nil || !bytes.Equal(got, key) {
			t.Fatalf("load (pass %q): %v", pass, err)
		}
		if err := WritePrivateKey(path, key, pass); !errors.Is(err, ErrKeyExists) {
			t.Fatalf("overwrite: %v", err)
		}
		if pass == nil {
			continue
		}
		if _, err := LoadPrivateKey(path, []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("wrong passphrase: %v", err)
		}
		if _, err := LoadPrivateKey(path, nil); !errors.Is(err, ErrPassphraseRequired) {
			t.Errorf("no passphrase: %v", err)
		}
	}
	if _, err := LoadPrivateKey(filepath.Join(dir, "absent.key"), nil); !errors.Is(err, ErrKeyMissing) {
		t.Errorf("missing: %v", err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPath := filepath.Join(dir, "ec.key")
	if err := os.WriteFile(ecPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPrivateKey(ecPath, nil); !errors.Is(err, ErrNotEd25519) {
		t.Errorf("ECDSA key: %v", err)
	}
	garbage := filepath.Join(dir, "garbage.key")
	os.WriteFile(garbage, []byte("not a key"), 0o600)
	if _, err := LoadPrivateKey(garbage, nil); err == nil {
		t.Error("garbage loaded")
	}
}

func TestPublicKeyPEM(t *testing.T) {
	pub := pubOf(testKey(3))
	data, err := MarshalPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParsePublicKey(data)
	if err != nil || !bytes.Equal(got, pub) {
		t.Fatalf("%v", err)
	}
	if _, err := ParsePublicKey([]byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n")); err == nil {
		t.Fatal("private PEM accepted as public")
	}
}

func TestReadPublicKey(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	pemText, err := MarshalPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "collector.pub")
	if err := os.WriteFile(file, pemText, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{base64.StdEncoding.EncodeToString(pub), string(pemText), file} {
		if k, err := ReadPublicKey(in, ""); err != nil || !k.Equal(pub) {
			t.Errorf("%q: %v", in, err)
		}
	}
	if k, err := ReadPublicKey("collector.pub", dir); err != nil || !k.Equal(pub) {
		t.Errorf("relative to the data directory: %v", err)
	}
	for _, bad := range []string{"", "AAAA", "/nonexistent/key.pem", base64.StdEncoding.EncodeToString(pub[:31])} {
		if _, err := ReadPublicKey(bad, ""); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
