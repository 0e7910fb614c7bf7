package integration_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

// TestUplinkHealthReports: the kiosk's part of the report and the
// uplink's own (outbox, clock offset) reach the collector's fleet view
// through batches and bundle requests.
func TestUplinkHealthReports(t *testing.T) {
	tc := startCollector(t, nil)
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "kiosk.db"))
	refuse := time.Now().Add(10 * 24 * time.Hour).UTC().Truncate(time.Second)
	var calls atomic.Int64
	opts := fastOptions(tc.C().URL, tc.pub(), tc.C().EnrollToken(t, venue), dir, st)
	opts.Health = func() wire.Health {
		calls.Add(1)
		return wire.Health{Software: "9.9.9", Slot: "B", TrustKnown: true, TrustAge: wire.Duration(time.Hour), RefuseFrom: &refuse}
	}
	record(t, st, 5, nil)
	d := runDevice(t, opts)
	d.waitDrained(t, 10*time.Second)
	var got collector.FleetDevice
	waitFor(t, 10*time.Second, "a health report with the drained outbox", func() bool {
		fl, err := tc.C().Server.Fleet(context.Background())
		if err != nil || len(fl) != 1 || fl[0].Health == nil {
			return false
		}
		got = fl[0]
		return got.Health.OutboxDepth == 0 && got.Health.ClockMeasured
	})
	h := got.Health
	if got.State != collector.StateGreen || h.Software != "9.9.9" || h.Slot != "B" || !h.RefuseFrom.Equal(refuse) ||
		h.ClockOffsetMS > 1000 || h.ClockOffsetMS < -1000 || h.LastError != "" {
		t.Fatalf("fleet row: %+v %+v", got, h)
	}
	if calls.Load() < 2 {
		t.Fatalf("health asked %d times, want with the batch and the bundle request", calls.Load())
	}
}

// TestUplinkHealthOldCollector: a collector from before health reports
// refuses the batch field; the uplink sends batches without it and the
// outbox drains.
func TestUplinkHealthOldCollector(t *testing.T) {
	tc := startCollector(t, nil)
	target, _ := url.Parse(tc.C().URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	var refused, plain atomic.Int64
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/checkins" {
			raw, _ := io.ReadAll(r.Body)
			body, err := wire.Gunzip(raw, wire.MaxBatchBytes)
			if err == nil && strings.Contains(string(body), `"health"`) {
				refused.Add(1)
				w.WriteHeader(http.StatusBadRequest)
				json.NewEncoder(w).Encode(wire.Error{Code: wire.CodeBadRequest, Message: `batch: json: unknown field "health"`})
				return
			}
			plain.Add(1)
			r.Body = io.NopCloser(bytes.NewReader(raw))
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(old.Close)
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "kiosk.db"))
	opts := fastOptions(old.URL, tc.pub(), tc.C().EnrollToken(t, venue), dir, st)
	opts.Health = func() wire.Health { return wire.Health{Software: "9.9.9"} }
	record(t, st, 5, nil)
	d := runDevice(t, opts)
	d.waitDrained(t, 10*time.Second)
	if refused.Load() != 1 || plain.Load() < 1 {
		t.Fatalf("batches refused %d, sent without health %d; want 1 and some", refused.Load(), plain.Load())
	}
	if n := len(tc.visits(t)); n != 5 {
		t.Fatalf("collector holds %d check-ins, want 5", n)
	}
}

// TestUplinkHealthClockOffset: a kiosk whose clock runs ten minutes ahead
// of the collector reports +10 min (device minus collector), amber.
func TestUplinkHealthClockOffset(t *testing.T) {
	tc := startCollector(t, func() time.Time { return time.Now().Add(-10 * time.Minute) })
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "kiosk.db"))
	opts := fastOptions(tc.C().URL, tc.pub(), tc.C().EnrollToken(t, venue), dir, st)
	opts.Health = func() wire.Health { return wire.Health{TrustKnown: true} }
	d := runDevice(t, opts)
	d.waitDrained(t, 10*time.Second)
	var got collector.FleetDevice
	waitFor(t, 10*time.Second, "a report with the measured offset", func() bool {
		fl, err := tc.C().Server.Fleet(context.Background())
		if err != nil || len(fl) != 1 || fl[0].Health == nil || !fl[0].Health.ClockMeasured {
			return false
		}
		got = fl[0]
		return true
	})
	if off := time.Duration(got.Health.ClockOffsetMS) * time.Millisecond; off < 9*time.Minute || off > 11*time.Minute {
		t.Fatalf("clock offset %s, want about +10m (device ahead)", off)
	}
	if got.State != collector.StateAmber || !strings.Contains(strings.Join(got.Reasons, ","), "clock") {
		t.Fatalf("state %+v, want amber for the clock", got.Judgement)
	}
}
