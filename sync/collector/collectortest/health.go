package collectortest

import (
	"context"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

// RunHealthSuite states the semantics of a collector.HealthStore: every
// enrolled device is listed, seen or not; a report replaces the last one,
// a request without one only moves the time seen; an older save never
// goes back; revocation shows.
func RunHealthSuite(t *testing.T, newBackend func(t *testing.T) collector.Backend) {
	b := newBackend(t)
	t.Cleanup(func() { b.Close() })
	hs, ok := b.(collector.HealthStore)
	if !ok {
		t.Fatalf("%T is no HealthStore", b)
	}
	ctx := context.Background()
	mustVenue(t, b, "v2")
	mustVenue(t, b, "v1")
	d1 := mustDevice(t, b, "v1", "dev-b")
	mustDevice(t, b, "v1", "dev-a")
	d3 := mustDevice(t, b, "v2", "dev-c")

	fleet := func() map[string]collector.DeviceHealth {
		t.Helper()
		ds, err := hs.Fleet(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		m := map[string]collector.DeviceHealth{}
		for _, d := range ds {
			order = append(order, d.Venue+"/"+d.Device)
			m[d.Device] = d
		}
		if want := []string{"v1/dev-a", "v1/dev-b", "v2/dev-c"}; len(order) != 3 || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] {
			t.Fatalf("fleet order %v, want %v", order, want)
		}
		return m
	}
	if m := fleet(); !m["dev-a"].LastSeen.IsZero() || m["dev-a"].Health != nil || m["dev-a"].Hardware != "test" || !m["dev-a"].EnrolledAt.Equal(base) {
		t.Fatalf("unseen device: %+v", m["dev-a"])
	}

	refuse := base.Add(5 * 24 * time.Hour)
	h := &wire.Health{Software: "1.2.3", Slot: "A", OutboxDepth: 4, OutboxOldest: wire.Duration(time.Minute),
		TrustKnown: true, TrustAge: wire.Duration(time.Hour), RefuseFrom: &refuse, ClockOffsetMS: 2500, ClockMeasured: true, LastError: "timeout"}
	if err := hs.SaveHealth(ctx, d1.ID, h, base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A bundle request without a report later: seen moves, the report stays.
	if err := hs.SaveHealth(ctx, d1.ID, nil, base.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	m := fleet()
	got := m["dev-b"]
	if !got.LastSeen.Equal(base.Add(2*time.Minute)) || !got.ReportedAt.Equal(base.Add(time.Minute)) || got.Health == nil {
		t.Fatalf("after report and a bare request: %+v", got)
	}
	if g := got.Health; g.Software != "1.2.3" || g.Slot != "A" || g.OutboxDepth != 4 || time.Duration(g.OutboxOldest) != time.Minute ||
		!g.TrustKnown || g.RefuseFrom == nil || !g.RefuseFrom.Equal(refuse) || g.ClockOffsetMS != 2500 || g.LastError != "timeout" {
		t.Fatalf("stored report: %+v", g)
	}
	// A late, older save (a slow request) does not go back.
	old := &wire.Health{Software: "1.0.0"}
	if err := hs.SaveHealth(ctx, d1.ID, old, base); err != nil {
		t.Fatal(err)
	}
	if got := fleet()["dev-b"]; got.Health.Software != "1.2.3" || !got.LastSeen.Equal(base.Add(2*time.Minute)) {
		t.Fatalf("older save replaced newer: %+v %+v", got, got.Health)
	}
	// A newer report replaces it.
	if err := hs.SaveHealth(ctx, d1.ID, &wire.Health{Software: "1.3.0", Slot: "B"}, base.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := fleet()["dev-b"]; got.Health.Software != "1.3.0" || got.Health.RefuseFrom != nil || !got.ReportedAt.Equal(base.Add(3*time.Minute)) {
		t.Fatalf("newer report: %+v %+v", got, got.Health)
	}
	if err := b.RevokeDevice(ctx, d3.ID, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := fleet()["dev-c"]; !got.RevokedAt.Equal(base.Add(time.Hour)) {
		t.Fatalf("revoked: %+v", got)
	}
}
