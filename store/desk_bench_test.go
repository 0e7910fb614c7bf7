package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"
)

// deskLedger fills a store with 90 days of 1000 check-ins a day (a busy
// venue's retention), each card a 32-digit id.
func deskLedger(b *testing.B) *Store {
	s, _ := openTemp(b, Options{})
	tx, _ := s.w.Begin()
	seq := 0
	for day := range 90 {
		for i := range 1000 {
			seq++
			sum := sha256.Sum256(fmt.Appendf(nil, "card-%d", i%300))
			at := t0.AddDate(0, 0, -day).Add(time.Duration(i) * 30 * time.Second)
			tx.Exec(`INSERT INTO checkins (seq, at_ns, boot_id, mono_ns, clock_synced, source, decision, reason,
				card_id, holder, category, grp, name) VALUES (?, ?, '', 0, 1, 'camera0', 'pass', 'pass', ?, 'h', 'elder', 0, '王*英')`,
				seq, at.UnixNano(), hex.EncodeToString(sum[:16]))
		}
	}
	tx.Exec(`UPDATE counters SET value = ? WHERE name = 'seq'`, seq)
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkDeskDay reads one day of a busy kiosk's ledger: the desk page.
func BenchmarkDeskDay(b *testing.B) {
	s := deskLedger(b)
	from := time.Date(t0.Year(), t0.Month(), t0.Day(), 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		rows, err := s.Rows(ctx, from, from.Add(24*time.Hour), "")
		if err != nil || len(rows) != 1000 {
			b.Fatal(err, len(rows))
		}
	}
}

// BenchmarkDeskLookup is a look-up by printed number over 30 days.
func BenchmarkDeskLookup(b *testing.B) {
	s := deskLedger(b)
	sum := sha256.Sum256([]byte("card-7"))
	prefix := hex.EncodeToString(sum[:4])
	b.ReportAllocs()
	for b.Loop() {
		rows, err := s.Rows(ctx, t0.AddDate(0, 0, -30), t0.Add(24*time.Hour), prefix)
		if err != nil || len(rows) == 0 {
			b.Fatal(err, len(rows))
		}
	}
}

// BenchmarkLastPassBusy is the duplicate window on the busy ledger, with
// the undone-pass check.
func BenchmarkLastPassBusy(b *testing.B) {
	s := deskLedger(b)
	sum := sha256.Sum256([]byte("card-7"))
	id := hex.EncodeToString(sum[:16])
	for b.Loop() {
		if _, ok, err := s.LastPass(ctx, id, t0.Add(-10*time.Minute)); err != nil || !ok {
			b.Fatal(err, ok)
		}
	}
}
