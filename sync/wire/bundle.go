package wire

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
)

// SignedBundle is the body of GET /v1/devices/{id}/bundle: the bundle's
// JSON exactly as signed, and the collector's signature over it.
type SignedBundle struct {
	Bundle    json.RawMessage `json:"bundle"`
	Signature []byte          `json:"signature"`
}

// bundleContext prefixes the signed bytes so a bundle signature is never
// valid for anything else the collector key signs.
const bundleContext = "scangate-bundle-v1\n"

// SignBundle returns the JSON of a SignedBundle carrying b, signed by key.
func SignBundle(b Bundle, key ed25519.PrivateKey) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("wire: sign bundle: private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	payload, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("wire: sign bundle: %w", err)
	}
	sig := ed25519.Sign(key, append([]byte(bundleContext), payload...))
	out, err := json.Marshal(SignedBundle{Bundle: payload, Signature: sig})
	if err != nil {
		return nil, fmt.Errorf("wire: sign bundle: %w", err)
	}
	return out, nil
}

// OpenBundle checks the signature on a SignedBundle with the pinned
// collector key pub and returns the bundle. Nothing in an unverified bundle
// is returned. The trust list and revocations inside are still signed
// envelopes: open them with idcode.
func OpenBundle(data []byte, pub ed25519.PublicKey) (Bundle, error) {
	if len(data) > MaxBundleBytes {
		return Bundle{}, Errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "bundle larger than %d bytes", MaxBundleBytes)
	}
	if len(pub) != ed25519.PublicKeySize {
		return Bundle{}, fmt.Errorf("wire: open bundle: collector key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	var sb SignedBundle
	if err := decodeStrict(data, &sb, "signed bundle"); err != nil {
		return Bundle{}, err
	}
	if !ed25519.Verify(pub, append([]byte(bundleContext), sb.Bundle...), sb.Signature) {
		return Bundle{}, Errorf(http.StatusBadRequest, CodeBadRequest, "bundle signature does not verify with the pinned collector key")
	}
	var b Bundle
	if err := decodeStrict(sb.Bundle, &b, "bundle"); err != nil {
		return Bundle{}, err
	}
	if b.Version != Version {
		return Bundle{}, Errorf(http.StatusBadRequest, CodeVersion, "bundle version %d, want %d", b.Version, Version)
	}
	if err := b.Policy.Check(); err != nil {
		return Bundle{}, Errorf(http.StatusBadRequest, CodeBadRequest, "bundle: %v", err)
	}
	return b, nil
}
