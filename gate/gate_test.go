package gate

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/store"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

type fixture struct {
	g      *Gate
	st     *store.Store
	clk    *clock.Fake
	key    ed25519.PrivateKey
	trust  *staticTrust
	dbPath string
}

type staticTrust struct{ t *idcode.Trust }

func (s *staticTrust) Trust() *idcode.Trust { return s.t }

type syncState struct {
	d  time.Duration
	ok bool
}

func (s syncState) SinceSync() (time.Duration, bool) { return s.d, s.ok }

func key(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func newTrust(t *testing.T, issuerKey ed25519.PrivateKey, revoked []string, fetched time.Time, venues ...string) *idcode.Trust {
	t.Helper()
	list := &idcode.TrustList{Version: 1, IssuedAt: t0.Add(-48 * time.Hour), Expires: t0.AddDate(1, 0, 0),
		Issuers: []idcode.Issuer{{ID: "lib", PublicKey: issuerKey.Public().(ed25519.PublicKey), Venues: venues}}}
	rev := &idcode.RevocationList{Version: 1, IssuedAt: t0.Add(-48 * time.Hour), Expires: t0.AddDate(1, 0, 0), CardIDs: revoked}
	tr, err := idcode.NewTrust(list, rev, idcode.TrustOptions{Venue: "v1", MaxAge: 28 * 24 * time.Hour, FetchedAt: fetched})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func newFixture(t *testing.T, p door.Policy) *fixture {
	t.Helper()
	f := &fixture{clk: clock.NewFake(t0), key: key(1)}
	f.dbPath = filepath.Join(t.TempDir(), "scangate.db")
	st, err := store.Open(f.dbPath, store.Options{Now: f.clk.Now, BootID: "boot-1",
		SinceBoot: func() (time.Duration, error) { return time.Minute, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	f.trust = &staticTrust{newTrust(t, f.key, nil, t0.Add(-time.Hour))}
	f.g, err = New(Options{Ledger: st, Trust: f.trust, Clock: f.clk, Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

type cardOpt func(*idcode.Claims)

func (f *fixture) card(t *testing.T, signer ed25519.PrivateKey, opts ...cardOpt) (string, string) {
	t.Helper()
	id, err := idcode.NewCardID()
	if err != nil {
		t.Fatal(err)
	}
	c := idcode.Claims{Issuer: "lib", Subject: "h-1", IssuedAt: t0.Add(-24 * time.Hour), Expires: t0.AddDate(1, 0, 0),
		CardID: id, Name: "王*英", Category: idcode.CategoryElder}
	for _, o := range opts {
		o(&c)
	}
	text, err := idcode.Sign(c, signer)
	if err != nil {
		t.Fatal(err)
	}
	return text, (&idcode.Card{Claims: c}).CardIDHex()
}

func (f *fixture) decide(text string) door.Decision {
	return f.g.Decide(context.Background(), door.Code{Text: text, Source: "camera0", SeenAt: f.clk.Now()})
}

func check(t *testing.T, d door.Decision, o door.Outcome, r door.Reason) {
	t.Helper()
	if d.Outcome != o || d.Reason != r {
		t.Fatalf("decision = %v/%s (%s), want %v/%s", d.Outcome, d.Reason, d.Detail, o, r)
	}
}

func TestPassIsDurableBeforeReturn(t *testing.T) {
	f := newFixture(t, door.Policy{})
	text, id := f.card(t, f.key)
	d := f.decide(text)
	check(t, d, door.Pass, door.ReasonPass)
	if d.Seq != 1 || d.Name != "王*英" || d.CardID != id {
		t.Fatalf("decision %+v", d)
	}
	// Another connection to the same file sees the committed row.
	other, err := store.Open(f.dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, ok, err := other.LastPass(context.Background(), id, t0.Add(-time.Minute)); err != nil || !ok {
		t.Fatalf("pass not visible to another connection: %v %v", ok, err)
	}
	recs, err := f.st.Outbox(context.Background(), 10, 1<<20)
	if err != nil || len(recs) != 1 {
		t.Fatalf("outbox: %d %v", len(recs), err)
	}
}

func TestDuplicateWindow(t *testing.T) {
	f := newFixture(t, door.Policy{DuplicateWindow: 10 * time.Minute})
	text, _ := f.card(t, f.key)
	check(t, f.decide(text), door.Pass, door.ReasonPass)
	f.clk.Advance(9 * time.Minute)
	check(t, f.decide(text), door.AlreadyIn, door.ReasonAlreadyIn)
	// The window runs from the last counted pass, not from the repeat.
	f.clk.Advance(61 * time.Second)
	check(t, f.decide(text), door.Pass, door.ReasonPass)
	other, _ := f.card(t, f.key)
	check(t, f.decide(other), door.Pass, door.ReasonPass)
}

func TestRefusals(t *testing.T) {
	f := newFixture(t, door.Policy{Categories: []string{"elder", "child", "companion"}})
	stranger := key(9)
	valid, _ := f.card(t, f.key)
	tampered := []byte(valid)
	last := tampered[len(tampered)-2]
	if last == 'A' {
		tampered[len(tampered)-2] = 'B'
	} else {
		tampered[len(tampered)-2] = 'A'
	}
	revokedText, revokedID := f.card(t, f.key)
	f.trust.t = newTrust(t, f.key, []string{revokedID}, t0.Add(-time.Hour))

	cases := []struct {
		name string
		text string
		want door.Reason
	}{
		{"not a scangate code", "https://example.org/menu", door.ReasonMalformed},
		{"empty", "", door.ReasonMalformed},
		{"unknown issuer", first(f.card(t, stranger)), door.ReasonUnknownIssuer},
		{"bad signature", string(tampered), door.ReasonBadSignature},
		{"expired", first(f.card(t, f.key, func(c *idcode.Claims) { c.Expires = t0.Add(-time.Second) })), door.ReasonExpired},
		{"not yet valid", first(f.card(t, f.key, func(c *idcode.Claims) { c.NotBefore = t0.Add(time.Hour) })), door.ReasonNotYetValid},
		{"revoked", revokedText, door.ReasonRevoked},
		{"category", first(f.card(t, f.key, func(c *idcode.Claims) { c.Category = idcode.CategoryStaff })), door.ReasonCategory},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := f.decide(tc.text)
			check(t, d, door.Fail, tc.want)
			if d.Seq == 0 {
				t.Error("refusal not recorded")
			}
		})
	}
	// Refusals are recorded but never counted as a pass.
	if _, ok, _ := f.st.LastPass(context.Background(), revokedID, t0.Add(-time.Hour)); ok {
		t.Error("revoked card counted as a pass")
	}
}

func first(a, _ string) string { return a }

func TestIssuerVenue(t *testing.T) {
	f := newFixture(t, door.Policy{})
	f.trust.t = newTrust(t, f.key, nil, t0.Add(-time.Hour), "other-venue")
	text, _ := f.card(t, f.key)
	check(t, f.decide(text), door.Fail, door.ReasonIssuerVenue)
}

func TestStaleTrust(t *testing.T) {
	f := newFixture(t, door.Policy{})
	text, _ := f.card(t, f.key)
	if r, why := f.g.Refusing(); r != "" {
		t.Fatalf("refusing with current trust data: %s (%s)", r, why)
	}
	f.trust.t = newTrust(t, f.key, nil, t0.Add(-29*24*time.Hour))
	d := f.decide(text)
	check(t, d, door.Fault, door.ReasonTrustStale)
	if d.Seq == 0 {
		t.Error("fault not recorded")
	}
	if r, _ := f.g.Refusing(); r != door.ReasonTrustStale {
		t.Errorf("Refusing = %q with stale data", r)
	}
	// A forged card too: with stale data the device cannot tell.
	forged, _ := f.card(t, key(7))
	check(t, f.decide(forged), door.Fault, door.ReasonTrustStale)
	f.trust.t = nil
	check(t, f.decide(text), door.Fault, door.ReasonTrustStale)
	// A malformed code is the code's own fault whatever the trust data.
	check(t, f.decide("https://example.org/menu"), door.Fail, door.ReasonMalformed)
}

type unpinnedTrust struct{ staticTrust }

func (unpinnedTrust) Unpinned() bool { return true }

func TestNoPinnedKeyIsConfiguration(t *testing.T) {
	f := newFixture(t, door.Policy{})
	text, _ := f.card(t, f.key)
	g, err := New(Options{Ledger: f.st, Trust: &unpinnedTrust{}, Clock: f.clk})
	if err != nil {
		t.Fatal(err)
	}
	check(t, g.Decide(context.Background(), door.Code{Text: text, Source: "camera0"}), door.Fault, door.ReasonConfig)
	if r, _ := g.Refusing(); r != door.ReasonConfig {
		t.Errorf("Refusing = %q without a pinned key", r)
	}
}

func TestClockNotTrustworthy(t *testing.T) {
	f := newFixture(t, door.Policy{})
	// The card was signed "tomorrow" as far as this clock knows: the clock is wrong.
	text, _ := f.card(t, f.key, func(c *idcode.Claims) { c.IssuedAt = t0.Add(24 * time.Hour) })
	check(t, f.decide(text), door.Fault, door.ReasonClock)
	// A clock set back before the trust list's own date.
	ok, _ := f.card(t, f.key, func(c *idcode.Claims) { c.IssuedAt = t0.Add(-72 * time.Hour) })
	f.clk.Set(t0.Add(-60 * time.Hour))
	f.trust.t = newTrust(t, f.key, nil, t0.Add(-61*time.Hour))
	check(t, f.decide(ok), door.Fault, door.ReasonClock)
	if r, _ := f.g.Refusing(); r != door.ReasonClock {
		t.Errorf("Refusing = %q with the clock before the list's date", r)
	}

	// Unconfirmed for longer than policy allows.
	f2 := newFixture(t, door.Policy{MaxUnsynced: time.Hour})
	f2.g.sync = syncState{d: 2 * time.Hour, ok: true}
	text2, _ := f2.card(t, f2.key)
	check(t, f2.decide(text2), door.Fault, door.ReasonClock)
	if r, _ := f2.g.Refusing(); r != door.ReasonClock {
		t.Errorf("Refusing = %q with the clock unconfirmed too long", r)
	}
	f2.g.sync = syncState{d: time.Minute, ok: true}
	check(t, f2.decide(text2), door.Pass, door.ReasonPass)
	// A forged card is refused for its signature, not blamed on the clock.
	f2.g.sync = syncState{ok: false}
	forged, _ := f2.card(t, key(7))
	check(t, f2.decide(forged), door.Fail, door.ReasonUnknownIssuer)
}

func TestCompanionGroup(t *testing.T) {
	f := newFixture(t, door.Policy{CompanionWindow: 30 * time.Second})
	comp, _ := f.card(t, f.key, func(c *idcode.Claims) { c.Category = idcode.CategoryCompanion })
	elder, _ := f.card(t, f.key)
	child, _ := f.card(t, f.key, func(c *idcode.Claims) { c.Category = idcode.CategoryChild })
	late, _ := f.card(t, f.key)

	dc := f.decide(comp)
	check(t, dc, door.Pass, door.ReasonPass)
	if dc.Group != 0 {
		t.Fatalf("companion card itself got group %d", dc.Group)
	}
	f.clk.Advance(10 * time.Second)
	de := f.decide(elder)
	f.clk.Advance(25 * time.Second) // within 30 s of the previous member
	dch := f.decide(child)
	if de.Group != dc.Seq || dch.Group != dc.Seq {
		t.Fatalf("groups: companion seq %d, elder %d, child %d", dc.Seq, de.Group, dch.Group)
	}
	f.clk.Advance(31 * time.Second)
	if d := f.decide(late); d.Group != 0 {
		t.Fatalf("card after the window joined group %d", d.Group)
	}
}

func TestLogOnlyNeverStoresRawText(t *testing.T) {
	f := newFixture(t, door.Policy{LogOnly: true})
	const secret = "MEBKM:TITLE:private-text-4711;;"
	d := f.decide(secret)
	check(t, d, door.Pass, door.ReasonLogged)
	if d.CardID == "" || strings.Contains(d.CardID, "4711") {
		t.Fatalf("card id %q", d.CardID)
	}
	check(t, f.decide(secret), door.AlreadyIn, door.ReasonAlreadyIn)
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{f.dbPath, f.dbPath + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("private-text-4711")) {
			t.Fatalf("raw QR text stored in %s", p)
		}
	}
}

func TestLedgerFailureIsDeviceFault(t *testing.T) {
	f := newFixture(t, door.Policy{})
	text, _ := f.card(t, f.key)
	f.st.Close()
	check(t, f.decide(text), door.Fault, door.ReasonStorage)
	// A refusal stays a refusal-with-fault too: nothing is recorded.
	check(t, f.decide("garbage"), door.Fault, door.ReasonStorage)

	fo := newFixture(t, door.Policy{FailOpen: true})
	text2, _ := fo.card(t, fo.key)
	fo.st.Close()
	d := fo.decide(text2)
	check(t, d, door.Pass, door.ReasonPass)
	if d.Seq != 0 || !strings.Contains(d.Detail, "not recorded") {
		t.Fatalf("fail-open decision %+v", d)
	}
	// Fail-open never turns a refusal into a pass.
	check(t, fo.decide("garbage"), door.Fault, door.ReasonStorage)
}

func BenchmarkDecide(b *testing.B) {
	f := &fixture{clk: clock.NewFake(t0), key: key(1)}
	st, err := store.Open(filepath.Join(b.TempDir(), "s.db"), store.Options{Now: f.clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	tt := &testing.T{}
	f.trust = &staticTrust{newTrust(tt, f.key, nil, t0.Add(-time.Hour))}
	f.g, _ = New(Options{Ledger: st, Trust: f.trust, Clock: f.clk})
	texts := make([]string, 64)
	for i := range texts {
		texts[i], _ = f.card(tt, f.key)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.clk.Advance(11 * time.Minute)
		if d := f.decide(texts[i%len(texts)]); d.Outcome != door.Pass {
			b.Fatalf("decision %+v", d)
		}
	}
}
