package store

import "testing"

// BenchmarkRecordCheckin is one durable check-in: the transaction and the
// WAL fsync of synchronous=FULL on this machine's disk.
func BenchmarkRecordCheckin(b *testing.B) {
	s, _ := openTemp(b, Options{})
	c := sample(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.RecordCheckin(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOutbox reads one uplink batch (500 records) from a deep queue.
func BenchmarkOutbox(b *testing.B) {
	s, _ := openTemp(b, Options{})
	tx, _ := s.w.Begin()
	tx.Exec(`UPDATE counters SET value = 10000 WHERE name = 'seq'`)
	for i := 1; i <= 10000; i++ {
		c := sample(i)
		tx.Exec(`INSERT INTO checkins (seq, at_ns, boot_id, mono_ns, clock_synced, source, decision, reason,
			card_id, holder, category, grp, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			i, c.At.UnixNano(), c.BootID, int64(c.Mono), c.ClockSynced, c.Source, c.Decision, c.Reason,
			c.CardID, c.Holder, c.Category, c.Group, c.Name)
		tx.Exec(`INSERT INTO outbox (seq) VALUES (?)`, i)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		recs, err := s.Outbox(ctx, 500, 256<<10)
		if err != nil || len(recs) == 0 {
			b.Fatal(err, len(recs))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/500, "ns/record")
}

// BenchmarkLastPass is the duplicate-window lookup the gate makes per card.
func BenchmarkLastPass(b *testing.B) {
	s, _ := openTemp(b, Options{})
	for i := 0; i < 200; i++ {
		record(b, s, sample(i))
	}
	c := sample(100)
	for b.Loop() {
		if _, ok, err := s.LastPass(ctx, c.CardID, t0); err != nil || !ok {
			b.Fatal(err)
		}
	}
}
