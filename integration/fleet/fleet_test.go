package fleet

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/pgtest"

	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/uplink"
)

func quiet() *slog.Logger {
	if os.Getenv(envLog) != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// admin calls the admin API through the balancer, retrying while the
// process it reaches is down.
func admin(t testing.TB, base, method, path string, body, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				if out != nil {
					if err := json.Unmarshal(data, out); err != nil {
						t.Fatalf("%s %s: %v", method, path, err)
					}
				}
				return
			}
			if resp.StatusCode != http.StatusBadGateway {
				t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s: no collector answered", method, path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kiosk is a real device: its store and its uplink, talking to the
// balancer.
type kiosk struct {
	n        int
	st       *store.Store
	up       *uplink.Uplink
	recorded []string // card ids, in order
	cancel   context.CancelFunc
	done     chan error
}

func startKiosk(t *testing.T, n int, url string, pub ed25519.PublicKey, token string) *kiosk {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "kiosk.db"), store.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	up, err := uplink.New(uplink.Options{
		URL: url, CollectorKey: pub, EnrollToken: token, KeyFile: filepath.Join(dir, uplink.KeyFileName),
		Store: st, BootID: fmt.Sprintf("boot-%d", n), SinceBoot: func() (time.Duration, error) { return time.Second, nil },
		PollInterval: 500 * time.Millisecond, RequestTimeout: 5 * time.Second,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 300 * time.Millisecond, RefusedBackoff: 500 * time.Millisecond,
		BatchRecords: 50, Logger: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	k := &kiosk{n: n, st: st, up: up, cancel: cancel, done: make(chan error, 1)}
	go func() { k.done <- up.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-k.done; st.Close() })
	return k
}

// record commits m check-ins, each with a card id of its own.
func (k *kiosk) record(t *testing.T, m int) {
	t.Helper()
	for range m {
		id := fmt.Sprintf("%08x%024x", k.n, len(k.recorded)+1)
		if _, err := k.st.RecordCheckin(context.Background(), store.Checkin{At: time.Now(), BootID: fmt.Sprintf("boot-%d", k.n),
			Mono: time.Second, ClockSynced: true, Source: "camera", Decision: "pass", Reason: "pass", CardID: id,
			Holder: "h", Category: "elder", Name: "王*英"}); err != nil {
			t.Fatal(err)
		}
		k.recorded = append(k.recorded, id)
	}
}

// TestTwoCollectorsExactlyOnce runs two collector processes on one
// PostgreSQL behind a balancer that alternates every request between them
// (enrollments, batches, bundle polls), kills one of them with SIGKILL at
// random and restarts it, while four kiosks record check-ins. At the end
// every check-in is held exactly once: each card id once, under one
// (device, ledger, seq), and every outbox is empty.
func TestTwoCollectorsExactlyOnce(t *testing.T) {
	dsn := pgtest.SchemaDSN(t)
	f := startFleet(t, dsn, 2)
	lb := newBalancer(t, f)
	admin(t, lb.url, "POST", "/v1/admin/venues", collector.VenueRequest{ID: "v1", Name: "Hall"}, nil)

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 1))
	const kiosks, perKiosk, rounds = 4, 400, 20
	pub := f.key.Public().(ed25519.PublicKey)
	var ks []*kiosk
	for i := range kiosks {
		var tr collector.TokenResponse
		admin(t, lb.url, "POST", "/v1/admin/venues/v1/enroll-tokens", collector.TokenRequest{}, &tr)
		ks = append(ks, startKiosk(t, i+1, lb.url, pub, tr.Token))
	}

	// The killer: every 150-600 ms, SIGKILL one process at random and
	// start another in its place.
	stopKills := make(chan struct{})
	var killer sync.WaitGroup
	killer.Add(1)
	go func() {
		defer killer.Done()
		krnd := rand.New(rand.NewPCG(seed, 2))
		for {
			select {
			case <-stopKills:
				return
			case <-time.After(time.Duration(150+krnd.IntN(450)) * time.Millisecond):
			}
			f.killAndRestart(krnd.IntN(2))
		}
	}()
	for r := range rounds {
		for _, k := range ks {
			k.record(t, perKiosk/rounds)
		}
		time.Sleep(time.Duration(20+rnd.IntN(80)) * time.Millisecond) // the door's pace, against the killer's
		_ = r
	}
	// Keep killing while the outboxes drain, then let them finish.
	drained := func() bool {
		for _, k := range ks {
			s := k.up.Status()
			if !s.Enrolled || s.OutboxDepth != 0 {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(90 * time.Second)
	for !drained() && time.Now().Before(deadline) && f.kills.Load() < 12 {
		time.Sleep(50 * time.Millisecond)
	}
	close(stopKills)
	killer.Wait()
	for !drained() {
		if time.Now().After(deadline) {
			for _, k := range ks {
				t.Logf("kiosk %d: %+v", k.n, k.up.Status())
			}
			t.Fatal("the outboxes did not drain")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Count, from the database itself.
	be, err := collector.OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	vs, err := be.VisitsAtVenue(context.Background(), "v1", time.Unix(0, 0), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	seenCard := map[string]int{}
	seenKey := map[string]int{}
	for _, v := range vs {
		seenCard[v.CardID]++
		seenKey[fmt.Sprintf("%s/%s/%d", v.Device, v.Ledger, v.Seq)]++
	}
	total := 0
	for _, k := range ks {
		for _, id := range k.recorded {
			total++
			if seenCard[id] != 1 {
				t.Errorf("kiosk %d card %s held %d times, want once", k.n, id, seenCard[id])
			}
		}
	}
	for key, n := range seenKey {
		if n != 1 {
			t.Errorf("%s held %d times", key, n)
		}
	}
	if len(vs) != total {
		t.Errorf("collector holds %d check-ins, kiosks recorded %d", len(vs), total)
	}
	t.Logf("%d check-ins from %d kiosks, each once; %d kills; requests per process %d / %d",
		total, kiosks, f.kills.Load(), lb.per[0].Load(), lb.per[1].Load())
	if f.kills.Load() == 0 || lb.per[0].Load() == 0 || lb.per[1].Load() == 0 {
		t.Fatalf("the test did not exercise the fleet: %d kills, %d / %d requests", f.kills.Load(), lb.per[0].Load(), lb.per[1].Load())
	}
}
