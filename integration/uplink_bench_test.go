package integration_test

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/store"
)

// latencyTransport records each request's round trip.
type latencyTransport struct {
	rt  http.RoundTripper
	mu  sync.Mutex
	lat []time.Duration
}

func (l *latencyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := l.rt.RoundTrip(r)
	if err == nil && r.Method == http.MethodPost {
		l.mu.Lock()
		l.lat = append(l.lat, time.Since(start))
		l.mu.Unlock()
	}
	return resp, err
}

// BenchmarkDrain: a kiosk that was offline for a week (100,000 queued
// check-ins) drains to a loopback collector. The queue is built on tmpfs
// (fast), then copied to the test's disk directory so the drain's acks pay
// real fsyncs. Reports records/s and the p99 upload latency.
func BenchmarkDrain(b *testing.B) {
	const queued = 100_000
	shm, err := os.MkdirTemp("/dev/shm", "uplink-bench-")
	if err != nil {
		shm = b.TempDir()
	}
	defer os.RemoveAll(shm)
	seed := filepath.Join(shm, "seed.db")
	st, err := store.Open(seed, store.Options{Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	record(b, st, queued, nil)
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(seed)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		tc := startCollector(b, nil)
		dir := b.TempDir()
		path := filepath.Join(dir, "kiosk.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
		st := openStore(b, path)
		lt := &latencyTransport{rt: &http.Transport{DialContext: (&net.Dialer{}).DialContext, MaxIdleConnsPerHost: 2}}
		opts := fastOptions(tc.C().URL, tc.pub(), tc.C().EnrollToken(b, venue), dir, st)
		opts.HTTPClient = &http.Client{Transport: lt}
		opts.RequestTimeout = 10 * time.Second
		b.StartTimer()
		start := time.Now()
		d := runDevice(b, opts)
		d.waitDrained(b, 5*time.Minute)
		el := time.Since(start)
		b.StopTimer()
		d.stop()
		slices.Sort(lt.lat)
		b.ReportMetric(float64(queued)/el.Seconds(), "records/s")
		if n := len(lt.lat); n > 0 {
			b.ReportMetric(float64(lt.lat[n*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(n), "requests")
		}
		if len(tc.visits(b)) != queued {
			b.Fatalf("collector holds %d, want %d", len(tc.visits(b)), queued)
		}
		b.StartTimer()
	}
}
