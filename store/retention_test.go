package store

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/scangate/scangate/clock"
)

// Retention applies to every row: a kiosk that never uploads keeps nothing
// past its retention, and what went unsent is accounted, not hidden.
func TestPurgeDropsUnsentAndAccountsForIt(t *testing.T) {
	clk := clock.NewFake(t0)
	s, _ := openTemp(t, Options{RetentionDays: 7, Now: clk.Now})
	for i := 1; i <= 5; i++ {
		c := sample(i)
		c.At = clk.Now()
		record(t, s, c)
		clk.Advance(24 * time.Hour) // one check-in a day
	}
	// Day 5: nothing is older than 7 days yet.
	if n, err := s.Purge(ctx, clk.Now()); err != nil || n != 0 {
		t.Fatalf("Purge before retention = %d, %v", n, err)
	}
	clk.Advance(3*24*time.Hour + time.Minute) // day 8: days 0 and 1 are past 7 days
	if n, err := s.Purge(ctx, clk.Now()); err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v; want the 2 rows older than 7 days, unsent as they are", n, err)
	}
	recs, _ := s.Outbox(ctx, 10, 1<<20)
	if got := seqs(recs); !slices.Equal(got, []int64{3, 4, 5}) {
		t.Fatalf("outbox after purge: %v", got)
	}
	st, _ := s.OutboxStats(ctx)
	if st.Purged != 2 || st.Depth != 3 || st.LastSeq != 5 {
		t.Errorf("stats %+v: want 2 purged, 3 queued, last seq 5", st)
	}
	// The batch's floor (first seq less one) skips 1..2: the ranges say why.
	rs, err := s.PurgedRanges(ctx, s.Ledger(), recs[0].Seq-1)
	if err != nil || !slices.Equal(rs, []SeqRange{{1, 2}}) {
		t.Fatalf("PurgedRanges = %v, %v; want [1,2]", rs, err)
	}
	// A later purge extends the range; seqs are never reused.
	clk.Advance(24 * time.Hour)
	if n, _ := s.Purge(ctx, clk.Now()); n != 1 {
		t.Fatalf("second purge = %d, want 1", n)
	}
	if rs, _ := s.PurgedRanges(ctx, s.Ledger(), 3); !slices.Equal(rs, []SeqRange{{1, 3}}) {
		t.Fatalf("ranges after the second purge: %v", rs)
	}
	if seq := record(t, s, sample(6)); seq != 6 {
		t.Errorf("next seq %d, want 6", seq)
	}
	// Once the collector's ack passes a range, it is not sent again.
	if _, err := s.Ack(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if rs, _ := s.PurgedRanges(ctx, s.Ledger(), 10); len(rs) != 0 {
		t.Errorf("ranges after ack 4: %v", rs)
	}
	if st, _ := s.OutboxStats(ctx); st.Purged != 3 {
		t.Errorf("purged counter %d, want 3 (it never goes back)", st.Purged)
	}
}

// Ranges stay apart where a queued row lies between them, so a batch never
// claims a row it is still sending was purged.
func TestPurgedRangesSplitAroundQueuedRows(t *testing.T) {
	now := t0.Add(30 * 24 * time.Hour)
	s, _ := openTemp(t, Options{RetentionDays: 7})
	old := func(i int) Checkin { c := sample(i); return c }
	young := func(i int) Checkin { c := sample(i); c.At = now.Add(-time.Hour); return c }
	for _, c := range []Checkin{old(1), old(2), young(3), old(4), young(5), old(6)} { // the clock jumped about
		record(t, s, c)
	}
	if n, err := s.Purge(ctx, now); err != nil || n != 4 {
		t.Fatalf("Purge = %d, %v; want 4", n, err)
	}
	rs, _ := s.PurgedRanges(ctx, s.Ledger(), 100)
	if !slices.Equal(rs, []SeqRange{{1, 2}, {4, 4}, {6, 6}}) {
		t.Fatalf("ranges %v, want [1,2] [4,4] [6,6]", rs)
	}
	if rs, _ := s.PurgedRanges(ctx, s.Ledger(), 2); !slices.Equal(rs, []SeqRange{{1, 2}}) {
		t.Errorf("ranges at or below the first batch's floor: %v", rs)
	}
	// Seq 3 goes up: its ack forgets [1,2] only.
	if _, err := s.Ack(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if rs, _ := s.PurgedRanges(ctx, s.Ledger(), 100); !slices.Equal(rs, []SeqRange{{4, 4}, {6, 6}}) {
		t.Errorf("ranges after ack 3: %v", rs)
	}
}

// A row whose time is implausible (a clock never set stamps 1970) has no
// known age: it is kept until uploaded. Uploaded, it may go.
func TestPurgeKeepsUnsentRowsOfUnknownAge(t *testing.T) {
	now := t0
	s, _ := openTemp(t, Options{RetentionDays: 7})
	c := sample(1)
	c.At = time.Unix(90, 0)
	seq := record(t, s, c)
	if n, _ := s.Purge(ctx, now); n != 0 {
		t.Fatalf("purged %d rows of unknown age", n)
	}
	// Corrected later, it has an age, and is young.
	if _, err := s.CorrectClock(ctx, c.BootID, ClockAnchor{Mono: c.Mono, Wall: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Purge(ctx, now); n != 0 {
		t.Fatalf("purged %d rows whose corrected time is an hour ago", n)
	}
	if _, err := s.Ack(ctx, seq); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Purge(ctx, now.Add(8*24*time.Hour)); n != 1 {
		t.Fatalf("uploaded and past retention by its corrected time, purged %d", n)
	}
}

// More rows than one purge transaction takes all go, in several.
func TestPurgeManyBatches(t *testing.T) {
	s, _ := openTemp(t, Options{RetentionDays: 1})
	n := purgeBatch*2 + 7
	for i := 1; i <= n; i++ {
		record(t, s, sample(i))
	}
	got, err := s.Purge(ctx, t0.Add(30*24*time.Hour))
	if err != nil || got != n {
		t.Fatalf("Purge = %d, %v; want %d", got, err, n)
	}
	if rs, _ := s.PurgedRanges(ctx, s.Ledger(), -1); !slices.Equal(rs, []SeqRange{{1, int64(n)}}) {
		t.Errorf("ranges %v, want one [1,%d]", rs, n)
	}
	if st, _ := s.OutboxStats(ctx); st.Depth != 0 || st.Purged != int64(n) {
		t.Errorf("stats %+v", st)
	}
}

// A recovered file keeps the damaged ledger's purged ranges, so those gaps
// still reach the collector as purged rather than lost.
func TestSalvageKeepsPurgedRanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scangate.db")
	s := openAt(t, path, Options{RetentionDays: 1})
	for i := 1; i <= 20; i++ {
		record(t, s, sample(i))
	}
	old := s.Ledger()
	// Rows 1..5 are past retention at this now; 6..20 are not.
	if n, err := s.Purge(ctx, sample(5).At.Add(24*time.Hour+time.Millisecond)); err != nil || n != 5 {
		t.Fatalf("Purge = %d, %v", n, err)
	}
	var root int64
	s.r.QueryRow(`SELECT rootpage FROM sqlite_schema WHERE name = 'checkins_pass_by_card'`).Scan(&root)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	corruptPage(t, path, root)
	s = openAt(t, path, Options{})
	if s.Health().Recovered == "" || s.Ledger() == old {
		t.Fatalf("not recovered: %+v", s.Health())
	}
	if rs, _ := s.PurgedRanges(ctx, old, 5); !slices.Equal(rs, []SeqRange{{1, 5}}) {
		t.Errorf("purged ranges of the damaged ledger: %v", rs)
	}
	if recs, _ := s.Outbox(ctx, 100, 1<<20); len(recs) != 15 || recs[0].Seq != 6 || recs[0].Ledger != old {
		t.Errorf("outbox after recovery: %d records from %v", len(recs), seqs(recs[:min(1, len(recs))]))
	}
}
