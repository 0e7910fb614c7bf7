package collector

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// KEK is the collector's key-encryption key: it seals the issuer private
// keys the collector holds, so the database alone (a backup, a stolen
// file, a PostgreSQL dump) reveals none of them. It never goes into the
// database: it comes from a file (--kek-file) or a systemd credential
// (LoadCredential=, read from $CREDENTIALS_DIRECTORY).
//
// Sealing is AES-256-GCM with a random 96-bit nonce, and the issuer id as
// additional data, so a sealed key copied onto another issuer's row does
// not open.
type KEK struct {
	aead cipher.AEAD
	id   [4]byte // first bytes of SHA-256 of the key, to name it in errors
}

// sealedPrefix starts every sealed key; a clear key from before sealing is
// the 64 bytes of an ed25519.PrivateKey.
var sealedPrefix = []byte("sgk1")

// ErrNoKEK: private keys are held but no key-encryption key was given.
var ErrNoKEK = errors.New("collector: issuer private keys need a key-encryption key")

// NewKEK makes a KEK of 32 key bytes.
func NewKEK(key []byte) (*KEK, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("collector: key-encryption key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("collector: key-encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("collector: key-encryption key: %w", err)
	}
	k := &KEK{aead: aead}
	sum := sha256Sum(key)
	copy(k.id[:], sum[:])
	return k, nil
}

// ParseKEK reads a key-encryption key file: 32 raw bytes, or 64 hex
// digits, or base64 of 32 bytes (surrounding white space ignored), which
// is what `head -c 32 /dev/urandom`, `openssl rand -hex 32` and
// `openssl rand -base64 32` write.
func ParseKEK(b []byte) (*KEK, error) {
	if len(b) == 32 {
		return NewKEK(b)
	}
	t := bytes.TrimSpace(b)
	if k, err := hex.DecodeString(string(t)); err == nil && len(k) == 32 {
		return NewKEK(k)
	}
	if k, err := base64.StdEncoding.DecodeString(string(t)); err == nil && len(k) == 32 {
		return NewKEK(k)
	}
	return nil, fmt.Errorf("collector: key-encryption key: want 32 bytes, 64 hex digits or base64 of 32 bytes, got %d bytes", len(b))
}

// LoadKEK reads a key-encryption key file, which must not be readable by
// group or others.
func LoadKEK(path string) (*KEK, error) {
	if err := CheckPrivateFile(path); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("collector: key-encryption key: %w", err)
	}
	k, err := ParseKEK(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// CredentialPath is where systemd puts a credential of the unit
// (LoadCredential=name:/path), or "" when the unit has none.
func CredentialPath(name string) string {
	dir := os.Getenv("CREDENTIALS_DIRECTORY")
	if dir == "" || name == "" {
		return ""
	}
	return filepath.Join(dir, name)
}

// GenerateKEK writes a new random key-encryption key (64 hex digits) to
// path, 0600, refusing to overwrite one.
func GenerateKEK(path string) error {
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		return fmt.Errorf("collector: key-encryption key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("collector: key-encryption key: %w", err)
	}
	if _, err := fmt.Fprintln(f, hex.EncodeToString(k[:])); err != nil {
		f.Close()
		return fmt.Errorf("collector: key-encryption key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("collector: key-encryption key: %w", err)
	}
	return f.Close()
}

// Seal encrypts an issuer's private key for the issuers table.
func (k *KEK) Seal(issuer string, priv ed25519.PrivateKey) ([]byte, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("collector: seal issuer key: %w", err)
	}
	out := append(append([]byte{}, sealedPrefix...), nonce...)
	return k.aead.Seal(out, nonce, priv, []byte(issuer)), nil
}

// Open decrypts a sealed issuer key.
func (k *KEK) Open(issuer string, sealed []byte) (ed25519.PrivateKey, error) {
	if !IsSealed(sealed) {
		return nil, fmt.Errorf("collector: issuer %q: private key is not sealed", issuer)
	}
	rest := sealed[len(sealedPrefix):]
	ns := k.aead.NonceSize()
	if len(rest) < ns {
		return nil, fmt.Errorf("collector: issuer %q: sealed key too short", issuer)
	}
	priv, err := k.aead.Open(nil, rest[:ns], rest[ns:], []byte(issuer))
	if err != nil {
		return nil, fmt.Errorf("collector: issuer %q: sealed key does not open with key-encryption key %x (another key, or a changed row)", issuer, k.id)
	}
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("collector: issuer %q: sealed key is %d bytes", issuer, len(priv))
	}
	return priv, nil
}

// IsSealed reports whether a stored issuer key is sealed (not a clear key
// from before sealing).
func IsSealed(b []byte) bool {
	return bytes.HasPrefix(b, sealedPrefix) && len(b) != ed25519.PrivateKeySize
}

// SealIssuerKeys makes sure no issuer private key is in clear in the
// backend: clear keys (from before sealing) are sealed with k and
// rewritten; a sealed key is opened to check that k is the key that
// sealed it. Without a KEK (k nil) it returns ErrNoKEK when any issuer
// holds a private key. It returns how many keys it sealed.
func SealIssuerKeys(ctx context.Context, be Backend, k *KEK) (int, error) {
	issuers, err := be.Issuers(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, is := range issuers {
		if is.SealedKey == nil {
			continue
		}
		if k == nil {
			return 0, fmt.Errorf("%w: issuer %q has its private key in the database; give --kek-file FILE or a systemd credential (see docs/collector.md)", ErrNoKEK, is.ID)
		}
		if IsSealed(is.SealedKey) {
			if _, err := k.Open(is.ID, is.SealedKey); err != nil {
				return n, err
			}
			continue
		}
		if len(is.SealedKey) != ed25519.PrivateKeySize {
			return n, fmt.Errorf("collector: issuer %q: stored private key is %d bytes, neither clear nor sealed", is.ID, len(is.SealedKey))
		}
		sealed, err := k.Seal(is.ID, ed25519.PrivateKey(is.SealedKey))
		if err != nil {
			return n, err
		}
		if err := be.SetIssuerKey(ctx, is.ID, sealed); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
