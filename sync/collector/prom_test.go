package collector_test

import (
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/scangate/scangate/internal/promtest"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
)

// collectorLabels are the only label values the collector may export:
// fixed sets and route patterns, never a raw path, card id or device text.
var (
	collectorLabels = map[string][]string{"state": append(slices.Clone(collector.DeviceStates), collector.FleetStates...)}
	collectorAnyOf  = map[string]*regexp.Regexp{
		"route": regexp.MustCompile(`^((GET|POST|PUT|DELETE) )?/(v1/[a-z/{}-]+|metrics)?$|^none$`),
		"code":  regexp.MustCompile(`^[1-5][0-9][0-9]$`),
	}
)

// TestPrometheusMetrics scrapes a real collector over loopback: uploads
// move the batch and check-in counters, enrolments and a revocation move
// the device gauges, each route's latency is counted under its pattern,
// and no label carries the card id that was in a request path.
func TestPrometheusMetrics(t *testing.T) {
	c := collectortest.Start(t, collectortest.Options{})
	url := c.URL + collector.MetricsPath
	before := promtest.Scrape(t, url)
	if v, ok := before.Value("scangate_collector_batches_total"); !ok || v != 0 {
		t.Fatalf("batches before any upload: %v %v", v, ok)
	}
	if v, ok := before.Value("scangate_collector_devices", "state", "active"); !ok || v != 0 {
		t.Fatalf("active devices before enrolment: %v %v", v, ok)
	}

	c.CreateVenue(t, "v1")
	d1 := mustEnroll(t, c, "v1")
	d2 := mustEnroll(t, c, "v1")
	for _, recs := range [][]uint64{{1, 2, 3}, {4, 5}} {
		if st, _, b := d1.post(t, gz(t, d1.batch(records(recs...)))); st != http.StatusOK {
			t.Fatalf("post: %d %s", st, b)
		}
	}
	c.RevokeDevice(t, d2.id)
	is := c.CreateIssuer(t, "iss1")
	card := c.IssueCard(t, is.ID, "holder-1", "王小英", "elder")
	if st := c.Admin(t, "GET", "/v1/admin/cards/"+card.CardID+"/visits?on=2026-12-03", nil, nil); st != http.StatusOK {
		t.Fatalf("card visits: %d", st)
	}

	f := promtest.Scrape(t, url)
	for _, w := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"scangate_collector_batches_total", nil, 2},
		{"scangate_collector_checkins_total", nil, 5},
		{"scangate_collector_devices", []string{"state", "active"}, 1},
		{"scangate_collector_devices", []string{"state", "revoked"}, 1},
		{"scangate_collector_database_errors_total", nil, 0},
		{"scangate_collector_http_request_duration_seconds", []string{"route", "POST /v1/checkins", "code", "200"}, 2},
		{"scangate_collector_http_request_duration_seconds", []string{"route", "POST /v1/enroll", "code", "200"}, 2},
		{"scangate_collector_http_request_duration_seconds", []string{"route", "GET /v1/admin/cards/{id}/visits", "code", "200"}, 1},
		// The first scrape was answered before the second one's sample.
		{"scangate_collector_http_request_duration_seconds", []string{"route", "GET /metrics", "code", "200"}, 1},
	} {
		if v, ok := f.Value(w.name, w.labels...); !ok || v != w.want {
			t.Errorf("%s%v = %v (present %v), want %v", w.name, w.labels, v, ok, w.want)
		}
	}
	if bad := f.CheckNames("scangate_"); len(bad) > 0 {
		t.Errorf("names: %v", bad)
	}
	if bad := f.CheckLabels("scangate_", collectorLabels, collectorAnyOf); len(bad) > 0 {
		t.Errorf("labels outside the allowed sets: %v", bad)
	}
	// Not a label value, and not anywhere else in the exposition either.
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{card.CardID, "王小英", "holder-1", d1.id} {
		if strings.Contains(string(text), secret) {
			t.Errorf("exposition contains %q", secret)
		}
	}
}

// TestPrometheusDatabaseErrors: with the database gone, a request that
// needs it is answered 500 and counted, the device gauge drops out of the
// scrape (its query failed, counted too) and the rest is still served.
func TestPrometheusDatabaseErrors(t *testing.T) {
	c := collectortest.Start(t, collectortest.Options{})
	c.CreateVenue(t, "v1")
	url := c.URL + collector.MetricsPath
	if err := c.Backend.Close(); err != nil {
		t.Fatal(err)
	}
	if st := c.Admin(t, "GET", "/v1/admin/venues/v1", nil, nil); st != http.StatusInternalServerError {
		t.Fatalf("venue with the database closed: %d, want 500", st)
	}
	f := promtest.Scrape(t, url)
	if v, ok := f.Value("scangate_collector_database_errors_total"); !ok || v < 1 {
		t.Errorf("database errors = %v (present %v), want the failed request", v, ok)
	}
	// The collectors of one scrape run concurrently: the device count's
	// own failure shows in the counter by the next scrape.
	if v, _ := promtest.Scrape(t, url).Value("scangate_collector_database_errors_total"); v < 2 {
		t.Errorf("database errors after a second scrape = %v, want the request and the failed device count", v)
	}
	if _, ok := f.Value("scangate_collector_devices", "state", "active"); ok {
		t.Error("device gauge exported without a database")
	}
	if v, ok := f.Value("scangate_collector_http_request_duration_seconds", "route", "GET /v1/admin/venues/{id}", "code", "500"); !ok || v != 1 {
		t.Errorf("500 latency samples = %v %v, want 1", v, ok)
	}
	if c.Server.Metrics().DBErrors < 2 {
		t.Errorf("admin JSON metrics: %+v", c.Server.Metrics())
	}
}
