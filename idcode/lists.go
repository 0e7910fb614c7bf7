package idcode

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MaxListSize bounds a signed list envelope; a revocation list of a few
// hundred thousand card ids still fits.
const MaxListSize = 32 << 20

// Envelope errors, so a device can tell "not ours" from "damaged".
var (
	ErrListMalformed  = errors.New("idcode: list malformed")
	ErrListKeyUnknown = errors.New("idcode: list signed by a key that is not pinned")
	ErrListSignature  = errors.New("idcode: list signature does not verify")
)

// Payload type markers: a signed revocation list can never be taken for a
// trust list, or the other way round.
const (
	typeTrustList   = "scangate-trust-list/1"
	typeRevocations = "scangate-revocations/1"
)

// Issuer is one trusted signing key. The same issuer ID may appear with
// several keys (rotation); the same kid may belong to several keys.
type Issuer struct {
	ID        string            `json:"id"`
	Name      string            `json:"name,omitempty"`
	PublicKey ed25519.PublicKey `json:"public_key"` // raw 32 bytes, base64 in JSON
	// NotBefore and NotAfter bound when the key may have issued a card (its
	// iat); zero means open. Cards issued before a key is retired stay valid
	// until their own exp; remove the entry to stop trusting them at once.
	NotBefore time.Time `json:"not_before,omitzero"`
	NotAfter  time.Time `json:"not_after,omitzero"`
	Venues    []string  `json:"venues,omitempty"` // empty: trusted at every venue
}

// TrustList is the set of issuers a device accepts cards from.
type TrustList struct {
	Version  int64     `json:"version"`
	IssuedAt time.Time `json:"issued_at"`
	Expires  time.Time `json:"expires"`
	Issuers  []Issuer  `json:"issuers"`
}

// RevocationList holds the ids (cti) of withdrawn cards.
type RevocationList struct {
	Version  int64     `json:"version"`
	IssuedAt time.Time `json:"issued_at"`
	Expires  time.Time `json:"expires"`
	CardIDs  []string  `json:"card_ids"` // lower-case hex, 32 characters each
}

type trustPayload struct {
	Type string `json:"type"`
	TrustList
}

type revocationPayload struct {
	Type string `json:"type"`
	RevocationList
}

// envelope is the signed wrapper: sig is Ed25519 over the exact payload
// bytes, kid names the list key as KeyID does.
type envelope struct {
	Payload []byte `json:"payload"`
	KID     string `json:"kid"`
	Sig     []byte `json:"sig"`
}

func checkWindow(version int64, issued, expires time.Time) error {
	switch {
	case version < 1:
		return fmt.Errorf("version %d, want >= 1", version)
	case issued.IsZero():
		return errors.New("missing issued_at")
	case !expires.After(issued):
		return errors.New("expires not after issued_at")
	}
	return nil
}

func (l *TrustList) check() error {
	if err := checkWindow(l.Version, l.IssuedAt, l.Expires); err != nil {
		return err
	}
	for i, is := range l.Issuers {
		switch {
		case is.ID == "" || len(is.ID) > MaxIssuerLen:
			return fmt.Errorf("issuer %d: id empty or longer than %d bytes", i, MaxIssuerLen)
		case len(is.PublicKey) != ed25519.PublicKeySize:
			return fmt.Errorf("issuer %q: public key is %d bytes, want %d", is.ID, len(is.PublicKey), ed25519.PublicKeySize)
		case !is.NotBefore.IsZero() && !is.NotAfter.IsZero() && !is.NotAfter.After(is.NotBefore):
			return fmt.Errorf("issuer %q: not_after not after not_before", is.ID)
		}
		for _, v := range is.Venues {
			if v == "" {
				return fmt.Errorf("issuer %q: empty venue", is.ID)
			}
		}
	}
	return nil
}

// ParseCardID decodes a card id given in hex (either case).
func ParseCardID(s string) ([]byte, error) {
	id, err := hex.DecodeString(s)
	if err != nil || len(id) != CardIDLen {
		return nil, fmt.Errorf("idcode: card id %q: want %d hex characters", s, 2*CardIDLen)
	}
	return id, nil
}

func (l *RevocationList) check() error {
	if err := checkWindow(l.Version, l.IssuedAt, l.Expires); err != nil {
		return err
	}
	for _, s := range l.CardIDs {
		if _, err := ParseCardID(s); err != nil {
			return err
		}
	}
	return nil
}

func seal(payload []byte, key ed25519.PrivateKey) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	kid := KeyID(key.Public().(ed25519.PublicKey))
	out, err := json.MarshalIndent(envelope{
		Payload: payload,
		KID:     hex.EncodeToString(kid[:]),
		Sig:     ed25519.Sign(key, payload),
	}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// open checks the envelope against the pinned keys and returns the payload.
func open(data []byte, pinned []ed25519.PublicKey) ([]byte, error) {
	if len(data) > MaxListSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrListMalformed, len(data), MaxListSize)
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("%w: envelope: %v", ErrListMalformed, err)
	}
	kid, err := hex.DecodeString(env.KID)
	if err != nil || len(kid) != 8 {
		return nil, fmt.Errorf("%w: kid %q is not 16 hex characters", ErrListMalformed, env.KID)
	}
	known := false
	for _, pub := range pinned {
		if k := KeyID(pub); !bytes.Equal(k[:], kid) || len(pub) != ed25519.PublicKeySize {
			continue
		}
		known = true
		if ed25519.Verify(pub, env.Payload, env.Sig) {
			return env.Payload, nil
		}
	}
	if !known {
		return nil, fmt.Errorf("%w: kid %s", ErrListKeyUnknown, env.KID)
	}
	return nil, fmt.Errorf("%w: kid %s", ErrListSignature, env.KID)
}

// EnvelopeKID returns the kid named by a signed list envelope, unverified;
// a tool uses it to pick the pinned key for a self-signed list.
func EnvelopeKID(data []byte) ([8]byte, error) {
	var kid [8]byte
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return kid, fmt.Errorf("%w: envelope: %v", ErrListMalformed, err)
	}
	b, err := hex.DecodeString(env.KID)
	if err != nil || len(b) != 8 {
		return kid, fmt.Errorf("%w: kid %q is not 16 hex characters", ErrListMalformed, env.KID)
	}
	copy(kid[:], b)
	return kid, nil
}

// SignTrustList returns the signed JSON envelope of l.
func SignTrustList(l TrustList, listKey ed25519.PrivateKey) ([]byte, error) {
	if err := l.check(); err != nil {
		return nil, fmt.Errorf("idcode: sign trust list: %w", err)
	}
	payload, err := json.Marshal(trustPayload{Type: typeTrustList, TrustList: l})
	if err != nil {
		return nil, fmt.Errorf("idcode: sign trust list: %w", err)
	}
	out, err := seal(payload, listKey)
	if err != nil {
		return nil, fmt.Errorf("idcode: sign trust list: %w", err)
	}
	return out, nil
}

// OpenTrustList verifies data against the pinned list keys and only then
// decodes and returns the trust list.
func OpenTrustList(data []byte, pinned []ed25519.PublicKey) (*TrustList, error) {
	payload, err := open(data, pinned)
	if err != nil {
		return nil, fmt.Errorf("idcode: open trust list: %w", err)
	}
	var p trustPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("idcode: open trust list: %w: %v", ErrListMalformed, err)
	}
	if p.Type != typeTrustList {
		return nil, fmt.Errorf("idcode: open trust list: %w: type %q", ErrListMalformed, p.Type)
	}
	if err := p.TrustList.check(); err != nil {
		return nil, fmt.Errorf("idcode: open trust list: %w: %v", ErrListMalformed, err)
	}
	return &p.TrustList, nil
}

// OpenSelfSignedTrustList opens a single-issuer trust list whose envelope is
// signed by one of the issuer keys it lists, and returns that key too. It
// proves the file is intact and self-consistent, not who made it: a device
// pins the returned key (or a list key) and uses OpenTrustList from then on.
func OpenSelfSignedTrustList(data []byte) (*TrustList, ed25519.PublicKey, error) {
	kid, err := EnvelopeKID(data)
	if err != nil {
		return nil, nil, fmt.Errorf("idcode: open trust list: %w", err)
	}
	var env envelope
	var p trustPayload
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, nil, fmt.Errorf("idcode: open trust list: %w: %v", ErrListMalformed, err)
	}
	if err := json.Unmarshal(env.Payload, &p); err != nil {
		return nil, nil, fmt.Errorf("idcode: open trust list: %w: %v", ErrListMalformed, err)
	}
	var pinned []ed25519.PublicKey
	for _, is := range p.Issuers {
		if len(is.PublicKey) == ed25519.PublicKeySize && KeyID(is.PublicKey) == kid {
			pinned = append(pinned, is.PublicKey)
		}
	}
	if len(pinned) == 0 {
		return nil, nil, fmt.Errorf("idcode: open trust list: %w: kid %x is not a key in the list (give the list key)", ErrListKeyUnknown, kid)
	}
	for _, pub := range pinned {
		if l, err := OpenTrustList(data, []ed25519.PublicKey{pub}); err == nil {
			return l, pub, nil
		} else if !errors.Is(err, ErrListSignature) {
			return nil, nil, err
		}
	}
	return nil, nil, fmt.Errorf("idcode: open trust list: %w: kid %x", ErrListSignature, kid)
}

// SignRevocations returns the signed JSON envelope of l. Card ids are
// written in lower-case hex.
func SignRevocations(l RevocationList, listKey ed25519.PrivateKey) ([]byte, error) {
	ids := make([]string, len(l.CardIDs))
	for i, s := range l.CardIDs {
		ids[i] = strings.ToLower(s)
	}
	l.CardIDs = ids
	if err := l.check(); err != nil {
		return nil, fmt.Errorf("idcode: sign revocations: %w", err)
	}
	payload, err := json.Marshal(revocationPayload{Type: typeRevocations, RevocationList: l})
	if err != nil {
		return nil, fmt.Errorf("idcode: sign revocations: %w", err)
	}
	out, err := seal(payload, listKey)
	if err != nil {
		return nil, fmt.Errorf("idcode: sign revocations: %w", err)
	}
	return out, nil
}

// OpenRevocations verifies data against the pinned list keys and only then
// decodes and returns the revocation list.
func OpenRevocations(data []byte, pinned []ed25519.PublicKey) (*RevocationList, error) {
	payload, err := open(data, pinned)
	if err != nil {
		return nil, fmt.Errorf("idcode: open revocations: %w", err)
	}
	var p revocationPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("idcode: open revocations: %w: %v", ErrListMalformed, err)
	}
	if p.Type != typeRevocations {
		return nil, fmt.Errorf("idcode: open revocations: %w: type %q", ErrListMalformed, p.Type)
	}
	if err := p.RevocationList.check(); err != nil {
		return nil, fmt.Errorf("idcode: open revocations: %w: %v", ErrListMalformed, err)
	}
	return &p.RevocationList, nil
}
