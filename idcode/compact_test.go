package idcode

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
)

// SG2 vectors: testdata/vectors-sg2, one per verdict and refusal reason,
// checked like SG1's (go test -run TestCompactVectors -update rewrites).

// cpProtected is SG2's protected header {1: -8, 4: kid4}.
func cpProtected(seed byte) []byte {
	return cborMap(cborInt(1), cborInt(-8), cborInt(4), cborBstr(vecKID(seed)[:4]))
}

func vecDay(t time.Time) int64 { return t.Unix() / 86400 }

// cpClaims builds an SG2 claims map; extra entries are appended.
func cpClaims(iat, exp int64, cti []byte, extra ...[]byte) []byte {
	kv := [][]byte{
		cborInt(2), cborBstr([]byte{0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6}),
		cborInt(4), cborInt(exp),
		cborInt(6), cborInt(iat),
		cborInt(7), cborBstr(cti),
		cborInt(-1), cborTstr("王*英"),
		cborInt(-2), cborInt(0),
	}
	return cborMap(append(kv, extra...)...)
}

// cpSign1 frames an untagged SG2 message signed by seed.
func cpSign1(protected, payload []byte, seed byte) string {
	return Prefix2 + base45Encode(sign1(protected, cborMap(), payload, vecKey(seed), false))
}

func compactBase() Claims {
	return Claims{Issuer: vecIssuerA, Subject: "a1b2c3d4e5f6", IssuedAt: testNow.Add(-24 * time.Hour),
		Expires: testNow.Add(365 * 24 * time.Hour), CardID: append([]byte("cardid-1"), make([]byte, 8)...),
		Name: "王*英", Category: CategoryElder}
}

func genCompactVectors(t *testing.T) []vector {
	iat, exp := vecDay(testNow)-1, vecDay(testNow)+365
	cti := []byte("cardid-1")
	signed := func(c Claims, seed byte) string {
		text, err := SignCompact(c, vecKey(seed))
		if err != nil {
			t.Fatalf("sign vector: %v", err)
		}
		return text
	}
	base := compactBase()
	with := func(mut func(*Claims)) Claims { c := base; mut(&c); return c }
	valid := signed(base, 1)
	raw, _ := base45Decode(strings.TrimPrefix(valid, Prefix2))
	flip := func(at int) string {
		b := append([]byte(nil), raw...)
		b[at] ^= 0x01
		return Prefix2 + base45Encode(b)
	}
	var v []vector
	add := func(name string, r Reason, note, text string) {
		v = append(v, vector{Name: name, Reason: r, Note: note, text: text})
	}
	add("valid", ReasonValid, "issuer A, all claims in range", valid)
	add("valid_text_subject", ReasonValid, "subject as text (not hex)", signed(with(func(c *Claims) { c.Subject = "h-0001" }), 1))
	add("valid_by_hand", ReasonValid, "built byte by byte as docs/idcode.md describes", cpSign1(cpProtected(1), cpClaims(iat, exp, cti), 1))
	add("truncated", ReasonMalformed, "valid text cut after 61 characters", valid[:61])
	add("wrong_prefix", ReasonMalformed, "SG3: instead of SG2:", "SG3:"+strings.TrimPrefix(valid, Prefix2))
	add("sg1_prefix", ReasonMalformed, "an SG2 message under SG1: (untagged, short kid)", Prefix+strings.TrimPrefix(valid, Prefix2))
	add("bad_base45", ReasonMalformed, "lower-case letter outside the alphabet", valid[:40]+"a"+valid[41:])
	add("bitflip_signature", ReasonBadSignature, "last signature byte flipped", flip(len(raw)-1))
	add("bitflip_payload", ReasonBadSignature, "one bit of the card id flipped", flip(bytes.Index(raw, cti)))
	add("tagged", ReasonMalformed, "SG2 with CBOR tag 18",
		Prefix2+base45Encode(sign1(cpProtected(1), cborMap(), cpClaims(iat, exp, cti), vecKey(1), true)))
	add("kid_long", ReasonMalformed, "8-byte kid (SG1's)", cpSign1(stdProtected(vecKID(1)), cpClaims(iat, exp, cti), 1))
	add("wrong_alg", ReasonMalformed, "alg ES256 (-7)",
		cpSign1(cborMap(cborInt(1), cborInt(-7), cborInt(4), cborBstr(vecKID(1)[:4])), cpClaims(iat, exp, cti), 1))
	add("extra_header", ReasonMalformed, "content type (3) in the protected header",
		cpSign1(cborMap(cborInt(1), cborInt(-8), cborInt(3), cborInt(60), cborInt(4), cborBstr(vecKID(1)[:4])), cpClaims(iat, exp, cti), 1))
	add("iss_claim", ReasonMalformed, "an iss (1) claim: SG2 has none", cpSign1(cpProtected(1), cpClaims(iat, exp, cti, cborInt(1), cborTstr(vecIssuerA)), 1))
	add("unknown_claim", ReasonMalformed, "claim -3", cpSign1(cpProtected(1), cpClaims(iat, exp, cti, cborInt(-3), cborInt(1)), 1))
	add("duplicate_claim_key", ReasonMalformed, "exp (4) twice", cpSign1(cpProtected(1), cpClaims(iat, exp, cti, cborInt(4), cborInt(exp+1)), 1))
	add("missing_exp", ReasonMalformed, "claims without exp",
		cpSign1(cpProtected(1), cborMap(cborInt(6), cborInt(iat), cborInt(7), cborBstr(cti), cborInt(-2), cborInt(0)), 1))
	add("exp_seconds", ReasonMalformed, "exp in seconds, beyond uint32 days",
		cpSign1(cpProtected(1), cborMap(cborInt(4), cborInt(1<<33), cborInt(6), cborInt(iat), cborInt(7), cborBstr(cti), cborInt(-2), cborInt(0)), 1))
	add("exp_before_iat", ReasonMalformed, "exp on iat's day",
		cpSign1(cpProtected(1), cpClaims(iat, iat, cti), 1))
	add("unknown_category", ReasonMalformed, "category 4",
		cpSign1(cpProtected(1), cborMap(cborInt(4), cborInt(exp), cborInt(6), cborInt(iat), cborInt(7), cborBstr(cti), cborInt(-2), cborInt(4)), 1))
	add("cti_16", ReasonMalformed, "a 16-byte cti (SG1's)", cpSign1(cpProtected(1), cborMap(cborInt(4), cborInt(exp), cborInt(6), cborInt(iat),
		cborInt(7), cborBstr([]byte("card-id-0000001!")), cborInt(-2), cborInt(0)), 1))
	add("hex_subject_text", ReasonMalformed, "hex subject written as text (one encoding per subject)",
		cpSign1(cpProtected(1), cborMap(cborInt(2), cborTstr("a1b2"), cborInt(4), cborInt(exp), cborInt(6), cborInt(iat), cborInt(7), cborBstr(cti), cborInt(-2), cborInt(0)), 1))
	add("expired", ReasonExpired, "exp today (00:00 UTC, before now)", cpSign1(cpProtected(1), cpClaims(iat-2, vecDay(testNow), cti), 1))
	add("not_yet_valid", ReasonNotYetValid, "nbf tomorrow", cpSign1(cpProtected(1), cpClaims(iat, exp, cti, cborInt(5), cborInt(vecDay(testNow)+1)), 1))
	add("revoked", ReasonRevoked, "card id on the revocation list", signed(with(func(c *Claims) { c.CardID = vecCompactRevoked }), 1))
	add("unknown_kid", ReasonUnknownKey, "signed by a key not in the trust list (seed 5)", signed(base, 5))
	add("key_not_yet_valid", ReasonUnknownKey, "issuer D's key is valid from tomorrow",
		signed(with(func(c *Claims) { c.Issuer = vecIssuerD }), 6))
	add("venue_restricted", ReasonIssuerVenue, "issuer B is trusted at other-venue only", signed(with(func(c *Claims) { c.Issuer = vecIssuerB }), 2))
	add("shared_kid", ReasonValid, "signed by the second of two keys sharing a kid",
		cpSign1(cpProtected(3), cpClaims(iat, exp, cti), 4))
	add("shared_kid_bad_signature", ReasonBadSignature, "kid of the shared pair, an outside key (seed 5)",
		cpSign1(cpProtected(3), cpClaims(iat, exp, cti), 5))
	return v
}

var vecCompactRevoked = append([]byte("revoked2"), make([]byte, 8)...)

const vecIssuerD = "org.example.new" // key seed 6, valid from the day after testNow

func TestCompactVectors(t *testing.T) {
	dir := filepath.Join("testdata", "vectors-sg2")
	gen := genCompactVectors(t)
	manifest := filepath.Join(dir, "manifest.json")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, v := range gen {
			if err := os.WriteFile(filepath.Join(dir, v.Name+".txt"), []byte(v.text+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		m, _ := json.MarshalIndent(gen, "", "  ")
		if err := os.WriteFile(manifest, append(m, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatalf("%v (run go test -run TestCompactVectors -update)", err)
	}
	var want []vector
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(gen) {
		t.Errorf("manifest has %d vectors, generator %d: run with -update", len(want), len(gen))
	}
	tr := vecTrust(t)
	seen := map[Reason]bool{}
	for i, w := range want {
		raw, err := os.ReadFile(filepath.Join(dir, w.Name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.TrimSuffix(string(raw), "\n")
		if i < len(gen) && (gen[i].Name != w.Name || gen[i].text != text) {
			t.Errorf("%s: file differs from the generator: run with -update", w.Name)
		}
		got := decide(text, tr)
		seen[got.Reason] = true
		if got.Reason != w.Reason {
			t.Errorf("%s (%s): reason %s (%s), want %s", w.Name, w.Note, got.Reason, got.Detail, w.Reason)
		}
	}
	// trust_data_stale comes from the device's lists, not the card.
	for _, r := range Reasons() {
		if !seen[r] && r != ReasonTrustStale {
			t.Errorf("no SG2 vector for %s", r)
		}
	}
	stale := *tr
	stale.MaxAge = time.Minute
	if v := VerifyText(gen[0].text, &stale, testNow); v.Reason != ReasonTrustStale {
		t.Errorf("valid SG2 card with stale lists: %s", v.Reason)
	}
}

// TestCompactRoundTrip: what SignCompact writes Parse reads back, dates
// in whole days, the issuer from the key, and the QR is version 9 at ECC
// Q for the names cards carry (masked names up to 12 bytes of UTF-8)
// with the 6-byte subjects scangate issue draws.
func TestCompactRoundTrip(t *testing.T) {
	c := compactBase()
	c.NotBefore = testNow.Add(-13 * time.Hour) // 23:00 the day before: nbf rounds up to today
	text, err := SignCompact(c, vecKey(1))
	if err != nil {
		t.Fatal(err)
	}
	card, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	if card.Format != FormatSG2 || card.Subject != c.Subject || card.Name != c.Name || card.Category != c.Category ||
		!bytes.Equal(card.CardID, c.CardID) {
		t.Errorf("round trip: %+v", card.Claims)
	}
	if !card.Expires.Equal(c.Expires.UTC().Truncate(day)) || !card.IssuedAt.Equal(c.IssuedAt.UTC().Truncate(day)) ||
		card.NotBefore.Before(c.NotBefore) || card.NotBefore.Sub(c.NotBefore) >= day {
		t.Errorf("dates: iat %v exp %v nbf %v", card.IssuedAt, card.Expires, card.NotBefore)
	}
	if v := Verify(card, vecTrust(t), testNow); !v.Valid || v.Issuer == nil || v.Issuer.ID != vecIssuerA || v.Card.Issuer != vecIssuerA || card.Issuer != "" {
		t.Errorf("verdict %+v", v)
	}
	if _, err := SignCompact(testClaims(), vecKey(1)); err == nil {
		t.Error("SignCompact took an SG1 card id")
	}
	for _, name := range []string{"王*英", "欧**娜", "A*** L*", "阿**·热**"} {
		c := compactBase()
		c.Name = name
		id, _ := NewCompactCardID()
		c.CardID = id
		c.Subject = "0123456789ab" // SG2's default: 6 bytes
		text, err := SignCompact(c, vecKey(1))
		if err != nil {
			t.Fatal(err)
		}
		code, err := encoder.Encoder_encode(text, decoder.ErrorCorrectionLevel_Q, nil)
		if err != nil {
			t.Fatal(err)
		}
		if v := code.GetVersion().GetVersionNumber(); v > 9 {
			t.Errorf("name %s: %d characters, QR version %d, want ≤ 9", name, len(text), v)
		} else {
			t.Logf("name %-12s %d characters, QR version %d", name, len(text), v)
		}
	}
}
