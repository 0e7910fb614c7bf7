package idcode

import (
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/youmark/pkcs8"
)

// Key-file errors a person can act on; the returned errors wrap them.
var (
	ErrKeyMissing         = errors.New("idcode: key file does not exist")
	ErrPassphraseRequired = errors.New("idcode: key file is encrypted; give its passphrase")
	ErrWrongPassphrase    = errors.New("idcode: wrong passphrase for key file")
	ErrNotEd25519         = errors.New("idcode: key is not an Ed25519 key")
	ErrKeyExists          = errors.New("idcode: key file already exists")
)

// keyFileOpts replaces the library's default of 10,000 PBKDF2 rounds and an
// 8-byte salt with today's guidance (OWASP 2023: 600,000 for PBKDF2-SHA256).
// Keys are loaded by people at a desk, so a fraction of a second is fine.
var keyFileOpts = pkcs8.Opts{
	Cipher:  pkcs8.AES256CBC,
	KDFOpts: pkcs8.PBKDF2Opts{SaltSize: 16, IterationCount: 600_000, HMACHash: crypto.SHA256},
}

const (
	pemPrivate   = "PRIVATE KEY"
	pemEncrypted = "ENCRYPTED PRIVATE KEY"
	pemPublic    = "PUBLIC KEY"
)

// WritePrivateKey writes key to path as PKCS#8 PEM with mode 0600, encrypted
// with PBES2 (PBKDF2-SHA256, AES-256-CBC) when passphrase is not empty. It
// never replaces an existing file (ErrKeyExists).
func WritePrivateKey(path string, key ed25519.PrivateKey, passphrase []byte) error {
	if len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("idcode: write key %s: %w", path, ErrNotEd25519)
	}
	der, err := pkcs8.MarshalPrivateKey(key, passphrase, &keyFileOpts)
	if err != nil {
		return fmt.Errorf("idcode: write key %s: %w", path, err)
	}
	typ := pemPrivate
	if len(passphrase) > 0 {
		typ = pemEncrypted
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("idcode: write key %s: %w", path, ErrKeyExists)
	}
	if err != nil {
		return fmt.Errorf("idcode: write key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: typ, Bytes: der}); err != nil {
		f.Close()
		return fmt.Errorf("idcode: write key %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("idcode: write key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("idcode: write key %s: %w", path, err)
	}
	return nil
}

// LoadPrivateKey reads an Ed25519 private key written by WritePrivateKey (or
// any PKCS#8 PEM Ed25519 key, e.g. from `openssl genpkey -algorithm ed25519`).
func LoadPrivateKey(path string, passphrase []byte) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrKeyMissing, path)
	}
	if err != nil {
		return nil, fmt.Errorf("idcode: read key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("idcode: key %s: no PEM block", path)
	}
	var key any
	switch block.Type {
	case pemPrivate:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("idcode: key %s: %w", path, err)
		}
	case pemEncrypted:
		if len(passphrase) == 0 {
			return nil, fmt.Errorf("%w: %s", ErrPassphraseRequired, path)
		}
		key, _, err = pkcs8.ParsePrivateKey(block.Bytes, passphrase)
		if err != nil {
			// A wrong passphrase shows up as bad padding or an unparsable
			// plaintext; pkcs8 does not tell them apart from corruption.
			return nil, fmt.Errorf("%w: %s", ErrWrongPassphrase, path)
		}
	default:
		return nil, fmt.Errorf("idcode: key %s: PEM block %q, want %q: %w", path, block.Type, pemPrivate, ErrNotEd25519)
	}
	k, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("idcode: key %s is %T: %w", path, key, ErrNotEd25519)
	}
	return k, nil
}

// MarshalPublicKey returns pub as a PKIX "PUBLIC KEY" PEM block, the form a
// device config pins.
func MarshalPublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("idcode: public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublic, Bytes: der}), nil
}

// ParsePublicKey reads a PKIX "PUBLIC KEY" PEM block holding an Ed25519 key.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != pemPublic {
		return nil, fmt.Errorf("idcode: public key: no %q PEM block", pemPublic)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("idcode: public key: %w", err)
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("idcode: public key is %T: %w", key, ErrNotEd25519)
	}
	return pub, nil
}

// ReadPublicKey reads an Ed25519 public key as a configuration names it:
// PEM text, base64 of the 32 raw bytes, or the path of a PEM file
// (relative paths are relative to dir). It is the one reader of pinned
// keys (trust.list_keys, uplink.collector_key).
func ReadPublicKey(spec, dir string) (ed25519.PublicKey, error) {
	spec = strings.TrimSpace(spec)
	switch {
	case spec == "":
		return nil, errors.New("idcode: public key: empty")
	case strings.HasPrefix(spec, "-----BEGIN"):
		return ParsePublicKey([]byte(spec))
	}
	if b, err := base64.StdEncoding.DecodeString(spec); err == nil && len(b) == ed25519.PublicKeySize {
		return ed25519.PublicKey(b), nil
	}
	path := spec
	if !filepath.IsAbs(path) && dir != "" {
		path = filepath.Join(dir, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("idcode: public key %q is neither PEM text, base64 of 32 bytes nor a readable PEM file: %w", spec, err)
	}
	k, err := ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("idcode: public key file %s: %w", path, err)
	}
	return k, nil
}
