package collector_test

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/pgtest"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
	"github.com/scangate/scangate/sync/wire"
)

// newPostgres opens a backend in a fresh schema of the test database, so
// subtests never see each other's rows; the schema is dropped afterwards.
func newPostgres(t testing.TB) collector.Backend {
	be, err := collector.OpenPostgres(context.Background(), pgtest.SchemaDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	return be
}

func TestPostgresSemantics(t *testing.T) {
	pgtest.DSN(t)
	collectortest.RunBackendSuite(t, func(t *testing.T) collector.Backend { return newPostgres(t) })
}

func TestPostgresPartitionWindow(t *testing.T) {
	be := newPostgres(t).(*collector.Postgres)
	ctx := context.Background()
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	collector.SetPostgresClock(be, func() time.Time { return now })
	if err := be.CreateVenue(ctx, collector.Venue{ID: "v1", Policy: wire.DefaultPolicy()}); err != nil {
		t.Fatal(err)
	}
	if err := be.CreateEnrollToken(ctx, collector.EnrollToken{Hash: "h", Venue: "v1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	d, err := be.Enroll(ctx, "h", collector.Device{ID: "d1", PublicKey: pub}, now)
	if err != nil {
		t.Fatal(err)
	}
	at := func(seq uint64, ts time.Time) collector.Checkin {
		return collector.Checkin{Device: "d1", Venue: "v1", Received: now, Record: wire.Record{Seq: seq, At: ts, Decision: "pass", Reason: "pass", CardID: "c"}}
	}
	future := time.Date(2029, 7, 4, 0, 0, 0, 0, time.UTC)
	recs := []collector.Checkin{at(1, time.Unix(0, 0)), at(2, future), at(3, now)}
	if res, err := be.InsertBatch(ctx, d, collector.Batch{Records: recs}); err != nil || res.AckSeq != 3 {
		t.Fatalf("insert: %+v %v", res, err)
	}
	for seq, want := range map[uint64]string{1: "checkins_other", 2: "checkins_other", 3: "checkins_p202603"} {
		if got, err := collector.PostgresPartitionOf(ctx, be, "d1", seq); err != nil || got != want {
			t.Fatalf("seq %d in %q (%v), want %q", seq, got, err, want)
		}
	}
	// Years later the future month is inside the window: its partition is
	// created and the early row moves into it.
	now = future.Add(-24 * time.Hour)
	if res, err := be.InsertBatch(ctx, d, collector.Batch{Records: []collector.Checkin{at(4, future.Add(time.Hour))}}); err != nil || res.AckSeq != 4 {
		t.Fatalf("insert later: %+v %v", res, err)
	}
	for _, seq := range []uint64{2, 4} {
		if got, err := collector.PostgresPartitionOf(ctx, be, "d1", seq); err != nil || got != "checkins_p202907" {
			t.Fatalf("seq %d in %q (%v), want checkins_p202907", seq, got, err)
		}
	}
	vs, err := be.VisitsAtVenue(ctx, "v1", time.Unix(0, 0), future.AddDate(1, 0, 0))
	if err != nil || len(vs) != 4 {
		t.Fatalf("visits after the move: %d %v", len(vs), err)
	}
}
