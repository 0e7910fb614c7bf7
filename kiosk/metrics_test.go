package kiosk_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/internal/promtest"
	"github.com/scangate/scangate/kiosk"
	"github.com/scangate/scangate/kiosk/kiosktest"
)

// TestMetricsOffByDefault: the default configuration serves no metrics.
func TestMetricsOffByDefault(t *testing.T) {
	is := kiosktest.NewIssuer(t, t.TempDir())
	r := kiosktest.Start(t, t.TempDir(), config.Default(), is.TrustPath)
	if a := r.K.MetricsAddr(); a != "" {
		t.Fatalf("metrics listening on %s without metrics.listen", a)
	}
}

// TestMetricsScrape scrapes a simulated kiosk over loopback: presented
// cards move the decision counters and the door latency histogram, the
// camera's frames are counted, the outbox holds what was not uploaded,
// and no label or value names a card or a person.
func TestMetricsScrape(t *testing.T) {
	is := kiosktest.NewIssuer(t, t.TempDir())
	valid, id := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	cfg := config.Default()
	cfg.Metrics.Listen = "127.0.0.1:0"
	r := kiosktest.Start(t, t.TempDir(), cfg, is.TrustPath)
	url := "http://" + r.K.MetricsAddr() + "/metrics"
	if r.K.MetricsAddr() == "" || r.K.MetricsAddr() == r.K.StatusAddr() {
		t.Fatalf("metrics address %q (status %q)", r.K.MetricsAddr(), r.K.StatusAddr())
	}
	before := promtest.Scrape(t, url)
	if n := before.Sum("scangate_door_decisions_total"); n != 0 {
		t.Fatalf("decisions before any card: %v", n)
	}
	if v, ok := before.Value("scangate_outbox_depth"); !ok || v != 0 {
		t.Fatalf("outbox depth before any card: %v %v", v, ok)
	}

	for _, tc := range []struct {
		req              control.PresentRequest
		decision, reason string
	}{
		{control.PresentRequest{Image: kiosktest.CardPNG(t, "王秀英", "elder", valid)}, "pass", "pass"},
		{control.PresentRequest{Text: valid}, "already", "already_checked_in"},
		{control.PresentRequest{Text: "https://example.org/menu"}, "fail", "malformed"},
	} {
		if res := r.Present(t, tc.req); res.Decision != tc.decision || res.Reason != tc.reason {
			t.Fatalf("present: %s/%s, want %s/%s", res.Decision, res.Reason, tc.decision, tc.reason)
		}
	}

	f := promtest.Scrape(t, url)
	for _, w := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"scangate_door_decisions_total", []string{"outcome", "pass", "reason", "pass"}, 1},
		{"scangate_door_decisions_total", []string{"outcome", "already", "reason", "already_checked_in"}, 1},
		{"scangate_door_decisions_total", []string{"outcome", "fail", "reason", "malformed"}, 1},
		{"scangate_door_latency_seconds", nil, 3},
		{"scangate_outbox_depth", nil, 3},
		{"scangate_trust_stale", nil, 0},
		{"scangate_store_errors_total", nil, 0},
	} {
		if v, ok := f.Value(w.name, w.labels...); !ok || v != w.want {
			t.Errorf("%s%v = %v (present %v), want %v", w.name, w.labels, v, ok, w.want)
		}
	}
	if v, ok := f.Value("scangate_trust_age_seconds"); !ok || v <= 0 || v > 2*3600 {
		t.Errorf("trust age = %v %v, want the age of the lists the test issued (an hour back)", v, ok)
	}
	if v, ok := f.Value("scangate_outbox_oldest_age_seconds"); !ok || v < 0 || v > 60 {
		t.Errorf("oldest unsent age = %v %v", v, ok)
	}
	st := r.Status(t)
	var sources []string
	for _, s := range st.Sources {
		sources = append(sources, s.Name)
		if s.Kind == "camera" {
			if v, ok := f.Value("scangate_scanner_frames_total", "source", s.Name); !ok || v == 0 {
				t.Errorf("frames of %s = %v %v, want the frames the card was shown in", s.Name, v, ok)
			}
			if v, ok := f.Value("scangate_scanner_decoded_frames_total", "source", s.Name); !ok || v == 0 {
				t.Errorf("decoded frames of %s = %v %v", s.Name, v, ok)
			}
		}
	}
	if n := f.Sum("scangate_scanner_decode_seconds"); n == 0 {
		t.Error("no camera frame decode observed in scangate_scanner_decode_seconds")
	}
	// Without [uplink] there is nothing to say about uploads.
	if _, ok := f.Value("scangate_uplink_errors_total"); ok {
		t.Error("uplink metrics without an uplink")
	}
	if bad := f.CheckNames("scangate_"); len(bad) > 0 {
		t.Errorf("names: %v", bad)
	}
	allowed := map[string][]string{"outcome": kiosk.MetricOutcomes, "reason": kiosk.MetricReasons, "source": sources, "result": kiosk.MetricDecodeResults}
	if bad := f.CheckLabels("scangate_", allowed, nil); len(bad) > 0 {
		t.Errorf("labels outside the allowed sets: %v", bad)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	for _, secret := range []string{id, "王", "秀", "example.org"} {
		if strings.Contains(string(text), secret) {
			t.Errorf("exposition contains %q", secret)
		}
	}
}

// BenchmarkMetricsScrape is one Prometheus scrape of a simulated kiosk
// over loopback: the stats read at scrape time (scanner, outbox query,
// trust) and the encoding.
func BenchmarkMetricsScrape(b *testing.B) {
	is := kiosktest.NewIssuer(b, b.TempDir())
	cfg := config.Default()
	cfg.Metrics.Listen = "127.0.0.1:0"
	r := kiosktest.Start(b, b.TempDir(), cfg, is.TrustPath)
	url := "http://" + r.K.MetricsAddr() + "/metrics"
	var size int
	b.ResetTimer()
	for range b.N {
		resp, err := http.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("scrape: %d %v", resp.StatusCode, err)
		}
		size = len(body)
	}
	b.ReportMetric(float64(size), "bytes/scrape")
}

// TestMetricsAddressInUse: a metrics address that cannot be bound stops
// the start with an error naming it, like the status page's.
func TestMetricsAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := config.Default()
	cfg.Metrics.Listen = l.Addr().String()
	err = kiosk.Run(context.Background(), kiosk.Options{Config: cfg, DataDir: t.TempDir(), Sim: true, Terminal: io.Discard, Logger: kiosktest.Quiet()})
	if err == nil || !strings.Contains(err.Error(), "metrics "+l.Addr().String()) {
		t.Fatalf("start with the metrics address taken: %v", err)
	}
}
