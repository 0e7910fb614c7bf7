package idcode

import (
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/veraison/go-cose"
)

// Reason is the stable machine name of a verdict. These strings are stored
// and uploaded: never rename one.
type Reason string

const (
	ReasonValid        Reason = "valid"
	ReasonMalformed    Reason = "malformed"
	ReasonUnknownKey   Reason = "unknown_key"
	ReasonBadSignature Reason = "bad_signature"
	ReasonNotYetValid  Reason = "not_yet_valid"
	ReasonExpired      Reason = "expired"
	ReasonRevoked      Reason = "revoked"
	ReasonIssuerVenue  Reason = "issuer_not_trusted_for_venue"
	ReasonTrustStale   Reason = "trust_data_stale"
)

// Reasons lists every verdict reason; a test checks it against the
// constants above, so a new reason cannot be left out of a mapping.
func Reasons() []Reason {
	return []Reason{ReasonValid, ReasonMalformed, ReasonUnknownKey, ReasonBadSignature, ReasonNotYetValid,
		ReasonExpired, ReasonRevoked, ReasonIssuerVenue, ReasonTrustStale}
}

// Leeway is the clock tolerance applied to nbf and exp. It is zero: a card
// is valid from nbf (inclusive) until exp (exclusive), as RFC 8392 reads,
// and the device's clock is trusted or refused as a whole by the gate.
const Leeway = 0 * time.Second

// Verdict is the outcome of Verify.
type Verdict struct {
	Reason Reason
	Valid  bool    // Reason == ReasonValid
	Card   *Card   // the card verified; nil only when none was given
	Issuer *Issuer // the trust-list entry whose key signed the card, when one did
	Detail string  // for logs and the CLI; may name the card id, so debug level only
}

// TrustOptions are the device-side settings of a Trust.
type TrustOptions struct {
	Venue string // this device's venue id, matched against Issuer.Venues
	// MaxAge refuses every card (trust_data_stale) once the lists are older
	// than this, measured from FetchedAt, or from each list's IssuedAt when
	// FetchedAt is zero. Zero: only the lists' own Expires apply.
	MaxAge    time.Duration
	FetchedAt time.Time // when the lists were last confirmed current
	// RevocationsOptional lets a nil revocation list mean "none revoked".
	// Without it a missing list is stale data, never a silent pass.
	RevocationsOptional bool
}

// Trust is what Verify checks a card against: the lists plus lookup
// indexes built once by NewTrust. It is read-only and safe for concurrent use.
type Trust struct {
	List    *TrustList
	Revoked *RevocationList
	TrustOptions

	byKID   map[[8]byte][]trustedKey
	byKID4  map[[4]byte][]trustedKey // SG2's short kid
	revoked map[[CardIDLen]byte]struct{}
}

type trustedKey struct {
	issuer   *Issuer
	verifier cose.Verifier
}

// NewTrust indexes list and revoked for Verify. revoked may be nil only with
// opts.RevocationsOptional; otherwise Verify reports trust_data_stale.
func NewTrust(list *TrustList, revoked *RevocationList, opts TrustOptions) (*Trust, error) {
	if list == nil {
		return nil, fmt.Errorf("idcode: trust: no trust list")
	}
	if err := list.check(); err != nil {
		return nil, fmt.Errorf("idcode: trust: trust list: %w", err)
	}
	if revoked != nil {
		if err := revoked.check(); err != nil {
			return nil, fmt.Errorf("idcode: trust: revocations: %w", err)
		}
	}
	t := &Trust{List: list, Revoked: revoked, TrustOptions: opts,
		byKID: make(map[[8]byte][]trustedKey, len(list.Issuers)), byKID4: make(map[[4]byte][]trustedKey, len(list.Issuers))}
	for i := range list.Issuers {
		is := &list.Issuers[i]
		v, err := cose.NewVerifier(cose.AlgorithmEdDSA, is.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("idcode: trust: issuer %q: %w", is.ID, err)
		}
		kid := KeyID(is.PublicKey)
		t.byKID[kid] = append(t.byKID[kid], trustedKey{issuer: is, verifier: v})
		t.byKID4[[4]byte(kid[:4])] = append(t.byKID4[[4]byte(kid[:4])], trustedKey{issuer: is, verifier: v})
	}
	if revoked != nil {
		t.revoked = make(map[[CardIDLen]byte]struct{}, len(revoked.CardIDs))
		for _, s := range revoked.CardIDs {
			id, err := ParseCardID(s)
			if err != nil {
				return nil, fmt.Errorf("idcode: trust: revocations: %w", err)
			}
			t.revoked[[CardIDLen]byte(id)] = struct{}{}
		}
	}
	return t, nil
}

// Stale says why the trust data may not be used at now, or "". Verify
// refuses every card with trust_data_stale while it is not ""; status
// pages show the same answer.
func (t *Trust) Stale(now time.Time) string {
	if t == nil || t.List == nil || t.byKID == nil {
		return "no trust list"
	}
	if !now.Before(t.List.Expires) {
		return fmt.Sprintf("trust list v%d expired %s", t.List.Version, t.List.Expires.Format(time.RFC3339))
	}
	if t.MaxAge > 0 {
		ref := t.FetchedAt
		if ref.IsZero() {
			ref = t.List.IssuedAt
		}
		if now.Sub(ref) > t.MaxAge {
			return fmt.Sprintf("trust data older than %s", t.MaxAge)
		}
	}
	if t.Revoked == nil {
		if t.RevocationsOptional {
			return ""
		}
		return "no revocation list"
	}
	if !now.Before(t.Revoked.Expires) {
		return fmt.Sprintf("revocation list v%d expired %s", t.Revoked.Version, t.Revoked.Expires.Format(time.RFC3339))
	}
	if t.MaxAge > 0 && t.FetchedAt.IsZero() && now.Sub(t.Revoked.IssuedAt) > t.MaxAge {
		return fmt.Sprintf("revocation list older than %s", t.MaxAge)
	}
	return ""
}

// StaleFrom is the first instant at which Stale stops returning "" for
// the data t holds (the lists' expiry, their age reaching MaxAge): the
// date after which every card will be refused unless new lists arrive.
// Zero when t is already unusable whatever the time (no list, no
// revocations where they are required). Kept beside Stale: the two must
// agree, and a test checks that they do.
func (t *Trust) StaleFrom() time.Time {
	if t == nil || t.List == nil || t.byKID == nil {
		return time.Time{}
	}
	from := t.List.Expires
	earlier := func(c time.Time) {
		if c.Before(from) {
			from = c
		}
	}
	// Stale refuses once the age is more than MaxAge: one nanosecond past.
	if t.MaxAge > 0 {
		ref := t.FetchedAt
		if ref.IsZero() {
			ref = t.List.IssuedAt
		}
		earlier(ref.Add(t.MaxAge + time.Nanosecond))
	}
	if t.Revoked == nil {
		if !t.RevocationsOptional {
			return time.Time{}
		}
		return from
	}
	earlier(t.Revoked.Expires)
	if t.MaxAge > 0 && t.FetchedAt.IsZero() {
		earlier(t.Revoked.IssuedAt.Add(t.MaxAge + time.Nanosecond))
	}
	return from
}

// Verify decides whether card is valid at now under t. The checks run in
// this order and the first failure is the verdict: trust data current
// (trust_data_stale), a trusted key with the card's kid (unknown_key), the
// signature over the original protected header and payload, trying every
// key that shares the kid (bad_signature), that key belonging to the card's
// iss and covering its iat (unknown_key), the issuer trusted at t.Venue
// (issuer_not_trusted_for_venue), revocation (revoked), nbf
// (not_yet_valid), exp (expired).
func Verify(card *Card, t *Trust, now time.Time) Verdict {
	if card == nil || card.msg == nil {
		return Verdict{Reason: ReasonMalformed, Card: card, Detail: "no parsed card"}
	}
	if why := t.Stale(now); why != "" {
		return Verdict{Reason: ReasonTrustStale, Card: card, Detail: why}
	}
	cands, kidHex := t.byKID[card.KID], hex.EncodeToString(card.KID[:])
	compact := card.Format == FormatSG2
	if compact {
		cands, kidHex = t.byKID4[[4]byte(card.KID[:4])], hex.EncodeToString(card.KID[:4])
	}
	if len(cands) == 0 {
		return Verdict{Reason: ReasonUnknownKey, Card: card, Detail: "no trusted key with kid " + kidHex}
	}
	// Several keys (or several entries for one key) may share a kid: keep
	// the verdict of the candidate that got furthest.
	best := Verdict{Reason: ReasonBadSignature, Card: card, Detail: "signature matches no trusted key with this kid"}
	bestStage := 0
	for _, k := range cands {
		if bestStage >= 4 {
			break
		}
		if card.msg.Verify(nil, k.verifier) != nil {
			continue
		}
		is := k.issuer
		vc := card
		if compact { // the verdict's card names the issuer its key belongs to
			c := *card
			c.Issuer = is.ID
			vc = &c
		}
		stage, v := 1, Verdict{Reason: ReasonUnknownKey, Card: vc, Issuer: is}
		// An SG2 card names no issuer (the key does) and its iat is a
		// day: the key must cover that day.
		notBefore := is.NotBefore
		if compact {
			notBefore = notBefore.Truncate(day)
		}
		switch {
		case !compact && is.ID != card.Issuer:
			v.Detail = fmt.Sprintf("key belongs to issuer %q, card claims %q", is.ID, card.Issuer)
		case !is.NotBefore.IsZero() && card.IssuedAt.Before(notBefore),
			!is.NotAfter.IsZero() && card.IssuedAt.After(is.NotAfter):
			stage, v.Detail = 2, fmt.Sprintf("issuer %q key not valid at issue time %s", is.ID, card.IssuedAt.Format(time.RFC3339))
		case len(is.Venues) > 0 && !slices.Contains(is.Venues, t.Venue):
			stage, v.Reason, v.Detail = 3, ReasonIssuerVenue, fmt.Sprintf("issuer %q not trusted at venue %q", is.ID, t.Venue)
		default:
			stage, v.Reason, v.Detail = 4, ReasonValid, ""
		}
		if stage > bestStage {
			best, bestStage = v, stage
		}
	}
	if best.Reason != ReasonValid {
		return best
	}
	if _, ok := t.revoked[[CardIDLen]byte(card.CardID)]; ok {
		best.Reason, best.Detail = ReasonRevoked, "card "+card.CardIDHex()+" revoked"
		return best
	}
	if !card.NotBefore.IsZero() && now.Add(Leeway).Before(card.NotBefore) {
		best.Reason, best.Detail = ReasonNotYetValid, "valid from "+card.NotBefore.Format(time.RFC3339)
		return best
	}
	if !now.Add(-Leeway).Before(card.Expires) {
		best.Reason, best.Detail = ReasonExpired, "expired "+card.Expires.Format(time.RFC3339)
		return best
	}
	best.Valid = true
	return best
}

// VerifyText parses text and verifies the card: a parse failure is the
// verdict malformed, with the parse error as Detail.
func VerifyText(text string, t *Trust, now time.Time) Verdict {
	card, err := Parse(text)
	if err != nil {
		return Verdict{Reason: ReasonMalformed, Detail: err.Error()}
	}
	return Verify(card, t, now)
}
