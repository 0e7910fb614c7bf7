package collector_test

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
	"github.com/scangate/scangate/sync/wire"
)

func newSQLite(t testing.TB) collector.Backend {
	b, err := collector.OpenSQLite(filepath.Join(t.TempDir(), "collector.db"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSQLiteSemantics(t *testing.T) {
	collectortest.RunBackendSuite(t, func(t *testing.T) collector.Backend { return newSQLite(t) })
}

// TestSQLiteCheckpointBesideWriter checks that commits leave the WAL to
// the checkpointer (the writer never checkpoints), and that a truncating
// checkpoint empties it without losing a row.
func TestSQLiteCheckpointBesideWriter(t *testing.T) {
	ctx := context.Background()
	// Only this test checkpoints: the background one would rewind the WAL.
	old := collector.SetSQLiteCheckpointEvery(time.Hour)
	path := filepath.Join(t.TempDir(), "collector.db")
	b, err := collector.OpenSQLite(path)
	collector.SetSQLiteCheckpointEvery(old)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CreateVenue(ctx, collector.Venue{ID: "v1", Policy: wire.DefaultPolicy()}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := b.CreateEnrollToken(ctx, collector.EnrollToken{Hash: "t", Venue: "v1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	pub := newKey(t).Public().(ed25519.PublicKey)
	d, err := b.Enroll(ctx, "t", collector.Device{ID: "d1", PublicKey: pub}, now)
	if err != nil {
		t.Fatal(err)
	}
	var seq uint64
	walSize := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// Well past SQLite's own autocheckpoint (1000 pages, 4 MiB).
	for walSize() < 6<<20 {
		var recs []collector.Checkin
		for _, r := range records(seqRange(seq+1, 500)...) {
			recs = append(recs, collector.Checkin{Device: d.ID, Venue: d.Venue, Received: now, Record: r})
		}
		seq += 500
		if res, err := b.InsertBatch(ctx, d, collector.Batch{Records: recs}); err != nil || res.AckSeq != seq {
			t.Fatalf("insert: ack %d, %v; want %d", res.AckSeq, err, seq)
		}
		if seq > 200000 {
			t.Fatalf("WAL still %d bytes after %d check-ins: is the writer checkpointing?", walSize(), seq)
		}
	}
	if err := collector.CheckpointSQLite(b, 0); err != nil {
		t.Fatal(err)
	}
	if n := walSize(); n != 0 {
		t.Fatalf("WAL %d bytes after a truncating checkpoint", n)
	}
	b.Close()
	b, err = collector.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got, err := b.Device(ctx, "d1"); err != nil || got.AckSeq != seq {
		t.Fatalf("after reopen: ack %d, %v; want %d", got.AckSeq, err, seq)
	}
}
