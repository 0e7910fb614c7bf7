package integration_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/internal/promtest"
	"github.com/scangate/scangate/kiosk"
	"github.com/scangate/scangate/kiosk/kiosktest"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
)

// TestMetricsKioskAndCollector scrapes both ends while a kiosk uploads
// to a real collector: the presented cards move the kiosk's decision
// counter and then the collector's check-in counter and the kiosk's
// uploaded counter; with the collector gone the kiosk's upload errors and
// outbox depth rise. Every label value is in its allowed set.
func TestMetricsKioskAndCollector(t *testing.T) {
	c := collectortest.Start(t, collectortest.Options{})
	c.CreateVenue(t, "lib-7")
	c.CreateIssuer(t, "iss-1")
	cards := []collector.CardResponse{
		c.IssueCard(t, "iss-1", "holder-1", "王秀英", "elder"),
		c.IssueCard(t, "iss-1", "holder-2", "李明", "child"),
		c.IssueCard(t, "iss-1", "holder-3", "张伟", "elder"),
	}
	cfg := config.Default()
	cfg.Metrics.Listen = "127.0.0.1:0"
	cfg.Uplink = config.Uplink{Enabled: true, URL: c.URL, EnrollToken: c.EnrollToken(t, "lib-7"),
		CollectorKey: base64.StdEncoding.EncodeToString(c.PublicKey()), PollInterval: config.Duration{Duration: time.Second}}
	r := kiosktest.Start(t, t.TempDir(), cfg, "")
	kurl := "http://" + r.K.MetricsAddr() + "/metrics"
	coll := c.URL + collector.MetricsPath

	kiosktest.WaitFor(t, 15*time.Second, "trust data from the collector", func() bool {
		v, ok := promtest.Scrape(t, kurl).Value("scangate_trust_stale")
		return ok && v == 0
	})
	for _, card := range cards[:2] {
		if res := r.Present(t, control.PresentRequest{Text: card.QR}); res.Decision != "pass" {
			t.Fatalf("present: %+v", res)
		}
	}
	if v, _ := promtest.Scrape(t, kurl).Value("scangate_door_decisions_total", "outcome", "pass", "reason", "pass"); v != 2 {
		t.Fatalf("kiosk pass decisions = %v, want 2", v)
	}
	kiosktest.WaitFor(t, 15*time.Second, "both check-ins counted at the collector", func() bool {
		v, _ := promtest.Scrape(t, coll).Value("scangate_collector_checkins_total")
		return v == 2
	})
	kiosktest.WaitFor(t, 5*time.Second, "the kiosk's ack", func() bool {
		f := promtest.Scrape(t, kurl)
		up, _ := f.Value("scangate_uplink_uploaded_total")
		depth, _ := f.Value("scangate_outbox_depth")
		return up == 2 && depth == 0
	})
	f := promtest.Scrape(t, kurl)
	if v, ok := f.Value("scangate_clock_offset_seconds"); !ok || v > 5 || v < -5 {
		t.Errorf("clock offset = %v %v, want near 0 on one machine", v, ok)
	}
	if v, ok := f.Value("scangate_uplink_last_success_timestamp_seconds"); !ok || time.Since(time.Unix(int64(v), 0)) > time.Minute {
		t.Errorf("last success = %v %v", v, ok)
	}
	errsBefore, _ := f.Value("scangate_uplink_errors_total")
	cf := promtest.Scrape(t, coll)
	if v, _ := cf.Value("scangate_collector_devices", "state", "active"); v != 1 {
		t.Errorf("active devices = %v, want 1", v)
	}
	if v, _ := cf.Value("scangate_collector_batches_total"); v < 1 {
		t.Errorf("batches = %v", v)
	}

	// The collector goes away: the next check-in waits in the outbox and
	// every failed exchange is counted.
	c.HTTP.Close()
	if res := r.Present(t, control.PresentRequest{Text: cards[2].QR}); res.Decision != "pass" {
		t.Fatalf("offline present: %+v", res)
	}
	kiosktest.WaitFor(t, 15*time.Second, "upload errors with the collector gone", func() bool {
		f := promtest.Scrape(t, kurl)
		e, _ := f.Value("scangate_uplink_errors_total")
		depth, _ := f.Value("scangate_outbox_depth")
		return e > errsBefore && depth == 1
	})

	f = promtest.Scrape(t, kurl)
	sources := []string{}
	for _, s := range r.Status(t).Sources {
		sources = append(sources, s.Name)
	}
	allowed := map[string][]string{"outcome": kiosk.MetricOutcomes, "reason": kiosk.MetricReasons, "source": sources,
		"result": kiosk.MetricDecodeResults}
	for _, fam := range []promtest.Families{f, cf} {
		if bad := fam.CheckNames("scangate_"); len(bad) > 0 {
			t.Errorf("names: %v", bad)
		}
	}
	if bad := f.CheckLabels("scangate_", allowed, nil); len(bad) > 0 {
		t.Errorf("kiosk labels outside the allowed sets: %v", bad)
	}
}
