package kiosk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/statusreport"
)

// MetricOutcomes and MetricReasons are every value the outcome and reason
// labels of scangate_door_decisions_total can take: the door's fixed
// vocabulary, never anything read from a card.
var (
	MetricOutcomes = []string{door.Pass.String(), door.AlreadyIn.String(), door.Fail.String(), door.Fault.String(),
		door.Exit.String(), door.Full.String(), "unknown"}
	MetricReasons = append(reasonStrings(), "unknown")
	// MetricDecodeResults are the result label's values of
	// scangate_scanner_decode_seconds.
	MetricDecodeResults = []string{"code", "none"}
)

func reasonStrings() []string {
	var out []string
	for _, r := range door.Reasons() {
		out = append(out, string(r))
	}
	return out
}

// kioskMetrics is the kiosk's Prometheus view. Most of it is read from
// the existing stats at scrape time (scanner, store, uplink, trust); only
// the decisions and the door latency are observed as they happen, from
// handle, off the decoder's path.
type kioskMetrics struct {
	reg       *prometheus.Registry
	decisions *prometheus.CounterVec
	latency   prometheus.Histogram
	decode    *prometheus.HistogramVec
	outcomes  map[string]bool
	reasons   map[string]bool
}

func newKioskMetrics(k *Kiosk) *kioskMetrics {
	m := &kioskMetrics{reg: prometheus.NewRegistry(), outcomes: map[string]bool{}, reasons: map[string]bool{}}
	for _, o := range MetricOutcomes {
		m.outcomes[o] = true
	}
	for _, r := range MetricReasons {
		m.reasons[r] = true
	}
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "scangate", Subsystem: "door", Name: "decisions_total",
		Help: "Decisions shown at the door, by outcome and reason."}, []string{"outcome", "reason"})
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "scangate", Subsystem: "door", Name: "latency_seconds",
		Help: "Time from the frame (or line) that held the code to the door's feedback.",
		// The target is well under 300 ms; the tail shows a struggling decoder or store.
		Buckets: []float64{.025, .05, .075, .1, .15, .2, .3, .5, .75, 1, 2, 5}})
	m.decode = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "scangate", Subsystem: "scanner", Name: "decode_seconds",
		Help: "Time to decode one camera frame, by result (code: a code was read; none).",
		// A frame without a code should cost well under a millisecond; one with a card a few.
		Buckets: []float64{.0001, .0002, .0005, .001, .002, .005, .01, .02, .05, .1}}, []string{"result"})
	m.reg.MustRegister(m.decisions, m.latency, m.decode, &scrapeCollector{k: k},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// decoded observes one camera frame's decode (scanner.Config.OnDecode).
func (m *kioskMetrics) decoded(took time.Duration, found bool) {
	result := "none"
	if found {
		result = "code"
	}
	m.decode.WithLabelValues(result).Observe(took.Seconds())
}

// shown counts one decision as the door showed it.
func (m *kioskMetrics) shown(s door.Shown) {
	o, r := s.Outcome.String(), string(s.Reason)
	if !m.outcomes[o] {
		o = "unknown"
	}
	if !m.reasons[r] {
		r = "unknown"
	}
	m.decisions.WithLabelValues(o, r).Inc()
	if !s.SeenAt.IsZero() && !s.ShownAt.Before(s.SeenAt) {
		m.latency.Observe(s.ShownAt.Sub(s.SeenAt).Seconds())
	}
}

var (
	descFrames   = prometheus.NewDesc("scangate_scanner_frames_total", "Frames (or lines) received, by source.", []string{"source"}, nil)
	descDecoded  = prometheus.NewDesc("scangate_scanner_decoded_frames_total", "Frames in which a code was decoded (lines for text sources), by source.", []string{"source"}, nil)
	descDropped  = prometheus.NewDesc("scangate_scanner_dropped_frames_total", "Frames replaced by a newer one before decoding, by source.", []string{"source"}, nil)
	descCodes    = prometheus.NewDesc("scangate_scanner_codes_total", "Codes emitted after debouncing, by source.", []string{"source"}, nil)
	descSrcErrs  = prometheus.NewDesc("scangate_scanner_source_errors_total", "Source errors, by source.", []string{"source"}, nil)
	descDepth    = prometheus.NewDesc("scangate_outbox_depth", "Check-ins not yet acknowledged by the collector.", nil, nil)
	descOldest   = prometheus.NewDesc("scangate_outbox_oldest_age_seconds", "Age of the oldest check-in not yet acknowledged; 0 when none.", nil, nil)
	descPurged   = prometheus.NewDesc("scangate_outbox_purged_total", "Check-ins retention deleted before they were uploaded.", nil, nil)
	descStoreErr = prometheus.NewDesc("scangate_store_errors_total", "Scrapes that could not read the outbox.", nil, nil)
	descTrustAge = prometheus.NewDesc("scangate_trust_age_seconds", "Age of the trust data in force; absent when there is none.", nil, nil)
	descStale    = prometheus.NewDesc("scangate_trust_stale", "1 when the trust data is stale or missing (cards are refused).", nil, nil)
	descSynced   = prometheus.NewDesc("scangate_clock_synced", "1 when the clock has been synchronised since boot.", nil, nil)
	descOffset   = prometheus.NewDesc("scangate_clock_offset_seconds", "Collector clock minus device clock, from the last answer; absent before one.", nil, nil)
	descUpErrs   = prometheus.NewDesc("scangate_uplink_errors_total", "Failed exchanges with the collector (uploads, bundles, enrolment).", nil, nil)
	descUploaded = prometheus.NewDesc("scangate_uplink_uploaded_total", "Check-ins the collector acknowledged.", nil, nil)
	descBatches  = prometheus.NewDesc("scangate_uplink_batches_total", "Batches uploaded.", nil, nil)
	descLastOK   = prometheus.NewDesc("scangate_uplink_last_success_timestamp_seconds", "When the last exchange with the collector succeeded; absent before one did.", nil, nil)
)

// scrapeCollector reads the kiosk's stats when Prometheus scrapes.
type scrapeCollector struct{ k *Kiosk }

func (c *scrapeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descFrames, descDecoded, descDropped, descCodes, descSrcErrs, descDepth, descOldest, descPurged,
		descStoreErr, descTrustAge, descStale, descSynced, descOffset, descUpErrs, descUploaded, descBatches, descLastOK} {
		ch <- d
	}
}

func (c *scrapeCollector) Collect(ch chan<- prometheus.Metric) {
	k := c.k
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	for _, s := range k.scanner.Stats().Sources {
		counter(descFrames, float64(s.Frames), s.Name)
		counter(descDecoded, float64(s.Decoded), s.Name)
		counter(descDropped, float64(s.Dropped), s.Name)
		counter(descCodes, float64(s.Events), s.Name)
		counter(descSrcErrs, float64(s.Errors), s.Name)
	}
	now := k.clock.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ob, err := k.store.OutboxStats(ctx)
	if err != nil {
		k.storeScrapeErrs.Add(1)
		k.log.Warn("kiosk: metrics: outbox", "err", err)
	} else {
		gauge(descDepth, float64(ob.Depth))
		age := 0.0
		if !ob.Oldest.IsZero() {
			age = max(now.Sub(ob.Oldest).Seconds(), 0)
		}
		gauge(descOldest, age)
		counter(descPurged, float64(ob.Purged))
	}
	counter(descStoreErr, float64(k.storeScrapeErrs.Load()))
	ts := statusreport.Trust(k.trust.Trust(), nil, now)
	if k.trust.Trust() != nil {
		gauge(descTrustAge, ts.AgeS)
	}
	gauge(descStale, boolFloat(ts.Stale))
	_, synced := k.sync.SinceSync()
	gauge(descSynced, boolFloat(synced))
	if k.uplink != nil {
		us := k.uplink.Status()
		counter(descUpErrs, float64(us.Errors))
		counter(descUploaded, float64(us.Uploaded))
		counter(descBatches, float64(us.Batches))
		// Before the collector first answered there is no offset to tell.
		if !us.LastSuccess.IsZero() {
			gauge(descOffset, us.ClockOffset.Seconds())
			gauge(descLastOK, float64(us.LastSuccess.UnixNano())/1e9)
		}
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// MetricsAddr is the metrics endpoint's address ("" when it is off).
func (k *Kiosk) MetricsAddr() string {
	s, _ := k.metricsAddr.Load().(string)
	return s
}

// serveMetrics serves /metrics on its own listener, apart from the status
// page, so it can be opened to a monitoring network without the preview.
func (k *Kiosk) serveMetrics(addr string) (stop func(), err error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("kiosk: metrics %s: %w", addr, err)
	}
	k.metricsAddr.Store(l.Addr().String())
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(k.metrics.reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(k.log.Handler(), slog.LevelWarn)}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			k.log.Error("kiosk: metrics", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
