// Package collectortest holds what tests of the collector and of its
// clients share: the semantics suite every Backend must pass, and a real
// collector started on loopback for device-side tests.
package collectortest

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

// RunBackendSuite runs the backend semantics suite. newBackend returns a
// fresh, empty backend for each subtest; the suite closes it.
func RunBackendSuite(t *testing.T, newBackend func(t *testing.T) collector.Backend) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, b collector.Backend)
	}{
		{"Venues", testVenues},
		{"Enrollment", testEnrollment},
		{"IdempotentIngestAndAck", testIngest},
		{"AckIsPerDevice", testAckPerDevice},
		{"BootAnchors", testBootAnchors},
		{"TrustAndRevision", testTrust},
		{"Queries", testQueries},
		{"RevisionFollowsClock", testRevisionClock},
		{"Ledgers", testLedgers},
		{"FloorDrainsAHole", testFloor},
		{"ConflictsKeptNeverDropped", testConflicts},
		{"Recoveries", testRecoveries},
		{"NoncesShared", testNonces},
		{"PurgedGapIsNotLost", testPurgedGap},
		{"VenueSettings", testVenueSettings},
		{"RetentionByVenue", testRetention},
		{"EraseCardAndHolder", testErase},
		{"CardNumber", testCardNumber},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend(t)
			t.Cleanup(func() { b.Close() })
			tc.fn(t, b)
		})
	}
}

var base = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func mustVenue(t *testing.T, b collector.Backend, id string) {
	t.Helper()
	if err := b.CreateVenue(context.Background(), collector.Venue{ID: id, Name: "Venue " + id, Policy: wire.DefaultPolicy()}); err != nil {
		t.Fatalf("CreateVenue(%s): %v", id, err)
	}
}

func mustDevice(t *testing.T, b collector.Backend, venue, id string) collector.Device {
	t.Helper()
	ctx := context.Background()
	hash := "hash-" + id
	if err := b.CreateEnrollToken(ctx, collector.EnrollToken{Hash: hash, Venue: venue, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	d, err := b.Enroll(ctx, hash, collector.Device{ID: id, PublicKey: pub, Hardware: "test"}, base)
	if err != nil {
		t.Fatalf("Enroll(%s): %v", id, err)
	}
	return d
}

func rec(d collector.Device, seq uint64, at time.Time, card string) collector.Checkin {
	return collector.Checkin{Device: d.ID, Venue: d.Venue, Received: base, Record: wire.Record{
		Seq: seq, At: at, BootID: "boot-1", MonoNS: int64(seq) * 1e9, ClockSynced: true, Source: "camera",
		Decision: wire.DecisionPass, Reason: "pass", CardID: card, Holder: "h-" + card, Category: "elder", Name: "王*英",
	}}
}

func recs(d collector.Device, seqs ...uint64) []collector.Checkin {
	var out []collector.Checkin
	for _, s := range seqs {
		out = append(out, rec(d, s, base.Add(time.Duration(s)*time.Minute), fmt.Sprintf("%032x", s)))
	}
	return out
}

func testVenues(t *testing.T, b collector.Backend) {
	ctx := context.Background()
	mustVenue(t, b, "v1")
	if err := b.CreateVenue(ctx, collector.Venue{ID: "v1", Policy: wire.DefaultPolicy()}); !errors.Is(err, collector.ErrExists) {
		t.Fatalf("duplicate venue: %v, want ErrExists", err)
	}
	if _, err := b.Venue(ctx, "nope"); !errors.Is(err, collector.ErrNotFound) {
		t.Fatalf("Venue(nope): %v, want ErrNotFound", err)
	}
	r0, _ := b.Revision(ctx)
	p := wire.DefaultPolicy()
	p.Mode, p.FailOpen, p.DuplicateWindow = wire.ModeLogOnly, true, wire.Duration(time.Minute)
	if err := b.SetVenuePolicy(ctx, "v1", p); err != nil {
		t.Fatal(err)
	}
	v, err := b.Venue(ctx, "v1")
	if err != nil || v.Name != "Venue v1" || v.Policy.Mode != wire.ModeLogOnly || !v.Policy.FailOpen || v.Policy.DuplicateWindow != wire.Duration(time.Minute) {
		t.Fatalf("Venue(v1) = %+v, %v", v, err)
	}
	if r1, _ := b.Revision(ctx); r1 <= r0 {
		t.Fatalf("revision %d -> %d after a policy change", r0, r1)
	}
	if err := b.SetVenuePolicy(ctx, "nope", p); !errors.Is(err, collector.ErrNotFound) {
		t.Fatalf("SetVenuePolicy(nope): %v", err)
	}
}

func testEnrollment(t *testing.T, b collector.Backend) {
	ctx := context.Background()
	mustVenue(t, b, "v1")
	if err := b.CreateEnrollToken(ctx, collector.EnrollToken{Hash: "x", Venue: "nope", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}); !errors.Is(err, collector.ErrNotFound) {
		t.Fatalf("token for missing venue: %v", err)
	}
	for _, h := range []string{"t1", "t2", "t3"} {
		if err := b.CreateEnrollToken(ctx, collector.EnrollToken{Hash: h, Venue: "v1", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	pub1, _, _ := ed25519.GenerateKey(nil)
	pub2, _, _ := ed25519.GenerateKey(nil)
	d, err := b.Enroll(ctx, "t1", collector.Device{ID: "d1", PublicKey: pub1, Venue: "evil"}, base)
	if err != nil || d.Venue != "v1" {
		t.Fatalf("Enroll = %+v, %v; want venue from the token", d, err)
	}
	if _, err := b.Enroll(ctx, "t1", collector.Device{ID: "d2", PublicKey: pub2}, base); !errors.Is(err, collector.ErrTokenUsed) {
		t.Fatalf("reused token: %v, want ErrTokenUsed", err)
	}
	// The device lost the answer (crash before saving it) and retries with
	// the same token and key, after the token's expiry: the same device.
	again, err := b.Enroll(ctx, "t1", collector.Device{ID: "d1-retry", PublicKey: pub1, Venue: "evil"}, base.Add(2*time.Hour))
	if err != nil || again.ID != "d1" || again.Venue != "v1" || !again.PublicKey.Equal(pub1) || !again.EnrolledAt.Equal(base) {
		t.Fatalf("retried enrollment = %+v, %v; want device d1 as enrolled", again, err)
	}
	if _, err := b.Device(ctx, "d1-retry"); !errors.Is(err, collector.ErrNotFound) {
		t.Fatalf("a retried enrollment registered a second device: %v", err)
	}
	if _, err := b.Enroll(ctx, "missing", collector.Device{ID: "d2", PublicKey: pub2}, base); !errors.Is(err, collector.ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
	if _, err := b.Enroll(ctx, "t2", collector.Device{ID: "d2", PublicKey: pub2}, base.Add(2*time.Hour)); !errors.Is(err, collector.ErrExpired) {
		t.Fatalf("expired token: %v", err)
	}
	if _, err := b.Enroll(ctx, "t3", collector.Device{ID: "d3", PublicKey: pub1}, base); !errors.Is(err, collector.ErrKeyInUse) {
		t.Fatalf("same key twice: %v", err)
	}
	// A failed enrollment must not consume the token.
	if _, err := b.Enroll(ctx, "t3", collector.Device{ID: "d3", PublicKey: pub2}, base); err != nil {
		t.Fatalf("token after a refused key: %v", err)
	}
	got, err := b.Device(ctx, "d1")
	if err != nil || !got.PublicKey.Equal(pub1) || got.Venue != "v1" || !got.RevokedAt.IsZero() || got.AckSeq != 0 {
		t.Fatalf("Device(d1) = %+v, %v", got, err)
	}
	if err := b.RevokeDevice(ctx, "d1", base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Device(ctx, "d1"); !got.RevokedAt.Equal(base.Add(time.Minute)) {
		t.Fatalf("RevokedAt = %v", got.RevokedAt)
	}
	if _, err := b.Enroll(ctx, "t1", collector.Device{ID: "d4", PublicKey: pub1}, base); !errors.Is(err, collector.ErrRevoked) {
		t.Fatalf("revoked device retrying its enrollment: %v, want ErrRevoked", err)
	}
	if err := b.RevokeDevice(ctx, "nope", base); !errors.Is(err, collector.ErrNotFound) {
		t.Fatalf("RevokeDevice(nope): %v", err)
	}
	if _, err := b.Device(ctx, "nope"); !errors.Is(err, collector.ErrNotFound) {
		t.Fatalf("Device(nope): %v", err)
	}
}

func testIngest(t *testing.T, b collector.Backend) {
	ctx := context.Background()
	mustVenue(t, b, "v1")
	d := mustDevice(t, b, "v1", "d1")
	steps := []struct {
		seqs []uint64
		ack  uint64
	}{
		{[]uint64{1, 2, 3, 4, 5}, 5},
		{[]uint64{1, 2, 3, 4, 5}, 5}, // replay
		{[]uint64{7}, 5},             // gap
		{[]uint64{9, 10}, 5},
		{[]uint64{6}, 7},
		{[]uint64{8, 7}, 10}, // fills the last gap, out of order, with a replay
		{[]uint64{3, 11}, 11},
	}
	for i, st := range steps {
		ack, err := insert(ctx, b, d, recs(d, st.seqs...))
		if err != nil || ack != st.ack {
			t.Fatalf("step %d %v: ack %d, %v; want %d", i, st.seqs, ack, err, st.ack)
		}
	}
	// A replayed seq with different content must not change the stored row;
	// it is a conflict (testConflicts).
	changed := recs(d, 3)
	changed[0].Reason = "changed"
	if res, err := b.InsertBatch(ctx, d, collector.Batch{Records: changed, Now: base}); err != nil || res.AckSeq != 11 || len(res.Conflicts) != 1 || res.Conflicts[0] != 3 {
		t.Fatalf("changed content under a held seq: %+v, %v; want a conflict on seq 3", res, err)
	}
	vs, err := b.VisitsAtVenue(ctx, "v1", base, base.Add(time.Hour))
	if err != nil || len(vs) != 11 {
		t.Fatalf("VisitsAtVenue = %d rows, %v; want 11", len(vs), err)
	}
	for i, v := range vs {
		if v.Seq != uint64(i+1) || v.Reason != "pass" || v.Device != "d1" || v.Venue != "v1" {
			t.Fatalf("row %d = %+v", i, v)
		}
	}
	if got, _ := b.Device(ctx, "d1"); got.AckSeq != 11 {
		t.Fatalf("Device.AckSeq = %d, want 11", got.AckSeq)
	}
	// A large batch, in one go.
	var big []uint64
	for s := uint64(12); s <= 2100; s++ {
		big = append(big, s)
	}
	if ack, err := insert(ctx, b, d, recs(d, big...)); err != nil || ack != 2100 {
		t.Fatalf("big batch: ack %d, %v", ack, err)
	}
}

func testAckPerDevice(t *testing.T, b collector.Backend) {
	ctx := context.Background()
	mustVenue(t, b, "v1")
	d1 := mustDevice(t, b, "v1", "d1")
	d2 := mustDevice(t, b, "v1", "d2")
	if ack, _ := insert(ctx, b, d1, recs(d1, 1, 2, 3)); ack != 3 {
		t.Fatalf("d1 ack %d", ack)
	}
	if ack, _ := insert(ctx, b, d2, recs(d2, 2)); ack != 0 {
		t.Fatalf("d2 ack %d, want 0: d1's seq 1 is not d2's", ack)
	}
	if ack, _ := insert(ctx, b, d2, recs(d2, 1)); ack != 2 {
		t.Fatalf("d2 ack %d, want 2", ack)
	}
}

func testBootAnchors(t *testing.T, b collector.Backend) {
	ctx := context.Background()
	mustVenue(t, b, "v1")
	mustDevice(t, b, "v1", "d1")
	if _, ok, err := b.BootAnchor(ctx, "d1", "b1"); ok || err != nil {
		t.Fatalf("anchor before any: ok=%v err=%v", ok, err)
	}
	w1 := base.Add(-time.Hour)
	if err := b.SaveBootAnchor(ctx, "d1", "b1", w1); err != nil {
		t.Fatal(err)
	}
	if err := b.SaveBootAnchor(ctx, "d1", "b1", base); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := b.BootAnchor(ctx, "d1", "b1"); !ok || err != nil || !got.Equal(w1) {
		t.Fatalf("anchor = %v %v %v; want the first one kept", got, ok, err)
	}
	if _, ok, _ := b.BootAnchor(ctx, "d2", "b1"); ok {
		t.Fatal("anchor leaked to another device")
	}
}

func testTrust(t *testing.T, b collector.Backend) {
	ctx := context.Background()
	r0, err := b.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	sealed := append([]byte("sealed:"), priv...) // the backend stores the bytes it is given
	is := collector.Issuer{ID: "city", Name: "City", PublicKey: pub, SealedKey: sealed, NotBefore: base, Venues: []string{"v1"}}
	if err := b.PutIssuer(ctx, is); err != nil {
		t.Fatal(err)
	}
	pub2, _, _ := ed25519.GenerateKey(nil)
	if err := b.PutIssuer(ctx, collector.Issuer{ID: "abroad", PublicKey: pub2}); err != nil {
		t.Fatal(err)
	}
	r1, _ := b.Revision(ctx)
	if r1 <= r0 {
		t.Fatalf("revision %d -> %d after PutIssuer", r0, r1)
	}
	got, err := b.Issuers(ctx)
	if err != nil || len(got) != 2 || got[0].ID != "abroad" || got[1].ID != "city" {
		t.Fatalf("Issuers = %+v, %v", got, err)
	}
	if got[0].SealedKey != nil || got[0].HoldsKey || string(got[1].SealedKey) != string(sealed) || !got[1].HoldsKey || !got[1].PublicKey.Equal(pub) ||
		!got[1].NotBefore.Equal(base) || !got[1].NotAfter.IsZero() || len(got[1].Venues) != 1 {
		t.Fatalf("issuers stored wrong: %+v", got)
	}
	rk, _ := b.Revision(ctx)
	if err := b.SetIssuerKey(ctx, "city", []byte("resealed")); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Issuers(ctx); string(got[1].SealedKey) != "resealed" {
		t.Fatalf("SetIssuerKey: stored %q", got[1].SealedKey)
	}
	if r, _ := b.Revision(ctx); r != rk {
		t.Fatalf("SetIssuerKey moved the revision %d -> %d: the lists do not carry private keys", rk, r)
	}
	if err := b.SetIssuerKey(ctx, "nope", nil); !errors.Is(err, collector.ErrNotFound) {
		t.Fatalf("SetIssuerKey(nope): %v", err)
	}
	if err := b.DeleteIssuer(ctx, "abroad"); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteIssuer(ctx, "abroad"); !errors.Is(err, collector.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	card := collector.Card{ID: fmt.Sprintf("%032x", 42), Issuer: "city", Holder: "h", Name: "王*英", Category: "elder", IssuedAt: base, Expires: base.Add(time.Hour)}
	if err := b.RecordCard(ctx, card); err != nil {
		t.Fatal(err)
	}
	if err := b.RecordCard(ctx, card); !errors.Is(err, collector.ErrExists) {
		t.Fatalf("card twice: %v", err)
	}
	r2, _ := b.Revision(ctx)
	if err := b.RevokeCard(ctx, "AABBCCDDEEFF00112233445566778899", base); err != nil {
		t.Fatal(err)
	}
	r3, _ := b.Revision(ctx)
	if r3 <= r2 {
		t.Fatalf("revision %d -> %d after RevokeCard", r2, r3)
	}
	if err := b.RevokeCard(ctx, "aabbccddeeff00112233445566778899", base); err != nil {
		t.Fatal(err)
	}
	if r4, _ := b.Revision(ctx); r4 != r3 {
		t.Fatalf("revision moved %d -> %d on a repeated revocation", r3, r4)
	}
	revs, err := b.Revocations(ctx)
	if err != nil || len(revs) != 1 || revs[0] != "aabbccddeeff00112233445566778899" {
		t.Fatalf("Revocations = %v, %v", revs, err)
	}
}

func testQueries(t *testing.T, b collector.Backend) {
	ctx := context.Background()
	mustVenue(t, b, "v1")
	mustVenue(t, b, "v2")
	d1 := mustDevice(t, b, "v1", "d1")
	d2 := mustDevice(t, b, "v2", "d2")
	card := "0123456789abcdef0123456789abcdef"
	// d1: a card at 09:10 and 09:50 in March; one record in April (another
	// month, so another partition where the backend partitions).
	r := []collector.Checkin{
		rec(d1, 1, base.Add(10*time.Minute), card),
		rec(d1, 2, base.Add(50*time.Minute), "ffffffffffffffffffffffffffffffff"),
		rec(d1, 3, base.AddDate(0, 1, 0), card),
	}
	// An unsynced record whose corrected time puts it at 09:30.
	un := rec(d1, 4, time.Unix(60, 0).UTC(), card)
	un.ClockSynced = false
	corr := base.Add(30 * time.Minute)
	un.CorrectedAt = &corr
	r = append(r, un)
	if ack, err := insert(ctx, b, d1, r); err != nil || ack != 4 {
		t.Fatalf("insert: %d %v", ack, err)
	}
	if _, err := insert(ctx, b, d2, []collector.Checkin{rec(d2, 1, base.Add(20*time.Minute), card)}); err != nil {
		t.Fatal(err)
	}
	at, err := b.VisitsAtVenue(ctx, "v1", base, base.Add(time.Hour))
	if err != nil || len(at) != 3 {
		t.Fatalf("VisitsAtVenue(v1, 09-10h) = %d rows, %v; want 3", len(at), err)
	}
	if at[0].Seq != 1 || at[1].Seq != 4 || at[2].Seq != 2 {
		t.Fatalf("not ordered by corrected time: %d %d %d", at[0].Seq, at[1].Seq, at[2].Seq)
	}
	if !at[1].At.Equal(time.Unix(60, 0)) || at[1].CorrectedAt == nil || !at[1].CorrectedAt.Equal(corr) || !at[1].Time.Equal(corr) || at[1].ClockSynced {
		t.Fatalf("corrected row lost a time: %+v", at[1])
	}
	if at[0].CardID != card || at[0].Name != "王*英" || at[0].Category != "elder" || at[0].Decision != "pass" {
		t.Fatalf("row fields: %+v", at[0])
	}
	// The end is exclusive, the start inclusive.
	if vs, _ := b.VisitsAtVenue(ctx, "v1", base.Add(10*time.Minute), base.Add(50*time.Minute)); len(vs) != 2 {
		t.Fatalf("half-open window: %d rows, want 2", len(vs))
	}
	wh, err := b.VisitsOfCard(ctx, strings.ToUpper(card), base, base.AddDate(0, 2, 0))
	if err != nil || len(wh) != 4 {
		t.Fatalf("VisitsOfCard = %d rows, %v; want 4", len(wh), err)
	}
	if wh[0].Venue != "v1" || wh[1].Venue != "v2" || wh[1].Device != "d2" || wh[3].Seq != 3 {
		t.Fatalf("VisitsOfCard order: %+v", wh)
	}
	if vs, err := b.VisitsOfCard(ctx, "", base, base.AddDate(1, 0, 0)); err != nil || len(vs) != 0 {
		t.Fatalf("empty card id matched %d rows", len(vs))
	}
}

// testRevisionClock checks that revisions follow the wall clock (in
// microseconds) from the start: a database rebuilt from nothing must
// publish lists newer than any a device holds from the old one.
func testRevisionClock(t *testing.T, b collector.Backend) {
	ctx := context.Background()
	r0, err := b.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The backend was opened before this line, within the last minute.
	if now := time.Now().UnixMicro(); r0 > now || r0 < now-int64(time.Minute/time.Microsecond) {
		t.Fatalf("a new backend's revision is %d, want the clock in µs (%d)", r0, now)
	}
	// Many changes within one clock tick still each raise the revision.
	prev := r0
	for i := range 20 {
		if err := b.RevokeCard(ctx, fmt.Sprintf("%032x", i+1), base); err != nil {
			t.Fatal(err)
		}
		r, _ := b.Revision(ctx)
		if r <= prev {
			t.Fatalf("revision %d -> %d after a revocation", prev, r)
		}
		prev = r
	}
	// The revisions did not run ahead of the clock, so a database rebuilt
	// a moment later (seeded from the clock) starts above all of them.
	time.Sleep(time.Millisecond)
	if now := time.Now().UnixMicro(); now <= prev {
		t.Fatalf("revision %d ran ahead of the clock %d", prev, now)
	}
}
