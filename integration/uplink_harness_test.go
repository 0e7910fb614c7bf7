package integration_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
	"github.com/scangate/scangate/sync/faultproxy"
	"github.com/scangate/scangate/sync/uplink"
)

const venue = "v1"

func quiet() *slog.Logger {
	if os.Getenv("UPLINK_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testCollector is a real collector on loopback over a SQLite file, which
// can be stopped and started again with the same file and key.
type testCollector struct {
	t    testing.TB
	path string
	key  ed25519.PrivateKey
	kek  *collector.KEK
	now  func() time.Time

	mu sync.Mutex
	c  *collectortest.Collector
}

func startCollector(t testing.TB, now func() time.Time) *testCollector {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	tc := &testCollector{t: t, path: filepath.Join(t.TempDir(), "collector.db"), key: key, now: now}
	tc.start()
	t.Cleanup(tc.stop)
	tc.C().CreateVenue(t, venue)
	return tc
}

func (tc *testCollector) start() {
	tc.t.Helper()
	be, err := collector.OpenSQLite(tc.path)
	if err != nil {
		tc.t.Fatal(err)
	}
	if tc.kek == nil {
		tc.kek = collectortest.NewKEK(tc.t) // the same across restarts, like the file it stands for
	}
	srv, err := collector.New(collector.Config{Backend: be, Key: tc.key, AdminToken: collectortest.AdminToken, Logger: quiet(),
		Now: tc.now, KEK: tc.kek})
	if err != nil {
		tc.t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	tc.mu.Lock()
	tc.c = &collectortest.Collector{URL: hs.URL, Server: srv, Backend: be, Key: tc.key, HTTP: hs}
	tc.mu.Unlock()
}

func (tc *testCollector) stop() {
	tc.mu.Lock()
	c := tc.c
	tc.c = nil
	tc.mu.Unlock()
	if c != nil {
		c.HTTP.CloseClientConnections()
		c.HTTP.Close()
		c.Backend.Close()
	}
}

// restart stops the collector and starts it again on a new port.
func (tc *testCollector) restart() {
	tc.stop()
	tc.start()
}

func (tc *testCollector) C() *collectortest.Collector {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.c
}

func (tc *testCollector) addr() string { return tc.C().HTTP.Listener.Addr().String() }

func (tc *testCollector) pub() ed25519.PublicKey { return tc.key.Public().(ed25519.PublicKey) }

// visits returns every check-in the collector holds at the test venue.
func (tc *testCollector) visits(t testing.TB) []collector.Visit {
	t.Helper()
	v, err := tc.C().Backend.VisitsAtVenue(context.Background(), venue, time.Unix(0, 0), time.Now().Add(100*365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// cardID is the card id of the i-th recorded check-in, so arrivals can be
// compared one by one.
func cardID(i int64) string { return fmt.Sprintf("%032x", i) }

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path, store.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// record stores n check-ins; the i-th overall carries cardID(i).
func record(t testing.TB, st *store.Store, n int, stamp func() (time.Time, time.Duration, bool)) {
	t.Helper()
	ctx := context.Background()
	stats, err := st.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		at, mono, synced := time.Now(), time.Duration(0), true
		if stamp != nil {
			at, mono, synced = stamp()
		}
		if _, err := st.RecordCheckin(ctx, store.Checkin{At: at, BootID: "boot-test", Mono: mono, ClockSynced: synced,
			Source: "camera", Decision: "pass", Reason: "pass", CardID: cardID(stats.LastSeq + 1),
			Holder: "h", Category: "elder", Name: "王*英"}); err != nil {
			t.Fatal(err)
		}
		stats.LastSeq++
	}
}

// checkExactlyOnce asserts that the collector holds seqs 1..n of one
// device, each once, each with the card id recorded for it, and that the
// device's outbox is empty.
func checkExactlyOnce(t testing.TB, tc *testCollector, st *store.Store, n int) {
	t.Helper()
	vs := tc.visits(t)
	seen := make(map[uint64]int, len(vs))
	for _, v := range vs {
		seen[v.Seq]++
		if v.CardID != cardID(int64(v.Seq)) {
			t.Fatalf("seq %d arrived with card %s, recorded %s", v.Seq, v.CardID, cardID(int64(v.Seq)))
		}
	}
	for s := uint64(1); s <= uint64(n); s++ {
		if seen[s] != 1 {
			t.Fatalf("seq %d arrived %d times", s, seen[s])
		}
	}
	if len(vs) != n {
		t.Fatalf("collector holds %d check-ins, device recorded %d", len(vs), n)
	}
	if st != nil {
		stats, err := st.OutboxStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if stats.Depth != 0 {
			t.Fatalf("outbox holds %d records at the end", stats.Depth)
		}
	}
}

// device is a kiosk's store and uplink, running until the test ends.
type device struct {
	st     *store.Store
	up     *uplink.Uplink
	cancel context.CancelFunc
	done   chan error
}

// fastOptions are the uplink's timings scaled down for tests.
func fastOptions(url string, pub ed25519.PublicKey, token, dir string, st *store.Store) uplink.Options {
	return uplink.Options{
		URL: url, CollectorKey: pub, EnrollToken: token, KeyFile: filepath.Join(dir, uplink.KeyFileName),
		Store: st, BootID: "boot-test", SinceBoot: func() (time.Duration, error) { return 0, nil },
		PollInterval: 200 * time.Millisecond, RequestTimeout: 400 * time.Millisecond,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 150 * time.Millisecond, RefusedBackoff: 300 * time.Millisecond,
		Logger: quiet(),
	}
}

func runDevice(t testing.TB, opts uplink.Options) *device {
	t.Helper()
	up, err := uplink.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &device{st: opts.Store.(*store.Store), up: up, cancel: cancel, done: make(chan error, 1)}
	go func() { d.done <- up.Run(ctx) }()
	t.Cleanup(d.stop)
	return d
}

func (d *device) stop() {
	d.cancel()
	<-d.done
	d.done <- context.Canceled // later stops return at once
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (d *device) waitDrained(t testing.TB, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, "the outbox to drain", func() bool {
		s := d.up.Status()
		return s.Enrolled && s.OutboxDepth == 0
	})
}

func newProxy(t testing.TB, target string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}
