package collector

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsPath is where the collector serves its Prometheus metrics.
const MetricsPath = "/metrics"

// DeviceStates lists the values of the state label of
// scangate_collector_devices, in order.
var DeviceStates = []string{"active", "revoked"}

// DeviceCounter is a Backend that can count its devices by state; both
// built-in backends are. Without it scangate_collector_devices is absent.
type DeviceCounter interface {
	// CountDevices returns the number of devices that may write and the
	// number revoked.
	CountDevices(ctx context.Context) (active, revoked int, err error)
}

// promView is the Prometheus view of a Server: the counters of Metrics
// read at scrape time, request latency by route pattern, and the device
// counts asked of the backend at scrape time.
type promView struct {
	reg     *prometheus.Registry
	latency *prometheus.HistogramVec
	handler http.Handler
}

func newPromView(s *Server) *promView {
	reg := prometheus.NewRegistry()
	m := &s.metrics
	counter := func(name, help string, v *atomic.Uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "scangate", Subsystem: "collector", Name: name, Help: help},
			func() float64 { return float64(v.Load()) })
	}
	p := &promView{reg: reg}
	p.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "scangate", Subsystem: "collector", Name: "http_request_duration_seconds",
		Help: "Time to answer an API request, by route pattern (never the raw path) and status code.",
		// An upload answers in milliseconds; a bundle or an export can take seconds.
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "code"})
	reg.MustRegister(
		counter("batches_total", "Check-in batches ingested.", &m.Batches),
		counter("checkins_total", "Check-in records received in batches, replays of records already held included.", &m.Records),
		counter("conflicts_total", "Distinct conflicting records kept aside.", &m.Conflicts),
		counter("declared_lost_total", "Seqs skipped by device floors and never received.", &m.DeclaredLost),
		counter("declared_purged_total", "Of the seqs declared lost, those deleted by a device's retention before upload.", &m.DeclaredPurged),
		counter("replays_refused_total", "Signed requests refused for a nonce already used.", &m.ReplaysRefused),
		counter("client_gone_total", "Requests whose client hung up before the answer.", &m.ClientGone),
		counter("database_errors_total", "Backend errors: requests answered 500 and failed scrape-time queries.", &m.DBErrors),
		p.latency,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if dc, ok := s.cfg.Backend.(DeviceCounter); ok {
		reg.MustRegister(&deviceCollector{dc: dc, m: m, log: s.log})
	}
	if _, ok := s.cfg.Backend.(HealthStore); ok {
		reg.MustRegister(&healthCollector{s: s})
	}
	p.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)})
	return p
}

// observe records one answered request. pattern is the mux's route
// pattern: a path can hold a card id, and raw paths would make a label
// without bound.
func (p *promView) observe(pattern string, code int, d time.Duration) {
	if pattern == "" {
		pattern = "none"
	}
	p.latency.WithLabelValues(pattern, strconv.Itoa(code)).Observe(d.Seconds())
}

var devicesDesc = prometheus.NewDesc("scangate_collector_devices", "Enrolled devices by state.", []string{"state"}, nil)

// deviceCollector asks the backend for the device counts at each scrape.
type deviceCollector struct {
	dc  DeviceCounter
	m   *Metrics
	log *slog.Logger
}

func (c *deviceCollector) Describe(ch chan<- *prometheus.Desc) { ch <- devicesDesc }

func (c *deviceCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	active, revoked, err := c.dc.CountDevices(ctx)
	if err != nil {
		// The scrape still answers the other metrics; the gap in this one
		// and the error counter say the database is in trouble.
		c.m.DBErrors.Add(1)
		c.log.Warn("collector: metrics: count devices", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(devicesDesc, prometheus.GaugeValue, float64(active), DeviceStates[0])
	ch <- prometheus.MustNewConstMetric(devicesDesc, prometheus.GaugeValue, float64(revoked), DeviceStates[1])
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
