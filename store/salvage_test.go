package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pageHolding returns the 1-based page of a closed database file that
// holds needle.
func pageHolding(t *testing.T, path string, needle []byte) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, needle)
	if i < 0 || bytes.Contains(b[i+1:], needle) {
		t.Fatalf("%q found %d times", needle, bytes.Count(b, needle))
	}
	return int64(i/4096) + 1
}

// tableRow is the bytes of sample(i)'s card id and holder as they sit side
// by side in a checkins table row (the index holds only the card id).
func tableRow(i int) []byte { return []byte(fmt.Sprintf("card-%03dh-%d", i, i)) }

// A corrupt page in the middle of the check-ins costs only the rows on it;
// the rest of the queue is salvaged under the old file's ledger, the new
// file starts a ledger of its own, and status and the uplink learn the
// counts.
func TestCorruptCheckinPageSalvagesTheRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scangate.db")
	s := openAt(t, path, Options{})
	oldLedger := s.Ledger()
	for i := 1; i <= 600; i++ {
		record(t, s, sample(i))
	}
	s.Ack(ctx, 100)
	s.Close()
	corruptPage(t, path, pageHolding(t, path, tableRow(350)))

	s = openAt(t, path, Options{})
	if s.Health().Recovered == "" {
		t.Fatal("corruption not noticed")
	}
	recs, err := s.Recoveries(ctx)
	if err != nil || len(recs) != 1 {
		t.Fatalf("recoveries %+v %v", recs, err)
	}
	r := recs[0]
	if r.Ledger != oldLedger || r.Lost <= 0 || r.Lost > 40 || r.Salvaged+r.Lost != 500 {
		t.Fatalf("recovery %+v: want the old ledger, 500 queued rows between salvaged and a few lost", r)
	}
	if s.Ledger() == oldLedger || s.Ledger() == "" {
		t.Fatalf("new file kept ledger %q", s.Ledger())
	}
	out, _ := s.Outbox(ctx, 1000, 1<<30)
	if int64(len(out)) != r.Salvaged || out[0].Seq != 101 || out[len(out)-1].Seq != 600 {
		t.Fatalf("outbox %d rows %d..%d", len(out), out[0].Seq, out[len(out)-1].Seq)
	}
	for _, o := range out {
		if o.Ledger != oldLedger || o.CardID != sample(int(o.Seq)).CardID {
			t.Fatalf("salvaged row %d: ledger %q card %q", o.Seq, o.Ledger, o.CardID)
		}
	}
	if !strings.Contains(s.Health().Salvage, fmt.Sprintf("checkins(%d)", r.Lost)) {
		t.Errorf("salvage detail %q does not name the loss", s.Health().Salvage)
	}
	// New check-ins: the next seq, the new ledger, after the salvaged ones.
	if seq := record(t, s, sample(601)); seq != 601 {
		t.Fatalf("seq after recovery %d", seq)
	}
	all, _ := s.Outbox(ctx, 1000, 1<<30)
	if len(all) != len(out) {
		t.Fatalf("one batch mixes ledgers: %d records", len(all))
	}
	// The salvaged ledger drains first; the collector may ack it beyond
	// what the file kept (it holds rows the file lost).
	if n, err := s.AckLedger(ctx, oldLedger, 10_000); err != nil || int64(n) != r.Salvaged {
		t.Fatalf("ack old ledger: %d %v", n, err)
	}
	rest, _ := s.Outbox(ctx, 1000, 1<<30)
	if len(rest) != 1 || rest[0].Seq != 601 || rest[0].Ledger != s.Ledger() {
		t.Fatalf("after the old ledger drained: %+v", rest)
	}
	if _, err := s.AckLedger(ctx, s.Ledger(), 602); !errors.Is(err, ErrAckAhead) {
		t.Fatalf("ack beyond this file's own seqs: %v", err)
	}
}

// With the counters page gone the queue is bounded by the outbox, and new
// check-ins still number above every salvaged row (no UNIQUE failure that
// would fault every card).
func TestCorruptCountersStillNumbersAbove(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scangate.db")
	s := openAt(t, path, Options{})
	for i := 1; i <= 50; i++ {
		record(t, s, sample(i))
	}
	s.Ack(ctx, 20)
	var root int64
	s.r.QueryRow(`SELECT rootpage FROM sqlite_schema WHERE name = 'counters'`).Scan(&root)
	s.Close()
	corruptPage(t, path, root)

	s = openAt(t, path, Options{})
	recs, _ := s.Recoveries(ctx)
	if len(recs) != 1 || recs[0].Salvaged != 30 || recs[0].Lost != 0 {
		t.Fatalf("recoveries %+v", recs)
	}
	for i := 51; i <= 60; i++ {
		if seq := record(t, s, sample(i)); seq != int64(i) {
			t.Fatalf("seq %d for check-in %d", seq, i)
		}
	}
	if h := s.Health(); h.Fault() {
		t.Fatalf("health %+v", h)
	}
}

// A file that is garbage through and through: nothing salvaged, the loss
// unknown, a new ledger so the numbering from 1 again cannot collide.
func TestGarbageFileNewLedgerLossUnknown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scangate.db")
	s := openAt(t, path, Options{})
	old := s.Ledger()
	s.Close()
	os.WriteFile(path, bytes.Repeat([]byte("not a database "), 1000), 0o600)
	s = openAt(t, path, Options{})
	recs, _ := s.Recoveries(ctx)
	if len(recs) != 1 || recs[0].Lost != -1 || recs[0].Salvaged != 0 {
		t.Fatalf("recoveries %+v", recs)
	}
	if s.Ledger() == old || s.Ledger() == "" {
		t.Fatalf("ledger %q after whole-file loss (was %q)", s.Ledger(), old)
	}
}

// mountTiny mounts a tmpfs of size bytes, the way a small data partition
// fills for real (ENOSPC on the WAL, not a page-count cap).
func mountTiny(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fillUp fills the partition with a file leaving room for some hundred
// check-ins, then with check-ins from sample(from), checkpointing every 20
// as an idle door does (which empties the WAL file), until the store
// reports it full; it returns the last seq stored.
func fillUp(t *testing.T, s *Store, filler string, from int) int64 {
	t.Helper()
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for {
		u, err := s.Usage()
		if err != nil {
			t.Fatal(err)
		}
		if u.FreeBytes < 160<<10 {
			break
		}
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	f.Close()
	var last int64
	for i := from; i < from+100_000; i++ {
		if i%20 == 0 {
			s.Checkpoint(ctx)
		}
		seq, err := s.RecordCheckin(ctx, sample(i))
		if err != nil {
			if !errors.Is(err, ErrFull) || s.Health().State != StateFull {
				t.Fatalf("check-in %d: %v, health %+v", i, err, s.Health())
			}
			return last
		}
		last = seq
	}
	t.Fatal("the partition never filled")
	return 0
}

// On a partition that is really full, health clears by itself once space
// returns, without a card having to come; and acks and purges still go
// through (the reserve is released for them).
func TestFullPartitionAcksAndRecovers(t *testing.T) {
	dir := mountTiny(t, 2<<20)
	s := openAt(t, filepath.Join(dir, "scangate.db"), Options{ReserveBytes: 256 << 10, CheckpointAfter: -1})
	filler := filepath.Join(dir, "filler")
	last := fillUp(t, s, filler, 1)
	if err := s.Probe(ctx); !errors.Is(err, ErrFull) || s.Health().State != StateFull {
		t.Fatalf("probe on a full partition: %v, health %+v", err, s.Health())
	}
	os.Remove(filler)
	if err := s.Probe(ctx); err != nil {
		t.Fatalf("probe once space is back: %v", err)
	}
	if h := s.Health(); h.Fault() {
		t.Fatalf("health after space returned: %+v", h)
	}
	if _, err := os.Stat(s.reservePath()); err != nil {
		t.Fatalf("reserve not restored: %v", err)
	}

	// Full again; this time the collector's ack arrives first.
	last = fillUp(t, s, filler, int(last)+1)
	if _, err := s.Ack(ctx, last); err != nil {
		t.Fatalf("ack on a full partition: %v", err)
	}
	if out, _ := s.Outbox(ctx, 10, 1<<20); len(out) != 0 {
		t.Fatalf("outbox after ack: %d", len(out))
	}
	if _, err := s.Purge(ctx, t0.AddDate(1, 0, 0)); err != nil {
		t.Fatalf("purge on a full partition: %v", err)
	}
}
