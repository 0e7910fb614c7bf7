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

// insert stores recs in the device's "" ledger and returns the ack.
func insert(ctx context.Context, b collector.Backend, d collector.Device, recs []collector.Checkin) (uint64, error) {
	res, err := b.InsertBatch(ctx, d, collector.Batch{Records: recs, Now: base})
	return res.AckSeq, err
}

func ingest(t *testing.T, b collector.Backend, d collector.Device, batch collector.Batch) collector.IngestResult {
	t.Helper()
	if batch.Now.IsZero() {
		batch.Now = base
	}
	res, err := b.InsertBatch(context.Background(), d, batch)
	if err != nil {
		t.Fatalf("InsertBatch(ledger %q, floor %d): %v", batch.Ledger, batch.Floor, err)
	}
	return res
}

func ledgerOf(t *testing.T, b collector.Backend, device, ledger string) collector.Ledger {
	t.Helper()
	ls, err := b.Ledgers(context.Background(), device)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Ledger == ledger {
			return l
		}
	}
	t.Fatalf("device %s has no ledger %q: %+v", device, ledger, ls)
	return collector.Ledger{}
}

// testLedgers: a recovered database starts a new ledger from seq 1; its
// records are new check-ins, not replays of the old ledger's, and each
// ledger has its own ack. Queries return both.
func testLedgers(t *testing.T, b collector.Backend) {
	ctx := context.Background()
	mustVenue(t, b, "v1")
	d := mustDevice(t, b, "v1", "d1")
	if res := ingest(t, b, d, collector.Batch{Records: recs(d, 1, 2, 3)}); res.AckSeq != 3 || len(res.Conflicts) != 0 {
		t.Fatalf("old ledger: %+v", res)
	}
	// The new database numbers from 1 again, with other content.
	fresh := recs(d, 1, 2)
	for i := range fresh {
		fresh[i].Reason, fresh[i].CardID = "pass-new", "ffffffffffffffffffffffffffffff0"+string(rune('0'+i))
	}
	res := ingest(t, b, d, collector.Batch{Ledger: "L2", Records: fresh})
	if res.AckSeq != 2 || len(res.Conflicts) != 0 {
		t.Fatalf("new ledger from seq 1: %+v; want ack 2 and no conflict", res)
	}
	if res := ingest(t, b, d, collector.Batch{Ledger: "L2", Records: fresh[1:]}); res.AckSeq != 2 || len(res.Conflicts) != 0 {
		t.Fatalf("replay in the new ledger: %+v", res)
	}
	if res := ingest(t, b, d, collector.Batch{Records: recs(d, 4)}); res.AckSeq != 4 {
		t.Fatalf("old ledger after the new one: %+v", res)
	}
	if got, _ := b.Device(ctx, "d1"); got.AckSeq != 4 {
		t.Fatalf(`Device.AckSeq = %d, want the "" ledger's 4`, got.AckSeq)
	}
	ls, err := b.Ledgers(ctx, "d1")
	if err != nil || len(ls) != 2 {
		t.Fatalf("Ledgers = %+v, %v", ls, err)
	}
	if l := ledgerOf(t, b, "d1", "L2"); l.AckSeq != 2 || l.Lost != 0 || l.Conflicts != 0 || !l.FirstSeen.Equal(base) {
		t.Fatalf("ledger L2 = %+v", l)
	}
	vs, err := b.VisitsAtVenue(ctx, "v1", base, base.Add(time.Hour))
	if err != nil || len(vs) != 6 {
		t.Fatalf("VisitsAtVenue = %d rows, %v; want 6 (4 + 2, ledger-distinct)", len(vs), err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.Ledger+"/"+string(rune('0'+v.Seq)))
	}
	slices.Sort(got)
	if want := []string{"/1", "/2", "/3", "/4", "L2/1", "L2/2"}; !slices.Equal(got, want) {
		t.Fatalf("visits %v, want %v", got, want)
	}
	card := fresh[0].CardID
	if wh, err := b.VisitsOfCard(ctx, card, base, base.Add(time.Hour)); err != nil || len(wh) != 1 || wh[0].Ledger != "L2" || wh[0].Reason != "pass-new" {
		t.Fatalf("VisitsOfCard(new ledger's card) = %+v, %v", wh, err)
	}
	// Another device's ledger of the same name is its own.
	d2 := mustDevice(t, b, "v1", "d2")
	if res := ingest(t, b, d2, collector.Batch{Ledger: "L2", Records: recs(d2, 2)}); res.AckSeq != 0 {
		t.Fatalf("d2's L2 ack %d, want 0", res.AckSeq)
	}
}

// testFloor: a salvaged ledger with a hole drains, and the hole is counted
// as lost.
func testFloor(t *testing.T, b collector.Backend) {
	mustVenue(t, b, "v1")
	d := mustDevice(t, b, "v1", "d1")
	// Held: 1..3 and 6. The device lost 4, 5 and 7..9 with its file; it
	// salvaged 10..11 and promises nothing unsent at or below 9.
	ingest(t, b, d, collector.Batch{Ledger: "A", Records: recs(d, 1, 2, 3, 6)})
	res := ingest(t, b, d, collector.Batch{Ledger: "A", Floor: 9, Records: recs(d, 10, 11)})
	if res.AckSeq != 11 || res.Lost != 5 {
		t.Fatalf("floor 9 over ack 3 with 6 held: %+v; want ack 11, 5 lost (4, 5, 7, 8, 9)", res)
	}
	if l := ledgerOf(t, b, "d1", "A"); l.AckSeq != 11 || l.Lost != 5 {
		t.Fatalf("ledger A = %+v", l)
	}
	// A floor below the ack changes nothing and loses nothing.
	if res := ingest(t, b, d, collector.Batch{Ledger: "A", Floor: 5, Records: recs(d, 12)}); res.AckSeq != 12 || res.Lost != 0 {
		t.Fatalf("floor below the ack: %+v", res)
	}
	// A floor on a ledger not seen before starts its ack there.
	if res := ingest(t, b, d, collector.Batch{Ledger: "B", Floor: 100, Records: recs(d, 102)}); res.AckSeq != 100 || res.Lost != 100 {
		t.Fatalf("floor on a new ledger: %+v; want ack 100 (101 missing), 100 lost", res)
	}
	if res := ingest(t, b, d, collector.Batch{Ledger: "B", Floor: 100, Records: recs(d, 101)}); res.AckSeq != 102 || res.Lost != 0 {
		t.Fatalf("filling above the floor: %+v", res)
	}
	if l := ledgerOf(t, b, "d1", "B"); l.AckSeq != 102 || l.Lost != 100 {
		t.Fatalf("ledger B = %+v", l)
	}
}

// testConflicts: a seq held with other content is kept aside, counted once
// and reported in every ack that carries it; the same content (even with
// a later time correction) is a replay.
func testConflicts(t *testing.T, b collector.Backend) {
	ctx := context.Background()
	mustVenue(t, b, "v1")
	d := mustDevice(t, b, "v1", "d1")
	ingest(t, b, d, collector.Batch{Records: recs(d, 1, 2, 3)})
	// The same records, one corrected by the device since: no conflict.
	again := recs(d, 1, 2, 3)
	corr := base.Add(time.Hour)
	again[1].CorrectedAt = &corr
	again[2].At = again[2].At.Add(300 * time.Nanosecond) // below the microsecond both backends keep
	if res := ingest(t, b, d, collector.Batch{Records: again}); len(res.Conflicts) != 0 || res.AckSeq != 3 {
		t.Fatalf("replay with a correction: %+v; want no conflict", res)
	}
	// An old-firmware device whose database was recovered numbers from 1
	// again in the "" ledger: seq 2 and 3 now hold other check-ins.
	clash := recs(d, 2, 3, 4)
	clash[0].CardID, clash[0].Name = "0123456789abcdef0123456789abcdef", "李*明"
	clash[1].Decision, clash[1].Reason = wire.DecisionFail, "revoked"
	res := ingest(t, b, d, collector.Batch{Records: clash})
	if !slices.Equal(res.Conflicts, []uint64{2, 3}) || res.NewConflicts != 2 || res.AckSeq != 4 {
		t.Fatalf("conflicting batch: %+v; want conflicts [2 3], 2 new, ack 4", res)
	}
	// Sent again (the ack was lost): reported again, not kept twice.
	res = ingest(t, b, d, collector.Batch{Records: clash})
	if len(res.Conflicts) != 2 || res.NewConflicts != 0 {
		t.Fatalf("conflicts resent: %+v; want 2 reported, 0 new", res)
	}
	// Two records of one seq in one batch: the first is stored, the second
	// is a conflict.
	dup := recs(d, 5, 5)
	dup[1].Reason = "second"
	if res := ingest(t, b, d, collector.Batch{Records: dup}); !slices.Equal(res.Conflicts, []uint64{5}) || res.AckSeq != 5 {
		t.Fatalf("one seq twice in a batch: %+v", res)
	}
	if l := ledgerOf(t, b, "d1", ""); l.Conflicts != 3 || l.AckSeq != 5 {
		t.Fatalf(`ledger "" = %+v; want 3 conflicts kept`, l)
	}
	// The held rows are unchanged; the conflicting ones are kept whole.
	vs, _ := b.VisitsAtVenue(ctx, "v1", base, base.Add(time.Hour))
	if len(vs) != 5 || vs[1].Reason != "pass" || vs[1].Name != "王*英" || vs[4].Reason != "pass" {
		t.Fatalf("held rows changed: %+v", vs)
	}
	cs, err := b.Conflicts(ctx, "d1", 10)
	if err != nil || len(cs) != 3 {
		t.Fatalf("Conflicts = %+v, %v", cs, err)
	}
	bySeq := map[uint64]wire.Record{}
	for _, c := range cs {
		if c.Device != "d1" || c.Ledger != "" || !c.Received.Equal(base) {
			t.Fatalf("conflict %+v", c)
		}
		bySeq[c.Record.Seq] = c.Record
	}
	if bySeq[2].Name != "李*明" || bySeq[2].CardID != clash[0].CardID || bySeq[3].Reason != "revoked" || bySeq[5].Reason != "second" {
		t.Fatalf("conflicting records not kept whole: %+v", bySeq)
	}
	if cs, _ := b.Conflicts(ctx, "d1", 1); len(cs) != 1 {
		t.Fatalf("Conflicts limit 1: %d rows", len(cs))
	}
}

// testRecoveries: a recovery is kept once however many batches carry it.
func testRecoveries(t *testing.T, b collector.Backend) {
	ctx := context.Background()
	mustVenue(t, b, "v1")
	d := mustDevice(t, b, "v1", "d1")
	r1 := wire.Recovery{At: base.Add(-time.Hour), Ledger: "", Salvaged: 30, Lost: 10}
	r2 := wire.Recovery{At: base.Add(-time.Minute), Ledger: "L2", Salvaged: 0, Lost: -1}
	ingest(t, b, d, collector.Batch{Ledger: "L2", Records: recs(d, 1), Recoveries: []wire.Recovery{r1}})
	ingest(t, b, d, collector.Batch{Ledger: "L3", Records: recs(d, 1), Recoveries: []wire.Recovery{r1, r2}, Now: base.Add(time.Minute)})
	ingest(t, b, d, collector.Batch{Ledger: "L3", Records: recs(d, 2), Recoveries: []wire.Recovery{r1, r2}, Now: base.Add(2 * time.Minute)})
	rs, err := b.Recoveries(ctx, "d1")
	if err != nil || len(rs) != 2 {
		t.Fatalf("Recoveries = %+v, %v; want 2", rs, err)
	}
	if !rs[0].At.Equal(r1.At) || rs[0].Salvaged != 30 || rs[0].Lost != 10 || rs[0].Ledger != "" ||
		!rs[1].At.Equal(r2.At) || rs[1].Lost != -1 || rs[1].Ledger != "L2" {
		t.Fatalf("Recoveries = %+v", rs)
	}
	if rs, _ := b.Recoveries(ctx, "d2"); len(rs) != 0 {
		t.Fatalf("another device's recoveries: %+v", rs)
	}
}

// testNonces: a nonce is refused while unexpired, by any holder of the
// backend; a batch with a used nonce stores nothing; sweeping drops
// expired nonces only.
func testNonces(t *testing.T, b collector.Backend) {
	ctx := context.Background()
	exp := base.Add(5 * time.Minute)
	if err := b.UseNonce(ctx, "d1/aa", exp, base); err != nil {
		t.Fatal(err)
	}
	if err := b.UseNonce(ctx, "d1/aa", exp, base.Add(time.Minute)); !errors.Is(err, collector.ErrReplay) {
		t.Fatalf("nonce used twice: %v, want ErrReplay", err)
	}
	if err := b.UseNonce(ctx, "d2/aa", exp, base); err != nil {
		t.Fatalf("same nonce, other device: %v", err)
	}
	// After its expiry the window alone refuses the old request; the
	// nonce may be used again.
	if err := b.UseNonce(ctx, "d1/aa", exp.Add(5*time.Minute), exp); err != nil {
		t.Fatalf("nonce after expiry: %v", err)
	}
	mustVenue(t, b, "v1")
	d := mustDevice(t, b, "v1", "d1")
	if err := b.UseNonce(ctx, "d1/bb", exp, base); err != nil {
		t.Fatal(err)
	}
	_, err := b.InsertBatch(ctx, d, collector.Batch{Records: recs(d, 1), Nonce: "d1/bb", NonceExpires: exp, Now: base})
	if !errors.Is(err, collector.ErrReplay) {
		t.Fatalf("batch with a used nonce: %v, want ErrReplay", err)
	}
	if vs, _ := b.VisitsAtVenue(ctx, "v1", base, base.Add(time.Hour)); len(vs) != 0 {
		t.Fatalf("a replayed batch stored %d rows", len(vs))
	}
	if res := ingest(t, b, d, collector.Batch{Records: recs(d, 1), Nonce: "d1/cc", NonceExpires: exp}); res.AckSeq != 1 {
		t.Fatalf("batch with a fresh nonce: %+v", res)
	}
	if _, err := b.InsertBatch(ctx, d, collector.Batch{Records: recs(d, 2), Nonce: "d1/cc", NonceExpires: exp, Now: base}); !errors.Is(err, collector.ErrReplay) {
		t.Fatalf("batch nonce reused: %v", err)
	}
	// Swept at exp: d2/aa, d1/bb and d1/cc expire then; d1/aa later.
	n, err := b.SweepNonces(ctx, exp)
	if err != nil || n != 3 {
		t.Fatalf("SweepNonces = %d, %v; want 3", n, err)
	}
	if err := b.UseNonce(ctx, "d1/aa", exp.Add(6*time.Minute), exp.Add(time.Minute)); !errors.Is(err, collector.ErrReplay) {
		t.Fatalf("an unexpired nonce was swept: %v", err)
	}
}
