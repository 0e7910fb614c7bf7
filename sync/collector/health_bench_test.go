package collector_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

// BenchmarkSaveHealth is one bundle request's health write (a report
// replacing the last one) on SQLite, from 8 devices at once.
func BenchmarkSaveHealth(b *testing.B) {
	be := newSQLite(b)
	defer be.Close()
	ctx := context.Background()
	if err := be.CreateVenue(ctx, collector.Venue{ID: "v1", Name: "v", Policy: wire.DefaultPolicy()}); err != nil {
		b.Fatal(err)
	}
	hs := be.(collector.HealthStore)
	const devices = 8
	now := time.Now()
	for i := range devices {
		hash := fmt.Sprintf("h%d", i)
		be.CreateEnrollToken(ctx, collector.EnrollToken{Hash: hash, Venue: "v1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
		if _, err := be.Enroll(ctx, hash, collector.Device{ID: fmt.Sprintf("d%d", i), PublicKey: newKey(b).Public().(ed25519.PublicKey)}, now); err != nil {
			b.Fatal(err)
		}
	}
	refuse := now.Add(7 * 24 * time.Hour)
	h := &wire.Health{Software: "1.0.0", Slot: "A", TrustKnown: true, RefuseFrom: &refuse, ClockMeasured: true}
	b.SetParallelism(devices)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if err := hs.SaveHealth(ctx, fmt.Sprintf("d%d", i%devices), h, time.Now()); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
