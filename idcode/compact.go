package idcode

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

// SG2, the compact card format (docs/idcode.md): the same COSE_Sign1 with
// Ed25519 over the same claims, in fewer bytes so that the QR is version 9
// at ECC Q instead of 12 and its modules are larger in the same box.
//
//   - The message is an untagged COSE_Sign1 (the prefix says what it is)
//     and the kid is the first 4 bytes of SHA-256 over the key: a kid is
//     only a hint, Verify tries every trusted key that shares it.
//   - There is no iss claim: the issuer is the trust-list entry whose key
//     verifies the signature, which is what SG1's iss check compares with.
//   - Claim keys are small integers (-1 name, -2 category as a number);
//     the subject is a byte string when it is lower-case hex; dates are
//     whole UTC days since 1970-01-01; the card id (cti) is 8 random bytes.
//
// The card id a device revokes and records stays 16 bytes: an SG2 card's is
// its 8 bytes followed by eight zero bytes (NewCompactCardID).

// Prefix2 starts every SG2 card's QR text.
const Prefix2 = "SG2:"

// CompactCardIDLen is the length of an SG2 card's cti.
const CompactCardIDLen = 8

// Format numbers of Card.Format.
const (
	FormatSG1 = 1
	FormatSG2 = 2
)

const day = 24 * time.Hour

// compactCategories is the category numbering of SG2's claim -2.
var compactCategories = []string{CategoryElder, CategoryChild, CategoryCompanion, CategoryStaff}

type compactClaims struct {
	Sub      cbor.RawMessage `cbor:"2,keyasint,omitempty"`
	Exp      *uint32         `cbor:"4,keyasint,omitempty"`
	Nbf      *uint32         `cbor:"5,keyasint,omitempty"`
	Iat      *uint32         `cbor:"6,keyasint,omitempty"`
	Cti      []byte          `cbor:"7,keyasint,omitempty"`
	Name     *string         `cbor:"-1,keyasint,omitempty"`
	Category *uint8          `cbor:"-2,keyasint,omitempty"`
}

var compactDec cbor.DecMode

func init() {
	var err error
	compactDec, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   4,
		MaxArrayElements:  16,
		MaxMapPairs:       16,
		UTF8:              cbor.UTF8RejectInvalid,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField, // no claim SG2 does not define
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// NewCompactCardID returns a card id for an SG2 card: 8 random bytes and
// eight zero bytes.
func NewCompactCardID() ([]byte, error) {
	id := make([]byte, CardIDLen)
	if _, err := rand.Read(id[:CompactCardIDLen]); err != nil {
		return nil, fmt.Errorf("idcode: card id: %w", err)
	}
	return id, nil
}

// isCompactID reports whether id is an SG2 card id.
func isCompactID(id []byte) bool {
	return len(id) == CardIDLen && bytes.Equal(id[CompactCardIDLen:], make([]byte, CardIDLen-CompactCardIDLen))
}

// isLowerHex reports whether s is non-empty lower-case hex of whole bytes.
func isLowerHex(s string) bool {
	if s == "" || len(s)%2 != 0 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}

func days(t time.Time) *uint32 {
	if t.IsZero() {
		return nil
	}
	d := uint32(t.Unix() / 86400)
	return &d
}

func fromDays(p *uint32) time.Time {
	if p == nil {
		return time.Time{}
	}
	return time.Unix(int64(*p)*86400, 0).UTC()
}

// SignCompact is Sign for SG2. c.Issuer must be the issuer of key (it is
// not carried: the key names it) and c.CardID an SG2 id
// (NewCompactCardID). Dates are carried as UTC days: iat and exp are
// rounded down, nbf up, so a card is never valid longer or earlier than
// asked; exp must still fall on a later day than iat.
func SignCompact(c Claims, key ed25519.PrivateKey) (string, error) {
	if len(key) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("idcode: sign: private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	if err := c.check(); err != nil {
		return "", fmt.Errorf("idcode: sign: %w", err)
	}
	if !isCompactID(c.CardID) {
		return "", fmt.Errorf("idcode: sign: card id is not an SG2 id (8 bytes and 8 zero bytes)")
	}
	c.IssuedAt = c.IssuedAt.UTC().Truncate(day)
	c.Expires = c.Expires.UTC().Truncate(day)
	if !c.NotBefore.IsZero() {
		nb := c.NotBefore.UTC().Truncate(day)
		if nb.Before(c.NotBefore) {
			nb = nb.Add(day)
		}
		c.NotBefore = nb
	}
	if err := c.check(); err != nil {
		return "", fmt.Errorf("idcode: sign: in whole days: %w", err)
	}
	var sub cbor.RawMessage
	var err error
	switch {
	case c.Subject == "":
	case isLowerHex(c.Subject):
		b := make([]byte, len(c.Subject)/2)
		for i := range b {
			b[i] = unhex(c.Subject[2*i])<<4 | unhex(c.Subject[2*i+1])
		}
		sub, err = claimsEnc.Marshal(b)
	default:
		sub, err = claimsEnc.Marshal(c.Subject)
	}
	if err != nil {
		return "", fmt.Errorf("idcode: sign: encode subject: %w", err)
	}
	cat := uint8(0)
	for i, k := range compactCategories {
		if k == c.Category {
			cat = uint8(i)
		}
	}
	w := compactClaims{Sub: sub, Exp: days(c.Expires), Nbf: days(c.NotBefore), Iat: days(c.IssuedAt),
		Cti: c.CardID[:CompactCardIDLen], Category: &cat}
	if c.Name != "" {
		w.Name = &c.Name
	}
	payload, err := claimsEnc.Marshal(w)
	if err != nil {
		return "", fmt.Errorf("idcode: sign: encode claims: %w", err)
	}
	kid := KeyID(key.Public().(ed25519.PublicKey))
	msg := cose.NewSign1Message()
	msg.Headers.Protected.SetAlgorithm(cose.AlgorithmEdDSA)
	msg.Headers.Protected[cose.HeaderLabelKeyID] = kid[:4]
	msg.Payload = payload
	signer, err := cose.NewSigner(cose.AlgorithmEdDSA, key)
	if err != nil {
		return "", fmt.Errorf("idcode: sign: %w", err)
	}
	if err := msg.Sign(rand.Reader, nil, signer); err != nil {
		return "", fmt.Errorf("idcode: sign: %w", err)
	}
	raw, err := (*cose.UntaggedSign1Message)(msg).MarshalCBOR()
	if err != nil {
		return "", fmt.Errorf("idcode: sign: encode COSE_Sign1: %w", err)
	}
	return qrText(Prefix2, raw)
}

func unhex(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

// parseCompact is Parse for text after the SG2 prefix.
func parseCompact(rest string) (*Card, error) {
	raw, err := base45Decode(rest)
	if err != nil {
		return nil, malformed("%v", err)
	}
	if len(raw) > 0 && raw[0] == 0xd2 {
		return nil, malformed("SG2 COSE_Sign1 is untagged")
	}
	var um cose.UntaggedSign1Message
	if err := um.UnmarshalCBOR(raw); err != nil {
		return nil, malformed("COSE_Sign1: %v", err)
	}
	msg := cose.Sign1Message(um)
	kid, err := checkHeaders(&msg, 4)
	if err != nil {
		return nil, err
	}
	if len(msg.Headers.Unprotected) != 0 || len(msg.Headers.Protected) != 2 {
		return nil, malformed("SG2 headers are alg and kid only")
	}
	var w compactClaims
	if err := compactDec.Unmarshal(msg.Payload, &w); err != nil {
		return nil, malformed("claims: %v", err)
	}
	card := &Card{Format: FormatSG2, msg: &msg, Claims: Claims{
		IssuedAt: fromDays(w.Iat), NotBefore: fromDays(w.Nbf), Expires: fromDays(w.Exp),
	}}
	copy(card.KID[:], kid)
	if len(w.Cti) != CompactCardIDLen {
		return nil, malformed("claims: cti is %d bytes, want %d", len(w.Cti), CompactCardIDLen)
	}
	card.CardID = append(append(make([]byte, 0, CardIDLen), w.Cti...), make([]byte, CardIDLen-CompactCardIDLen)...)
	if w.Name != nil {
		if *w.Name == "" {
			return nil, malformed("claims: empty name")
		}
		card.Name = *w.Name
	}
	if w.Category == nil || int(*w.Category) >= len(compactCategories) {
		return nil, malformed("claims: category missing or unknown")
	}
	card.Category = compactCategories[*w.Category]
	if len(w.Sub) > 0 {
		var s any
		if err := compactDec.Unmarshal(w.Sub, &s); err != nil {
			return nil, malformed("claims: sub: %v", err)
		}
		switch v := s.(type) {
		case []byte:
			if len(v) == 0 {
				return nil, malformed("claims: empty sub")
			}
			card.Subject = fmt.Sprintf("%x", v)
		case string:
			if v == "" || isLowerHex(v) {
				// Sign writes lower-case hex as bytes: one encoding per subject.
				return nil, malformed("claims: sub text empty or hex")
			}
			card.Subject = v
		default:
			return nil, malformed("claims: sub is neither bytes nor text")
		}
	}
	// check requires an iss; SG2's issuer is the key's, named by Verify.
	c := card.Claims
	c.Issuer = "-"
	if err := c.check(); err != nil {
		return nil, malformed("claims: %v", err)
	}
	return card, nil
}

// checkHeaders enforces the protected header rules shared by SG1 and SG2:
// alg EdDSA, no critical header, a kid of kidLen bytes, an attached payload
// and a 64-byte signature. It returns the kid.
func checkHeaders(msg *cose.Sign1Message, kidLen int) ([]byte, error) {
	alg, err := msg.Headers.Protected.Algorithm()
	if err != nil {
		return nil, malformed("protected alg: %v", err)
	}
	if alg != cose.AlgorithmEdDSA {
		return nil, malformed("alg %v, want EdDSA", alg)
	}
	if _, ok := msg.Headers.Protected[cose.HeaderLabelCritical]; ok {
		// We understand no optional header, so any critical one is unknown.
		return nil, malformed("critical header present")
	}
	kid, ok := msg.Headers.Protected[cose.HeaderLabelKeyID].([]byte)
	if !ok || len(kid) != kidLen {
		return nil, malformed("protected kid missing or not %d bytes", kidLen)
	}
	if msg.Payload == nil {
		return nil, malformed("detached payload")
	}
	if len(msg.Signature) != ed25519.SignatureSize {
		return nil, malformed("signature is %d bytes, want %d", len(msg.Signature), ed25519.SignatureSize)
	}
	return kid, nil
}
