package collector_test

import (
	"context"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/promtest"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
	"github.com/scangate/scangate/sync/wire"
)

func TestSQLiteHealth(t *testing.T) {
	collectortest.RunHealthSuite(t, func(t *testing.T) collector.Backend { return newSQLite(t) })
}

func TestPostgresHealth(t *testing.T) {
	collectortest.RunHealthSuite(t, func(t *testing.T) collector.Backend { return newPostgres(t) })
}

func TestJudge(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	day := 24 * time.Hour
	healthy := func() *wire.Health {
		return &wire.Health{TrustKnown: true, RefuseFrom: at(20 * day), ClockMeasured: true}
	}
	seen := func(ago time.Duration, h *wire.Health) collector.DeviceHealth {
		return collector.DeviceHealth{Device: "k1", Hardware: "rpi4", EnrolledAt: now.Add(-30 * day), LastSeen: now.Add(-ago), Health: h}
	}
	var rules collector.FleetRules
	for _, c := range []struct {
		name    string
		d       collector.DeviceHealth
		state   string
		reasons []string
	}{
		{"fresh", seen(10*time.Second, healthy()), "green", nil},
		{"old device without report", seen(10*time.Second, nil), "green", nil},
		{"late", seen(5*time.Minute, healthy()), "amber", []string{"late"}},
		{"unseen", seen(16*time.Minute, healthy()), "red", []string{"unseen"}},
		{"never seen long after enrolment", collector.DeviceHealth{Device: "k", EnrolledAt: now.Add(-time.Hour)}, "red", []string{"never_seen"}},
		{"never seen just enrolled", collector.DeviceHealth{Device: "k", EnrolledAt: now.Add(-time.Minute)}, "amber", []string{"never_seen"}},
		{"refusing", seen(0, &wire.Health{TrustKnown: true, RefuseFrom: at(-time.Hour)}), "red", []string{"refusing"}},
		{"no trust data", seen(0, &wire.Health{}), "red", []string{"refusing"}},
		{"refuse in 2 days", seen(0, &wire.Health{TrustKnown: true, RefuseFrom: at(2 * day)}), "red", []string{"refuse_soon"}},
		{"refuse in 4 days", seen(0, &wire.Health{TrustKnown: true, RefuseFrom: at(4 * day)}), "amber", []string{"refuse_soon"}},
		{"refuse in 7 days (max_trust_age, in touch)", seen(0, &wire.Health{TrustKnown: true, RefuseFrom: at(7 * day)}), "green", nil},
		{"clock", seen(0, &wire.Health{TrustKnown: true, ClockOffsetMS: -90_000, ClockMeasured: true}), "amber", []string{"clock"}},
		{"clock not measured", seen(0, &wire.Health{TrustKnown: true, ClockOffsetMS: -90_000}), "green", nil},
		{"outbox old", seen(0, &wire.Health{TrustKnown: true, OutboxDepth: 3, OutboxOldest: wire.Duration(time.Hour)}), "amber", []string{"outbox"}},
		{"error", seen(0, &wire.Health{TrustKnown: true, LastError: "x"}), "amber", []string{"error"}},
		{"unseen and clock", seen(time.Hour, &wire.Health{TrustKnown: true, ClockOffsetMS: 120_000, ClockMeasured: true}), "red", []string{"unseen", "clock"}},
		{"revoked", collector.DeviceHealth{Device: "k", RevokedAt: now, EnrolledAt: now.Add(-day)}, "revoked", nil},
		{"desk never alarms", collector.DeviceHealth{Device: "desk-v1", Hardware: collector.DeskHardware, EnrolledAt: now.Add(-day)}, "green", nil},
		{"not a desk by name alone", collector.DeviceHealth{Device: "desk-v1", Hardware: "rpi4", EnrolledAt: now.Add(-day)}, "red", []string{"never_seen"}},
	} {
		j := rules.Judge(c.d, now)
		if j.State != c.state || !slices.Equal(j.Reasons, c.reasons) {
			t.Errorf("%s: %+v, want %s %v", c.name, j, c.state, c.reasons)
		}
	}
	short := collector.FleetRules{UnseenRed: time.Minute, UnseenAmber: 30 * time.Second, RefuseRedWithin: day}
	if j := short.Judge(seen(2*time.Minute, healthy()), now); j.State != "red" {
		t.Errorf("configured unseen: %+v", j)
	}
	if j := short.Judge(seen(0, &wire.Health{TrustKnown: true, RefuseFrom: at(2 * day)}), now); j.State != "amber" {
		t.Errorf("configured refusal: %+v", j)
	}
	if _, err := collector.New(collector.Config{Fleet: collector.FleetRules{UnseenRed: -time.Second}}); err == nil {
		t.Error("negative rule accepted")
	}
}

// TestHealthOverHTTP: a batch and a bundle request carry reports, an old
// device sends none and is still served, a malformed report is refused;
// the fleet and the metrics agree, and time alone turns a device red.
func TestHealthOverHTTP(t *testing.T) {
	var skew atomic.Int64
	c := collectortest.Start(t, collectortest.Options{Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	c.CreateVenue(t, "v1")
	newer, old := mustEnroll(t, c, "v1"), mustEnroll(t, c, "v1")

	refuse := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	h := wire.Health{Software: "2.0.0", Slot: "B", OutboxDepth: 2, TrustKnown: true, TrustAge: wire.Duration(time.Hour), RefuseFrom: &refuse, ClockMeasured: true, ClockOffsetMS: 40}
	b := newer.batch(records(1, 2))
	b.Health = &h
	if st, ack, body := newer.post(t, gz(t, b)); st != http.StatusOK || ack != 2 {
		t.Fatalf("batch with health: %d %d %s", st, ack, body)
	}
	if st, _, body := old.post(t, gz(t, old.batch(records(1)))); st != http.StatusOK {
		t.Fatalf("batch without health: %d %s", st, body)
	}
	if st, body, _ := old.bundle(t, ""); st != http.StatusOK {
		t.Fatalf("bundle without health: %d %s", st, body)
	}
	h.OutboxDepth, h.LastError = 0, ""
	q, err := wire.EncodeHealthParam(h)
	if err != nil {
		t.Fatal(err)
	}
	if st, body, _ := newer.send(t, newer.request(t, "GET", "/v1/devices/"+newer.id+"/bundle?"+wire.HealthParam+"="+q, nil, time.Now())); st != http.StatusOK {
		t.Fatalf("bundle with health: %d %s", st, body)
	}
	bad, _ := wire.EncodeHealthParam(wire.Health{})
	bad = bad[:len(bad)-1] + "!"
	if st, _, _ := newer.send(t, newer.request(t, "GET", "/v1/devices/"+newer.id+"/bundle?"+wire.HealthParam+"="+bad, nil, time.Now())); st != http.StatusBadRequest {
		t.Fatalf("malformed health: %d, want 400", st)
	}

	states := func() map[string]collector.FleetDevice {
		t.Helper()
		fl, err := c.Server.Fleet(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]collector.FleetDevice{}
		for _, d := range fl {
			m[d.Device] = d
		}
		return m
	}
	m := states()
	if d := m[newer.id]; d.State != "green" || d.Health == nil || d.Health.Software != "2.0.0" || d.Health.OutboxDepth != 0 || d.Health.ClockOffsetMS != 40 {
		t.Fatalf("device with reports: %+v %+v", d, d.Health)
	}
	if d := m[old.id]; d.State != "green" || d.Health != nil || d.LastSeen.IsZero() {
		t.Fatalf("old device: %+v", d)
	}
	gauge := func(state string) float64 {
		v, _ := promtest.Scrape(t, c.URL+collector.MetricsPath).Value("scangate_collector_device_health", "state", state)
		return v
	}
	if g, r := gauge("green"), gauge("red"); g != 2 || r != 0 {
		t.Fatalf("gauge green %v red %v, want 2 and 0", g, r)
	}
	skew.Store(int64(20 * time.Minute))
	m = states()
	if d := m[newer.id]; d.State != "red" || !slices.Contains(d.Reasons, "unseen") {
		t.Fatalf("20 minutes later: %+v", d)
	}
	if g, r := gauge("green"), gauge("red"); g != 0 || r != 2 {
		t.Fatalf("gauge 20 minutes later green %v red %v, want 0 and 2", g, r)
	}
}

func TestSQLiteTokens(t *testing.T) {
	collectortest.RunTokenSuite(t, func(t *testing.T) collector.Backend { return newSQLite(t) })
}

func TestPostgresTokens(t *testing.T) {
	collectortest.RunTokenSuite(t, func(t *testing.T) collector.Backend { return newPostgres(t) })
}
