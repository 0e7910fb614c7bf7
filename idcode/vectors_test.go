package idcode

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors from the generator")

// The vector world: fixed keys, a fixed clock, a device at venue-1.
const (
	vecVenue    = "venue-1"
	vecIssuerA  = "org.example.venue" // key seed 1, trusted everywhere
	vecIssuerB  = "org.example.club"  // key seed 2, trusted at other-venue only
	vecIssuerC  = "org.example.city"  // key seeds 3 and 4 share one kid
	vecListSeed = 9
)

var vecRevokedID = []byte("revoked-card-id!")

// Minimal CBOR writer for vectors the real encoder would refuse to make.
func cborHead(major byte, n uint64) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n < 1<<8:
		return []byte{major<<5 | 24, byte(n)}
	case n < 1<<16:
		return binary.BigEndian.AppendUint16([]byte{major<<5 | 25}, uint16(n))
	case n < 1<<32:
		return binary.BigEndian.AppendUint32([]byte{major<<5 | 26}, uint32(n))
	}
	return binary.BigEndian.AppendUint64([]byte{major<<5 | 27}, n)
}

func cborInt(v int64) []byte {
	if v >= 0 {
		return cborHead(0, uint64(v))
	}
	return cborHead(1, uint64(-1-v))
}
func cborBstr(b []byte) []byte { return append(cborHead(2, uint64(len(b))), b...) }
func cborTstr(s string) []byte { return append(cborHead(3, uint64(len(s))), s...) }
func cborArray(items ...[]byte) []byte {
	out := cborHead(4, uint64(len(items)))
	for _, it := range items {
		out = append(out, it...)
	}
	return out
}

// cborMap takes alternating keys and values, duplicates and order kept.
func cborMap(kv ...[]byte) []byte {
	out := cborHead(5, uint64(len(kv)/2))
	for _, it := range kv {
		out = append(out, it...)
	}
	return out
}

func vecKey(seed byte) ed25519.PrivateKey { return testKey(seed) }

func vecKID(seed byte) []byte {
	k := KeyID(vecKey(seed).Public().(ed25519.PublicKey))
	return k[:]
}

// stdProtected is {1: -8, 4: kid}.
func stdProtected(kid []byte) []byte {
	return cborMap(cborInt(1), cborInt(-8), cborInt(4), cborBstr(kid))
}

// claimsMap builds a claims map; overrides replace or drop (nil) entries.
func claimsMap(iss string, iat, exp int64, cti []byte, extra ...[]byte) []byte {
	kv := [][]byte{
		cborInt(1), cborTstr(iss),
		cborInt(2), cborTstr("h-0001"),
		cborInt(4), cborInt(exp),
		cborInt(6), cborInt(iat),
		cborInt(7), cborBstr(cti),
		cborInt(-65537), cborTstr("王*英"),
		cborInt(-65538), cborTstr("elder"),
	}
	return cborMap(append(kv, extra...)...)
}

// sign1 signs protected||payload as COSE does and frames the message.
func sign1(protected, unprotected, payload []byte, key ed25519.PrivateKey, tagged bool) []byte {
	tbs := cborArray(cborTstr("Signature1"), cborBstr(protected), cborBstr(nil), cborBstr(payload))
	sig := ed25519.Sign(key, tbs)
	msg := cborArray(cborBstr(protected), unprotected, cborBstr(payload), cborBstr(sig))
	if tagged {
		msg = append([]byte{0xd2}, msg...)
	}
	return msg
}

func qr(msg []byte) string { return Prefix + base45Encode(msg) }

type vector struct {
	Name   string `json:"name"`
	Reason Reason `json:"reason"`
	Note   string `json:"note"`
	text   string
}

// genVectors builds every vector deterministically (Ed25519 signatures are).
func genVectors(t *testing.T) []vector {
	iat := testNow.Add(-24 * time.Hour).Unix()
	exp := testNow.Add(365 * 24 * time.Hour).Unix()
	cti := []byte("card-id-0000001!")
	keyA := vecKey(1)
	std := func(iss string, seed byte, payload []byte) string {
		return qr(sign1(stdProtected(vecKID(seed)), cborMap(), payload, vecKey(seed), true))
	}
	signed := func(c Claims, seed byte) string {
		text, err := Sign(c, vecKey(seed))
		if err != nil {
			t.Fatalf("sign vector: %v", err)
		}
		return text
	}
	base := Claims{Issuer: vecIssuerA, Subject: "h-0001", IssuedAt: time.Unix(iat, 0), Expires: time.Unix(exp, 0),
		CardID: cti, Name: "王*英", Category: CategoryElder}
	valid := signed(base, 1)
	validRaw, _ := base45Decode(strings.TrimPrefix(valid, Prefix))

	flip := func(raw []byte, at int) string {
		b := append([]byte(nil), raw...)
		b[at] ^= 0x01
		return qr(b)
	}
	with := func(mut func(*Claims)) Claims { c := base; mut(&c); return c }

	var v []vector
	add := func(name string, r Reason, note, text string) {
		v = append(v, vector{Name: name, Reason: r, Note: note, text: text})
	}
	add("valid", ReasonValid, "issuer A, all claims in range", valid)
	add("truncated", ReasonMalformed, "valid text cut after 61 characters: CBOR ends early", valid[:61])
	add("truncated_odd", ReasonMalformed, "valid text cut after 60 characters: dangling base45 pair", valid[:60])
	add("wrong_prefix", ReasonMalformed, "HC1: instead of SG1:", "HC1:"+strings.TrimPrefix(valid, Prefix))
	add("no_prefix", ReasonMalformed, "base45 without any prefix", strings.TrimPrefix(valid, Prefix))
	add("bad_base45", ReasonMalformed, "lower-case letter outside the alphabet", valid[:40]+"a"+valid[41:])
	add("base45_overflow", ReasonMalformed, "chunk GGW decodes to 65536", valid[:4]+"GGW"+valid[7:])
	add("bitflip_signature", ReasonBadSignature, "last signature byte flipped", flip(validRaw, len(validRaw)-1))
	add("bitflip_payload", ReasonBadSignature, "one bit of the card id flipped",
		flip(validRaw, bytes.Index(validRaw, cti)))
	add("wrong_alg", ReasonMalformed, "alg ES256 (-7) in the protected header",
		qr(sign1(cborMap(cborInt(1), cborInt(-7), cborInt(4), cborBstr(vecKID(1))), cborMap(), claimsMap(vecIssuerA, iat, exp, cti), keyA, true)))
	add("no_alg", ReasonMalformed, "protected header without alg",
		qr(sign1(cborMap(cborInt(4), cborBstr(vecKID(1))), cborMap(), claimsMap(vecIssuerA, iat, exp, cti), keyA, true)))
	add("kid_unprotected", ReasonMalformed, "kid only in the unprotected header",
		qr(sign1(cborMap(cborInt(1), cborInt(-8)), cborMap(cborInt(4), cborBstr(vecKID(1))), claimsMap(vecIssuerA, iat, exp, cti), keyA, true)))
	add("kid_short", ReasonMalformed, "4-byte kid",
		qr(sign1(stdProtected(vecKID(1)[:4]), cborMap(), claimsMap(vecIssuerA, iat, exp, cti), keyA, true)))
	add("oversized_claims", ReasonMalformed, "validly signed, QR text over 1 KiB",
		qr(sign1(stdProtected(vecKID(1)), cborMap(), claimsMap(vecIssuerA, iat, exp, cti, cborInt(-65539), cborTstr(strings.Repeat("x", 700))), keyA, true)))
	add("long_name", ReasonMalformed, "validly signed, 65-byte name claim",
		std(vecIssuerA, 1, cborMap(cborInt(1), cborTstr(vecIssuerA), cborInt(4), cborInt(exp), cborInt(6), cborInt(iat),
			cborInt(7), cborBstr(cti), cborInt(-65537), cborTstr(strings.Repeat("n", 65)), cborInt(-65538), cborTstr("elder"))))
	add("duplicate_claim_key", ReasonMalformed, "claim exp (4) twice, second one later",
		std(vecIssuerA, 1, claimsMap(vecIssuerA, iat, exp, cti, cborInt(4), cborInt(exp+1))))
	add("duplicate_header_key", ReasonMalformed, "protected alg (1) twice",
		qr(sign1(cborMap(cborInt(1), cborInt(-8), cborInt(4), cborBstr(vecKID(1)), cborInt(1), cborInt(-8)), cborMap(), claimsMap(vecIssuerA, iat, exp, cti), keyA, true)))
	add("unknown_critical_header", ReasonMalformed, "crit [99] with header 99 present",
		qr(sign1(cborMap(cborInt(1), cborInt(-8), cborInt(2), cborArray(cborInt(99)), cborInt(4), cborBstr(vecKID(1)), cborInt(99), cborInt(1)), cborMap(), claimsMap(vecIssuerA, iat, exp, cti), keyA, true)))
	add("missing_exp", ReasonMalformed, "claims without exp (4)",
		std(vecIssuerA, 1, cborMap(cborInt(1), cborTstr(vecIssuerA), cborInt(6), cborInt(iat), cborInt(7), cborBstr(cti), cborInt(-65538), cborTstr("elder"))))
	add("float_exp", ReasonMalformed, "exp as a float64",
		std(vecIssuerA, 1, cborMap(cborInt(1), cborTstr(vecIssuerA), cborInt(4), append([]byte{0xfb}, binary.BigEndian.AppendUint64(nil, 0x41d9e5f1c0000000)...),
			cborInt(6), cborInt(iat), cborInt(7), cborBstr(cti), cborInt(-65538), cborTstr("elder"))))
	add("unknown_category", ReasonMalformed, "category vip",
		std(vecIssuerA, 1, cborMap(cborInt(1), cborTstr(vecIssuerA), cborInt(4), cborInt(exp), cborInt(6), cborInt(iat), cborInt(7), cborBstr(cti), cborInt(-65538), cborTstr("vip"))))
	add("untagged", ReasonMalformed, "COSE_Sign1 without tag 18",
		qr(sign1(stdProtected(vecKID(1)), cborMap(), claimsMap(vecIssuerA, iat, exp, cti), keyA, false)))
	add("trailing_bytes", ReasonMalformed, "a zero byte after the message", qr(append(append([]byte(nil), validRaw...), 0)))
	add("payload_not_map", ReasonMalformed, "payload is a CBOR array",
		std(vecIssuerA, 1, cborArray(cborInt(1))))
	add("expired", ReasonExpired, "exp one second before now",
		signed(with(func(c *Claims) { c.Expires = testNow.Add(-time.Second); c.IssuedAt = testNow.Add(-48 * time.Hour) }), 1))
	add("expires_now", ReasonExpired, "exp equal to now (exclusive)",
		signed(with(func(c *Claims) { c.Expires = testNow }), 1))
	add("not_yet_valid", ReasonNotYetValid, "nbf one second after now",
		signed(with(func(c *Claims) { c.NotBefore = testNow.Add(time.Second) }), 1))
	add("revoked", ReasonRevoked, "cti on the revocation list",
		signed(with(func(c *Claims) { c.CardID = vecRevokedID }), 1))
	add("unknown_kid", ReasonUnknownKey, "signed by a key not in the trust list (seed 5)", signed(base, 5))
	add("wrong_issuer_claim", ReasonUnknownKey, "issuer A's key, iss claims issuer B",
		signed(with(func(c *Claims) { c.Issuer = vecIssuerB }), 1))
	add("venue_restricted", ReasonIssuerVenue, "issuer B is trusted at other-venue only",
		signed(with(func(c *Claims) { c.Issuer = vecIssuerB }), 2))
	add("shared_kid", ReasonValid, "signed by the second of two keys sharing a kid",
		qr(sign1(stdProtected(vecKID(3)), cborMap(), claimsMap(vecIssuerC, iat, exp, cti), vecKey(4), true)))
	add("shared_kid_bad_signature", ReasonBadSignature, "kid of the shared pair, signed by an outside key (seed 5)",
		qr(sign1(stdProtected(vecKID(3)), cborMap(), claimsMap(vecIssuerC, iat, exp, cti), vecKey(5), true)))
	return v
}

// vecTrust is the device's view for the vectors: issuers A, B (other-venue
// only), C with two keys forced under one kid, one revoked card.
func vecTrust(t *testing.T) *Trust {
	pub := func(seed byte) ed25519.PublicKey { return vecKey(seed).Public().(ed25519.PublicKey) }
	list := &TrustList{Version: 1, IssuedAt: testNow.Add(-time.Hour), Expires: testNow.Add(30 * 24 * time.Hour), Issuers: []Issuer{
		{ID: vecIssuerA, PublicKey: pub(1)},
		{ID: vecIssuerB, PublicKey: pub(2), Venues: []string{"other-venue"}},
		{ID: vecIssuerC, PublicKey: pub(3)},
		{ID: vecIssuerC, PublicKey: pub(4)},
		{ID: vecIssuerD, PublicKey: pub(6), NotBefore: testNow.Add(24 * time.Hour)},
	}}
	rev := &RevocationList{Version: 1, IssuedAt: testNow.Add(-time.Hour), Expires: testNow.Add(24 * time.Hour),
		CardIDs: []string{"0123456789abcdef0123456789abcdef", (&Card{Claims: Claims{CardID: vecRevokedID}}).CardIDHex(),
			(&Card{Claims: Claims{CardID: vecCompactRevoked}}).CardIDHex()}}
	tr, err := NewTrust(list, rev, TrustOptions{Venue: vecVenue, MaxAge: 7 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// A 64-bit kid collision cannot be generated; re-file key 4 under key
	// 3's kid so the index looks as it would after one.
	kid3, kid4 := [8]byte(vecKID(3)), [8]byte(vecKID(4))
	tr.byKID[kid3] = append(tr.byKID[kid3], tr.byKID[kid4]...)
	// Key 4 is reachable only through the shared kid.
	delete(tr.byKID, kid4)
	k3, k4 := [4]byte(kid3[:4]), [4]byte(kid4[:4])
	tr.byKID4[k3] = append(tr.byKID4[k3], tr.byKID4[k4]...)
	delete(tr.byKID4, k4)
	return tr
}

// decide is what a device does with QR text.
func decide(text string, tr *Trust) Verdict { return VerifyText(text, tr, testNow) }

func TestVectors(t *testing.T) {
	dir := filepath.Join("testdata", "vectors")
	gen := genVectors(t)
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
		t.Fatalf("%v (run go test -run TestVectors -update)", err)
	}
	var want []vector
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(gen) {
		t.Errorf("manifest has %d vectors, generator %d: run with -update", len(want), len(gen))
	}
	tr := vecTrust(t)
	for i, w := range want {
		raw, err := os.ReadFile(filepath.Join(dir, w.Name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.TrimSuffix(string(raw), "\n")
		if i < len(gen) && (gen[i].Name != w.Name || gen[i].text != text) {
			t.Errorf("%s: file differs from the generator: run with -update", w.Name)
		}
		if got := decide(text, tr); got.Reason != w.Reason {
			t.Errorf("%s (%s): reason %s (%s), want %s", w.Name, w.Note, got.Reason, got.Detail, w.Reason)
		} else {
			t.Logf("%-26s %-30s %s", w.Name, got.Reason, got.Detail)
		}
	}
}
