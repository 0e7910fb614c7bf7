package collectortest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

// testPurgedGap: the seqs a floor skips that the batch's purged ranges
// cover are purged, not lost; seqs the collector holds count as neither.
func testPurgedGap(t *testing.T, b collector.Backend) {
	mustVenue(t, b, "v1")
	d := mustDevice(t, b, "v1", "d1")
	ingest(t, b, d, collector.Batch{Ledger: "A", Records: recs(d, 1, 2, 5)})
	// (2, 9]: 5 is held, 3..4 and 6..8 were purged unsent, 9 is lost.
	res := ingest(t, b, d, collector.Batch{Ledger: "A", Floor: 9, Purged: []wire.SeqRange{{Lo: 1, Hi: 4}, {Lo: 6, Hi: 8}}, Records: recs(d, 10)})
	if res.AckSeq != 10 || res.Purged != 5 || res.Lost != 1 {
		t.Fatalf("floor 9 over ack 2: %+v; want ack 10, 5 purged (3, 4, 6, 7, 8), 1 lost (9)", res)
	}
	if l := ledgerOf(t, b, "d1", "A"); l.Purged != 5 || l.Lost != 1 || l.AckSeq != 10 {
		t.Fatalf("ledger A = %+v", l)
	}
	// Ranges below the ack count nothing again.
	res = ingest(t, b, d, collector.Batch{Ledger: "A", Floor: 10, Purged: []wire.SeqRange{{Lo: 3, Hi: 8}}, Records: recs(d, 11)})
	if res.Purged != 0 || res.Lost != 0 || res.AckSeq != 11 {
		t.Fatalf("ranges already accounted: %+v", res)
	}
	if l := ledgerOf(t, b, "d1", "A"); l.Purged != 5 || l.Lost != 1 {
		t.Fatalf("ledger A after a repeat: %+v", l)
	}
}

func testVenueSettings(t *testing.T, b collector.Backend) {
	ctx := context.Background()
	v := collector.Venue{ID: "v1", Name: "图书馆", Policy: wire.DefaultPolicy(),
		VenueSettings: collector.VenueSettings{RetentionDays: 30, TimeZone: "Asia/Shanghai"}}
	if err := b.CreateVenue(ctx, v); err != nil {
		t.Fatal(err)
	}
	got, err := b.Venue(ctx, "v1")
	if err != nil || got.VenueSettings != v.VenueSettings {
		t.Fatalf("Venue = %+v, %v", got, err)
	}
	rev, _ := b.Revision(ctx)
	if err := b.SetVenueSettings(ctx, "v1", collector.VenueSettings{RetentionDays: 7}); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Venue(ctx, "v1"); got.RetentionDays != 7 || got.TimeZone != "" || got.Policy.Mode != wire.ModeVerify {
		t.Fatalf("after SetVenueSettings: %+v", got)
	}
	if now, _ := b.Revision(ctx); now != rev {
		t.Errorf("revision moved %d -> %d: the settings are in no bundle", rev, now)
	}
	if err := b.SetVenueSettings(ctx, "nope", collector.VenueSettings{}); !errors.Is(err, collector.ErrNotFound) {
		t.Fatalf("unknown venue: %v", err)
	}
}

// testRetention: a venue's retention deletes its acknowledged check-ins
// and kept-aside records older than the retention, and nothing else; a
// replay of a purged record is not stored again.
func testRetention(t *testing.T, b collector.Backend) {
	ctx := context.Background()
	mustVenue(t, b, "v1")
	mustVenue(t, b, "v2")
	if err := b.SetVenueSettings(ctx, "v1", collector.VenueSettings{RetentionDays: 30}); err != nil {
		t.Fatal(err)
	}
	d1, d2 := mustDevice(t, b, "v1", "d1"), mustDevice(t, b, "v2", "d2")
	day := 24 * time.Hour
	old := func(d collector.Device, seq uint64, age time.Duration) collector.Checkin {
		c := rec(d, seq, base.Add(-age), "0000000000000000000000000000000a")
		c.Seq = seq
		return c
	}
	// d1: 1..3 held and acknowledged (40, 35 and 10 days old); 5 held
	// above a gap (4 missing), 40 days old.
	ingest(t, b, d1, collector.Batch{Records: []collector.Checkin{old(d1, 1, 40*day), old(d1, 2, 35*day), old(d1, 3, 10*day), old(d1, 5, 40*day)}})
	ingest(t, b, d2, collector.Batch{Records: []collector.Checkin{old(d2, 1, 400*day)}}) // v2 keeps everything
	conflict := old(d1, 2, 35*day)
	conflict.Reason = "other"
	if res := ingest(t, b, d1, collector.Batch{Records: []collector.Checkin{conflict}}); len(res.Conflicts) != 1 {
		t.Fatalf("conflict not kept: %+v", res)
	}
	// Nothing is old enough yet at base - 36 days... move the clock on.
	ps, err := b.PurgeExpired(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Venue != "v1" || ps[0].Deleted[collector.TableCheckins] != 2 || !ps[0].Cutoff.Equal(base.Add(-30*day)) {
		t.Fatalf("PurgeExpired = %+v; want v1 only, 2 check-ins (1 and 2; 5 waits above the gap)", ps)
	}
	vs, _ := b.VisitsAtVenue(ctx, "v1", base.Add(-100*day), base.Add(day))
	if len(vs) != 2 || vs[0].Seq != 5 || vs[1].Seq != 3 {
		t.Fatalf("v1 after purge: %+v", vs)
	}
	if vs, _ := b.VisitsAtVenue(ctx, "v2", base.Add(-500*day), base.Add(day)); len(vs) != 1 {
		t.Fatalf("v2 (no retention) lost rows: %d left", len(vs))
	}
	// The conflict record was received at base: young, kept. A month on
	// it goes too, with 3.
	ps, err = b.PurgeExpired(ctx, base.Add(31*day))
	if err != nil || ps[0].Deleted[collector.TableConflicts] != 1 || ps[0].Deleted[collector.TableCheckins] != 1 {
		t.Fatalf("PurgeExpired a month on = %+v, %v", ps, err)
	}
	if cs, _ := b.Conflicts(ctx, "d1", 10); len(cs) != 0 {
		t.Fatalf("conflicts after purge: %+v", cs)
	}
	// A replay of purged 1..2 is recognised, not stored again.
	res := ingest(t, b, d1, collector.Batch{Records: []collector.Checkin{old(d1, 1, 40*day), old(d1, 2, 35*day)}})
	if res.AckSeq != 3 || len(res.Conflicts) != 0 {
		t.Fatalf("replay of purged seqs: %+v", res)
	}
	if vs, _ := b.VisitsAtVenue(ctx, "v1", base.Add(-100*day), base.Add(40*day)); len(vs) != 1 || vs[0].Seq != 5 {
		t.Fatalf("a replay brought purged rows back: %+v", vs)
	}
	// The gap fills: the ack walks over 5 still held.
	if res := ingest(t, b, d1, collector.Batch{Records: []collector.Checkin{old(d1, 4, 40*day)}}); res.AckSeq != 5 {
		t.Fatalf("gap filled: %+v, want ack 5", res)
	}
}

// testErase: erasing a card anonymises its check-ins (they stay as traces,
// so replays are recognised), deletes its registry entry and kept-aside
// records, audits by hash, and anonymises records of the card made before
// the erasure that arrive after it.
func testErase(t *testing.T, b collector.Backend) {
	ctx := context.Background()
	mustVenue(t, b, "v1")
	d := mustDevice(t, b, "v1", "d1")
	const card, other = "76ace3fa00000000000000000000000a", "0000000000000000000000000000000b"
	mk := func(seq uint64, min int, card, holder string) collector.Checkin {
		c := rec(d, seq, base.Add(time.Duration(min)*time.Minute), card)
		c.Holder = holder
		return c
	}
	// 1, 2, 4 of the card (4 held above the missing 3), 5 another card of
	// the same holder, 6 someone else.
	ingest(t, b, d, collector.Batch{Records: []collector.Checkin{mk(1, 1, card, "h-x"), mk(2, 2, card, "h-x"), mk(4, 4, card, "h-x"),
		mk(5, 5, "00000000000000000000000000000005", "h-x"), mk(6, 6, other, "h-y")}})
	changed := mk(2, 2, card, "h-x")
	changed.Reason = "revoked"
	ingest(t, b, d, collector.Batch{Records: []collector.Checkin{changed}}) // kept aside as a conflict
	if err := b.RecordCard(ctx, collector.Card{ID: card, Issuer: "i", Holder: "h-x", Name: "王*英", Category: "elder", IssuedAt: base, Expires: base.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	at := base.Add(time.Hour)
	if _, err := b.Erase(ctx, collector.Erasure{Kind: collector.EraseCard, Subject: card, At: at}); !errors.Is(err, collector.ErrBadRequest) {
		t.Fatalf("erasure without who asked: %v", err)
	}
	rep, err := b.Erase(ctx, collector.Erasure{Kind: collector.EraseCard, Subject: "76ACE3FA00000000000000000000000A", Actor: "王老师", At: at})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{collector.TableCheckins: 3, collector.TableConflicts: 1, collector.TableCards: 1}
	if !mapsEqual(rep.Deleted, want) || rep.Subject != collector.SubjectHash(collector.EraseCard, card) || rep.Actor != "王老师" {
		t.Fatalf("Erase = %+v; want %v", rep, want)
	}
	if vs, _ := b.VisitsOfCard(ctx, card, base, at); len(vs) != 0 {
		t.Fatalf("the erased card's visits: %+v", vs)
	}
	vs, _ := b.VisitsAtVenue(ctx, "v1", base, at)
	erased := 0
	for _, v := range vs {
		if v.Erased {
			erased++
			if v.CardID != "" || v.Holder != "" || v.Name != "" || v.Category != "" {
				t.Errorf("trace keeps personal data: %+v", v)
			}
		} else if v.CardID == card {
			t.Errorf("row of the erased card left: %+v", v)
		}
	}
	if len(vs) != 5 || erased != 3 {
		t.Fatalf("venue visits after erasure: %d rows, %d erased; want 5 and 3", len(vs), erased)
	}
	if cs, _ := b.Conflicts(ctx, "d1", 10); len(cs) != 0 {
		t.Fatalf("conflicts of the erased card kept: %+v", cs)
	}
	// A replay of erased records: recognised, neither stored nor a conflict.
	res := ingest(t, b, d, collector.Batch{Records: []collector.Checkin{mk(1, 1, card, "h-x"), mk(4, 4, card, "h-x")}})
	if len(res.Conflicts) != 0 || res.AckSeq != 2 {
		t.Fatalf("replay of erased records: %+v", res)
	}
	// 3 was made before the erasure and arrives after it (its kiosk was
	// offline): stored anonymised. 7 is a new visit, after the erasure.
	res = ingest(t, b, d, collector.Batch{Records: []collector.Checkin{mk(3, 3, card, "h-x"), mk(7, 90, card, "h-x")}})
	if res.AckSeq != 7 || len(res.Conflicts) != 0 {
		t.Fatalf("late records: %+v", res)
	}
	if vs, _ := b.VisitsOfCard(ctx, card, base, base.Add(2*time.Hour)); len(vs) != 1 || vs[0].Seq != 7 {
		t.Fatalf("visits of the card after the late batch: %+v; want only 7, made after the erasure", vs)
	}
	es, err := b.Erasures(ctx, 10)
	if err != nil || len(es) != 1 || es[0].Late != 1 || es[0].ID != rep.ID || !mapsEqual(es[0].Deleted, want) {
		t.Fatalf("Erasures = %+v, %v", es, err)
	}
	// The holder: 5 (another card) and 7 go; 6 of someone else stays.
	rep, err = b.Erase(ctx, collector.Erasure{Kind: collector.EraseHolder, Subject: "h-x", Actor: "admin", At: base.Add(2 * time.Hour)})
	if err != nil || rep.Deleted[collector.TableCheckins] != 2 || rep.Deleted[collector.TableCards] != 0 {
		t.Fatalf("Erase holder = %+v, %v", rep, err)
	}
	vs, _ = b.VisitsAtVenue(ctx, "v1", base, base.Add(3*time.Hour))
	for _, v := range vs {
		if !v.Erased && v.Holder != "h-y" {
			t.Errorf("holder h-x's row left: %+v", v)
		}
	}
	if es, _ := b.Erasures(ctx, 10); len(es) != 2 || es[0].Kind != collector.EraseHolder {
		t.Fatalf("audit newest first: %+v", es)
	}
}

// testCardNumber: the printed number finds every card that shares it.
func testCardNumber(t *testing.T, b collector.Backend) {
	ctx := context.Background()
	mustVenue(t, b, "v1")
	d := mustDevice(t, b, "v1", "d1")
	a, c := "76ace3fa000000000000000000000001", "76ace3fa0000000000000000000000ff"
	ingest(t, b, d, collector.Batch{Records: []collector.Checkin{rec(d, 1, base, a), rec(d, 2, base.Add(time.Minute), c),
		rec(d, 3, base.Add(2*time.Minute), "76ace3fb000000000000000000000001"), rec(d, 4, base.Add(3*time.Minute), "ffffffff000000000000000000000001")}})
	if err := b.RecordCard(ctx, collector.Card{ID: "76ace3fa0000000000000000000000cc", Issuer: "i", Holder: "h", Name: "x", Category: "elder", IssuedAt: base, Expires: base}); err != nil {
		t.Fatal(err)
	}
	vs, err := b.VisitsOfCardNumber(ctx, "76ace3fa", base, base.Add(time.Hour))
	if err != nil || len(vs) != 2 || vs[0].CardID != a || vs[1].CardID != c {
		t.Fatalf("VisitsOfCardNumber = %+v, %v", vs, err)
	}
	if vs, _ := b.VisitsOfCardNumber(ctx, "FFFFFFFF", base, base.Add(time.Hour)); len(vs) != 1 {
		t.Fatalf("the highest number: %+v", vs)
	}
	ids, err := b.CardsByNumber(ctx, "76ace3fa")
	if err != nil || !slices.Equal(ids, []string{a, "76ace3fa0000000000000000000000cc", c}) {
		t.Fatalf("CardsByNumber = %v, %v", ids, err)
	}
	if ids, _ := b.CardsByNumber(ctx, "12345678"); len(ids) != 0 {
		t.Fatalf("unknown number: %v", ids)
	}
	if _, err := b.VisitsOfCardNumber(ctx, "76ac-e3fa", base, base); !errors.Is(err, collector.ErrBadRequest) {
		t.Fatalf("malformed number: %v", err)
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
