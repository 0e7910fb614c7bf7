package integration_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/sync/faultproxy"
)

type countSync struct{ n atomic.Int64 }

func (c *countSync) MarkSynced() { c.n.Add(1) }

// TestClockJumps: a kiosk whose clock is hours wrong, then jumps, records
// check-ins; the collector's signed time corrects them on the device and
// at the collector (the wrong time is kept beside the corrected one), and
// the clock counts as confirmed only once it agrees.
func TestClockJumps(t *testing.T) {
	tc := startCollector(t, nil)
	px := newProxy(t, tc.addr())
	block := atomic.Bool{}
	block.Store(true)
	px.SetPlan(func(_ int64, head []byte) faultproxy.Fault {
		if block.Load() && isCheckins(head) {
			return faultproxy.Fault{Respond: faultproxy.Response500}
		}
		return faultproxy.Fault{}
	})
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "kiosk.db"))
	boot := time.Now().Add(-time.Hour)
	mono := func() time.Duration { return time.Since(boot) }
	fake := clock.NewSkewed(-3 * time.Hour)
	var mu sync.Mutex
	truth := map[int64]time.Time{}
	wrong := map[int64]time.Time{}
	seq := int64(0)
	stamp := func() (time.Time, time.Duration, bool) {
		mu.Lock()
		defer mu.Unlock()
		seq++
		now := fake.Now()
		truth[seq], wrong[seq] = time.Now(), now
		return now, mono(), false
	}
	record(t, st, 50, stamp)

	cs := &countSync{}
	opts := fastOptions(px.URL(), tc.pub(), tc.C().EnrollToken(t, venue), dir, st)
	opts.Clock, opts.Sync, opts.TimeRefresh = fake, cs, 100*time.Millisecond
	opts.SinceBoot = func() (time.Duration, error) { return mono(), nil }
	d := runDevice(t, opts)

	near := func(a, b time.Time) bool { return a.Sub(b).Abs() < 2*time.Second }
	// On the device, before any upload went through.
	waitFor(t, 5*time.Second, "device-side correction", func() bool {
		recs, err := st.Outbox(context.Background(), 100, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.CorrectedAt.IsZero() {
				return false
			}
		}
		return len(recs) == 50
	})
	recs, _ := st.Outbox(context.Background(), 100, 1<<20)
	for _, r := range recs {
		if !near(r.CorrectedAt, truth[r.Seq]) || !r.At.Equal(wrong[r.Seq]) {
			t.Fatalf("seq %d: corrected %v at %v, true time %v, device time %v", r.Seq, r.CorrectedAt, r.At, truth[r.Seq], wrong[r.Seq])
		}
	}
	if cs.n.Load() != 0 {
		t.Fatal("a clock 3 h off was marked synced")
	}
	if off := d.up.Status().ClockOffset; (off - 3*time.Hour).Abs() > 2*time.Second {
		t.Fatalf("clock offset %v, want about 3h", off)
	}
	block.Store(false)
	d.waitDrained(t, 5*time.Second)

	// The clock jumps 5 h ahead; records made now are corrected too.
	fake.Set(time.Now().Add(5 * time.Hour))
	record(t, st, 50, stamp)
	d.waitDrained(t, 5*time.Second)
	// Back to the right time: the next signed time confirms the clock.
	fake.Set(time.Now())
	waitFor(t, 5*time.Second, "clock confirmed", func() bool { return cs.n.Load() > 0 })

	vs := tc.visits(t)
	if len(vs) != 100 {
		t.Fatalf("collector holds %d", len(vs))
	}
	mu.Lock()
	defer mu.Unlock()
	for _, v := range vs {
		s := int64(v.Seq)
		if v.CorrectedAt == nil || !near(*v.CorrectedAt, truth[s]) || !v.At.Equal(wrong[s]) || v.ClockSynced {
			t.Fatalf("seq %d at the collector: at %v corrected %v; true %v, device %v", s, v.At, v.CorrectedAt, truth[s], wrong[s])
		}
	}
	checkExactlyOnce(t, tc, st, 100)
}
