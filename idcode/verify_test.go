package idcode

import (
	"crypto/ed25519"
	"testing"
	"time"
)

func pubOf(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

func simpleTrust(t *testing.T, opts TrustOptions, issuers ...Issuer) *Trust {
	t.Helper()
	list := &TrustList{Version: 3, IssuedAt: testNow.Add(-time.Hour), Expires: testNow.Add(24 * time.Hour), Issuers: issuers}
	rev := &RevocationList{Version: 1, IssuedAt: testNow.Add(-time.Hour), Expires: testNow.Add(24 * time.Hour)}
	tr, err := NewTrust(list, rev, opts)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func signedCard(t *testing.T, c Claims, key ed25519.PrivateKey) *Card {
	t.Helper()
	text, err := Sign(c, key)
	if err != nil {
		t.Fatal(err)
	}
	card, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return card
}

func TestVerifyValid(t *testing.T) {
	key := testKey(1)
	tr := simpleTrust(t, TrustOptions{}, Issuer{ID: testClaims().Issuer, Name: "Example Venue", PublicKey: pubOf(key)})
	v := Verify(signedCard(t, testClaims(), key), tr, testNow)
	if !v.Valid || v.Reason != ReasonValid || v.Issuer == nil || v.Issuer.Name != "Example Venue" {
		t.Fatalf("verdict %+v", v)
	}
}

func TestVerifyStaleTrust(t *testing.T) {
	key := testKey(1)
	is := Issuer{ID: testClaims().Issuer, PublicKey: pubOf(key)}
	card := signedCard(t, testClaims(), key)
	for name, c := range map[string]struct {
		tr  func() *Trust
		now time.Time
	}{
		"nil trust":    {func() *Trust { return nil }, testNow},
		"zero trust":   {func() *Trust { return &Trust{} }, testNow},
		"list expired": {func() *Trust { return simpleTrust(t, TrustOptions{}, is) }, testNow.Add(24 * time.Hour)},
		"fetched too old": {func() *Trust {
			return simpleTrust(t, TrustOptions{MaxAge: time.Hour, FetchedAt: testNow.Add(-61 * time.Minute)}, is)
		}, testNow},
		"issued too old": {func() *Trust { return simpleTrust(t, TrustOptions{MaxAge: 59 * time.Minute}, is) }, testNow},
		"revocations expired": {func() *Trust {
			tr := simpleTrust(t, TrustOptions{}, is)
			tr.Revoked.Expires = testNow
			return tr
		}, testNow},
		"no revocations": {func() *Trust {
			tr, err := NewTrust(simpleTrust(t, TrustOptions{}, is).List, nil, TrustOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return tr
		}, testNow},
	} {
		if v := Verify(card, c.tr(), c.now); v.Reason != ReasonTrustStale || v.Valid {
			t.Errorf("%s: verdict %+v, want trust_data_stale", name, v)
		}
	}
	// Fresh enough, and a missing revocation list explicitly allowed.
	tr, err := NewTrust(simpleTrust(t, TrustOptions{}, is).List, nil, TrustOptions{RevocationsOptional: true, MaxAge: time.Hour, FetchedAt: testNow.Add(-59 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if v := Verify(card, tr, testNow); !v.Valid {
		t.Errorf("fresh trust: %+v", v)
	}
}

// StaleFrom and Stale agree: fresh one nanosecond before, stale from it,
// whichever limit comes first.
func TestStaleFromAgreesWithStale(t *testing.T) {
	is := Issuer{ID: testClaims().Issuer, PublicKey: pubOf(testKey(1))}
	cases := map[string]*Trust{
		"list expiry":         simpleTrust(t, TrustOptions{}, is),
		"age from fetch":      simpleTrust(t, TrustOptions{MaxAge: 2 * time.Hour, FetchedAt: testNow.Add(-30 * time.Minute)}, is),
		"age from issue":      simpleTrust(t, TrustOptions{MaxAge: 3 * time.Hour}, is),
		"revocations issue":   simpleTrust(t, TrustOptions{MaxAge: 3 * time.Hour}, is),
		"revocations expiry":  simpleTrust(t, TrustOptions{}, is),
		"optional revocation": nil,
	}
	cases["revocations issue"].Revoked.IssuedAt = testNow.Add(-2 * time.Hour)
	cases["revocations expiry"].Revoked.Expires = testNow.Add(5 * time.Hour)
	opt, err := NewTrust(simpleTrust(t, TrustOptions{}, is).List, nil, TrustOptions{RevocationsOptional: true, MaxAge: 4 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	cases["optional revocation"] = opt
	want := map[string]time.Time{
		"list expiry":         testNow.Add(24 * time.Hour),
		"age from fetch":      testNow.Add(90*time.Minute + time.Nanosecond),
		"age from issue":      testNow.Add(2*time.Hour + time.Nanosecond),
		"revocations issue":   testNow.Add(time.Hour + time.Nanosecond),
		"revocations expiry":  testNow.Add(5 * time.Hour),
		"optional revocation": testNow.Add(3*time.Hour + time.Nanosecond),
	}
	for name, tr := range cases {
		from := tr.StaleFrom()
		if !from.Equal(want[name]) {
			t.Errorf("%s: StaleFrom %v, want %v", name, from, want[name])
		}
		if why := tr.Stale(from.Add(-time.Nanosecond)); why != "" {
			t.Errorf("%s: stale just before StaleFrom: %s", name, why)
		}
		if tr.Stale(from) == "" {
			t.Errorf("%s: not stale at StaleFrom", name)
		}
	}
	if !(*Trust)(nil).StaleFrom().IsZero() {
		t.Error("nil trust has a StaleFrom")
	}
	norev, err := NewTrust(simpleTrust(t, TrustOptions{}, is).List, nil, TrustOptions{})
	if err != nil || !norev.StaleFrom().IsZero() {
		t.Errorf("required revocations missing: StaleFrom %v (%v)", norev.StaleFrom(), err)
	}
}

func TestVerifyIssuerKeyWindow(t *testing.T) {
	key := testKey(1)
	c := testClaims()
	card := signedCard(t, c, key)
	for _, is := range []Issuer{
		{ID: c.Issuer, PublicKey: pubOf(key), NotBefore: c.IssuedAt.Add(time.Second)},
		{ID: c.Issuer, PublicKey: pubOf(key), NotAfter: c.IssuedAt.Add(-time.Second)},
	} {
		if v := Verify(card, simpleTrust(t, TrustOptions{}, is), testNow); v.Reason != ReasonUnknownKey {
			t.Errorf("window %v..%v: %+v", is.NotBefore, is.NotAfter, v)
		}
	}
	// A retired key's cards stay valid until their own exp.
	is := Issuer{ID: c.Issuer, PublicKey: pubOf(key), NotAfter: c.IssuedAt}
	if v := Verify(card, simpleTrust(t, TrustOptions{}, is), testNow); !v.Valid {
		t.Errorf("retired key: %+v", v)
	}
}

func TestVerifyVenue(t *testing.T) {
	key := testKey(1)
	c := testClaims()
	card := signedCard(t, c, key)
	is := Issuer{ID: c.Issuer, PublicKey: pubOf(key), Venues: []string{"hall-a", "hall-b"}}
	for venue, want := range map[string]Reason{"hall-b": ReasonValid, "hall-c": ReasonIssuerVenue, "": ReasonIssuerVenue} {
		if v := Verify(card, simpleTrust(t, TrustOptions{Venue: venue}, is), testNow); v.Reason != want {
			t.Errorf("venue %q: %s, want %s", venue, v.Reason, want)
		}
	}
}

// The same key listed for two issuers: the entry matching iss decides.
func TestVerifySameKeyTwoIssuers(t *testing.T) {
	key := testKey(1)
	c := testClaims()
	card := signedCard(t, c, key)
	tr := simpleTrust(t, TrustOptions{Venue: "v"},
		Issuer{ID: "other", PublicKey: pubOf(key)},
		Issuer{ID: c.Issuer, PublicKey: pubOf(key), Venues: []string{"x"}},
		Issuer{ID: c.Issuer, PublicKey: pubOf(key), Venues: []string{"v"}},
	)
	if v := Verify(card, tr, testNow); !v.Valid || v.Issuer.Venues[0] != "v" {
		t.Fatalf("%+v", v)
	}
}

func TestVerifyNilCard(t *testing.T) {
	if v := Verify(nil, vecTrust(t), testNow); v.Reason != ReasonMalformed {
		t.Fatalf("%+v", v)
	}
}

// Every single-character change of a valid QR text must be refused; none
// may panic.
func TestEveryCharacterTamperRefused(t *testing.T) {
	tr := vecTrust(t)
	text, err := Sign(testClaims(), vecKey(1))
	if err != nil {
		t.Fatal(err)
	}
	if v := decide(text, tr); !v.Valid {
		t.Fatalf("untampered: %+v", v)
	}
	counts := map[Reason]int{}
	for i := 0; i < len(text); i++ {
		for _, sub := range []byte{'0', 'Z', ':', 'a'} {
			if text[i] == sub {
				continue
			}
			b := []byte(text)
			b[i] = sub
			v := decide(string(b), tr)
			if v.Valid {
				t.Fatalf("position %d → %q accepted", i, sub)
			}
			counts[v.Reason]++
		}
		if v := decide(text[:i]+text[i+1:], tr); v.Valid {
			t.Fatalf("deleting position %d accepted", i)
		}
	}
	t.Logf("refusals by reason: %v", counts)
	if counts[ReasonBadSignature] == 0 || counts[ReasonMalformed] == 0 {
		t.Errorf("expected both bad_signature and malformed refusals, got %v", counts)
	}
	for r := range counts {
		if r != ReasonMalformed && r != ReasonBadSignature && r != ReasonUnknownKey {
			// Changing kid gives unknown_key; anything else means a tampered
			// card got past the signature check.
			t.Errorf("tampering produced reason %s", r)
		}
	}
}

// One Trust serves every camera and scanner goroutine at once.
func TestVerifyConcurrent(t *testing.T) {
	tr := vecTrust(t)
	text, err := Sign(testClaims(), vecKey(1))
	if err != nil {
		t.Fatal(err)
	}
	card, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Verdict)
	for range 4 {
		go func() {
			var v Verdict
			for range 20 {
				v = Verify(card, tr, testNow)
			}
			done <- v
		}()
	}
	for range 4 {
		if v := <-done; !v.Valid {
			t.Errorf("%+v", v)
		}
	}
}

func TestNewTrustRefusesInvalidLists(t *testing.T) {
	good := &TrustList{Version: 1, IssuedAt: testNow, Expires: testNow.Add(time.Hour), Issuers: []Issuer{{ID: "a", PublicKey: pubOf(testKey(1))}}}
	bad := *good
	bad.Issuers = []Issuer{{ID: "a", PublicKey: make([]byte, 31)}}
	if _, err := NewTrust(&bad, nil, TrustOptions{}); err == nil {
		t.Error("31-byte key accepted")
	}
	if _, err := NewTrust(nil, nil, TrustOptions{}); err == nil {
		t.Error("nil list accepted")
	}
	rev := &RevocationList{Version: 1, IssuedAt: testNow, Expires: testNow.Add(time.Hour), CardIDs: []string{"xyz"}}
	if _, err := NewTrust(good, rev, TrustOptions{}); err == nil {
		t.Error("bad card id accepted")
	}
}
