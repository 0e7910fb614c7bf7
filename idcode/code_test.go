package idcode

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
)

// testKey derives a deterministic key from a one-byte seed.
func testKey(seed byte) ed25519.PrivateKey {
	s := make([]byte, ed25519.SeedSize)
	for i := range s {
		s[i] = seed
	}
	return ed25519.NewKeyFromSeed(s)
}

var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func testClaims() Claims {
	return Claims{
		Issuer:   "org.example.venue",
		Subject:  "h-7f3a9c",
		IssuedAt: testNow.Add(-24 * time.Hour),
		Expires:  testNow.Add(365 * 24 * time.Hour),
		CardID:   []byte("0123456789abcdef"),
		Name:     "王*英",
		Category: CategoryElder,
	}
}

func TestSignParseRoundTrip(t *testing.T) {
	key := testKey(1)
	c := testClaims()
	c.NotBefore = testNow.Add(-time.Hour)
	text, err := Sign(c, key)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, Prefix) {
		t.Fatalf("text %q lacks prefix", text)
	}
	for _, r := range text[len(Prefix):] {
		if !strings.ContainsRune(base45Alphabet, r) {
			t.Fatalf("character %q outside QR alphanumeric set", r)
		}
	}
	card, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	if card.Issuer != c.Issuer || card.Subject != c.Subject || card.Name != c.Name || card.Category != c.Category ||
		!card.IssuedAt.Equal(c.IssuedAt) || !card.Expires.Equal(c.Expires) || !card.NotBefore.Equal(c.NotBefore) ||
		card.CardIDHex() != "30313233343536373839616263646566" {
		t.Fatalf("round trip: got %+v, want %+v", card.Claims, c)
	}
	if card.KID != KeyID(key.Public().(ed25519.PublicKey)) {
		t.Fatalf("kid %x", card.KID)
	}
	t.Logf("QR text: %d characters", len(text))
}

func TestSignRefusesBadClaims(t *testing.T) {
	key := testKey(1)
	for name, mut := range map[string]func(*Claims){
		"no issuer":    func(c *Claims) { c.Issuer = "" },
		"short cti":    func(c *Claims) { c.CardID = c.CardID[:8] },
		"no exp":       func(c *Claims) { c.Expires = time.Time{} },
		"exp<iat":      func(c *Claims) { c.Expires = c.IssuedAt.Add(-time.Second) },
		"bad category": func(c *Claims) { c.Category = "vip" },
		"long name":    func(c *Claims) { c.Name = strings.Repeat("x", MaxNameLen+1) },
	} {
		c := testClaims()
		mut(&c)
		if _, err := Sign(c, key); err == nil {
			t.Errorf("%s: Sign accepted %+v", name, c)
		}
	}
}

func TestParseErrorsAreMalformed(t *testing.T) {
	for _, in := range []string{"", "SG1:", "SG2:AAA", "SG1:A", "SG1:" + strings.Repeat("0", MaxTextLen)} {
		if _, err := Parse(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%.20q) = %v, want ErrMalformed", in, err)
		}
	}
}
