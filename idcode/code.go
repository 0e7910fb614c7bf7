package idcode

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

// Prefix starts every card's QR text; the digit is the format version.
const Prefix = "SG1:"

// MaxTextLen bounds the QR text Parse accepts. It is checked before any
// decoding, so it bounds every allocation Parse makes.
const MaxTextLen = 1024

// ErrMalformed is wrapped by every error Parse returns.
var ErrMalformed = errors.New("idcode: malformed card")

// KeyID returns the kid of pub: the first 8 bytes of SHA-256 over the raw
// 32-byte public key.
func KeyID(pub ed25519.PublicKey) [8]byte {
	sum := sha256.Sum256(pub)
	var kid [8]byte
	copy(kid[:], sum[:8])
	return kid
}

// cwtClaims is the wire form of Claims. Name and category use private-use
// claim labels (RFC 8392 §9.1: below -65536). Times are pointers so that a missing
// claim is told apart from the epoch.
type cwtClaims struct {
	Iss      string `cbor:"1,keyasint,omitempty"`
	Sub      string `cbor:"2,keyasint,omitempty"`
	Exp      *int64 `cbor:"4,keyasint,omitempty"`
	Nbf      *int64 `cbor:"5,keyasint,omitempty"`
	Iat      *int64 `cbor:"6,keyasint,omitempty"`
	Cti      []byte `cbor:"7,keyasint,omitempty"`
	Name     string `cbor:"-65537,keyasint,omitempty"`
	Category string `cbor:"-65538,keyasint,omitempty"`
}

var (
	claimsEnc cbor.EncMode
	claimsDec cbor.DecMode
)

func init() {
	var err error
	claimsEnc, err = cbor.EncOptions{Sort: cbor.SortCoreDeterministic, IndefLength: cbor.IndefLengthForbidden}.EncMode()
	if err != nil {
		panic(err)
	}
	// The smallest limits the library allows: a claims set is one flat map.
	claimsDec, err = cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
		MaxNestedLevels:  4,
		MaxArrayElements: 16,
		MaxMapPairs:      16,
		UTF8:             cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

func unixPtr(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	s := t.Unix()
	return &s
}

func fromUnix(p *int64) time.Time {
	if p == nil {
		return time.Time{}
	}
	return time.Unix(*p, 0).UTC()
}

// Sign encodes c, signs it with key and returns the full QR text
// ("SG1:..."). Times are truncated to whole seconds.
func Sign(c Claims, key ed25519.PrivateKey) (string, error) {
	if len(key) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("idcode: sign: private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	if err := c.check(); err != nil {
		return "", fmt.Errorf("idcode: sign: %w", err)
	}
	payload, err := claimsEnc.Marshal(cwtClaims{
		Iss: c.Issuer, Sub: c.Subject,
		Exp: unixPtr(c.Expires), Nbf: unixPtr(c.NotBefore), Iat: unixPtr(c.IssuedAt),
		Cti: c.CardID, Name: c.Name, Category: c.Category,
	})
	if err != nil {
		return "", fmt.Errorf("idcode: sign: encode claims: %w", err)
	}
	kid := KeyID(key.Public().(ed25519.PublicKey))
	msg := cose.NewSign1Message()
	msg.Headers.Protected.SetAlgorithm(cose.AlgorithmEdDSA)
	msg.Headers.Protected[cose.HeaderLabelKeyID] = kid[:]
	msg.Payload = payload
	signer, err := cose.NewSigner(cose.AlgorithmEdDSA, key)
	if err != nil {
		return "", fmt.Errorf("idcode: sign: %w", err)
	}
	if err := msg.Sign(rand.Reader, nil, signer); err != nil {
		return "", fmt.Errorf("idcode: sign: %w", err)
	}
	raw, err := msg.MarshalCBOR()
	if err != nil {
		return "", fmt.Errorf("idcode: sign: encode COSE_Sign1: %w", err)
	}
	return qrText(Prefix, raw)
}

// qrText is the QR text of a signed message: prefix, then base45, within
// what a card's QR holds.
func qrText(prefix string, raw []byte) (string, error) {
	text := prefix + base45Encode(raw)
	if len(text) > MaxTextLen {
		return "", fmt.Errorf("idcode: sign: QR text is %d characters, limit %d", len(text), MaxTextLen)
	}
	return text, nil
}

// Card is a parsed, not yet trusted, identity code.
type Card struct {
	Claims
	KID    [8]byte // SG2: the 4-byte kid, then zeros
	Format int     // FormatSG1 or FormatSG2

	msg *cose.Sign1Message // original protected bytes, payload and signature
}

// CardIDHex returns the card id (cti) in lower-case hex, the form the
// revocation list and the check-in records use.
func (c *Card) CardIDHex() string { return hex.EncodeToString(c.CardID) }

func malformed(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, a...)...)
}

// Parse decodes QR text into a Card, SG1 or SG2 (compact.go) by its
// prefix. It checks structure only: the prefix,
// base45, the COSE_Sign1 framing, alg EdDSA, an 8-byte kid in the protected
// header, no critical headers, and well-formed claims with iss, iat, exp, a
// 16-byte cti and a known category. It makes no trust decision. Every error
// satisfies errors.Is(err, ErrMalformed).
func Parse(text string) (*Card, error) {
	if len(text) > MaxTextLen {
		return nil, malformed("QR text is %d characters, limit %d", len(text), MaxTextLen)
	}
	if rest, ok := strings.CutPrefix(text, Prefix2); ok {
		return parseCompact(rest)
	}
	rest, ok := strings.CutPrefix(text, Prefix)
	if !ok {
		return nil, malformed("missing %q or %q prefix", Prefix, Prefix2)
	}
	raw, err := base45Decode(rest)
	if err != nil {
		return nil, malformed("%v", err)
	}
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(raw); err != nil {
		return nil, malformed("COSE_Sign1: %v", err)
	}
	kid, err := checkHeaders(&msg, 8)
	if err != nil {
		return nil, err
	}
	var w cwtClaims
	if err := claimsDec.Unmarshal(msg.Payload, &w); err != nil {
		return nil, malformed("claims: %v", err)
	}
	card := &Card{
		Claims: Claims{
			Issuer: w.Iss, Subject: w.Sub,
			IssuedAt: fromUnix(w.Iat), NotBefore: fromUnix(w.Nbf), Expires: fromUnix(w.Exp),
			CardID: w.Cti, Name: w.Name, Category: w.Category,
		},
		Format: FormatSG1,
		msg:    &msg,
	}
	copy(card.KID[:], kid)
	if err := card.Claims.check(); err != nil {
		return nil, malformed("claims: %v", err)
	}
	return card, nil
}
