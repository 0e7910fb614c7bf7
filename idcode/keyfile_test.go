package idcode

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
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
