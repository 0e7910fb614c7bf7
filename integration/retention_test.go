package integration_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/kiosk"
	"github.com/scangate/scangate/kiosk/kiosktest"
	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

// A kiosk offline for longer than its retention deletes what it never
// uploaded; when the network comes back the collector records that gap
// as purged, not lost, and the rest arrives exactly once.
func TestRetentionGapReachesTheCollectorAsPurged(t *testing.T) {
	clk := clock.NewFake(time.Now().Add(-10 * 24 * time.Hour))
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "scangate.db"), store.Options{RetentionDays: 7, Now: clk.Now, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// Ten days offline, one check-in a day: days 0..9 ago... from the
	// store's point of view, seqs 1..10, one a day.
	for range 10 {
		record(t, st, 1, func() (time.Time, time.Duration, bool) { return clk.Now(), 0, true })
		clk.Advance(24 * time.Hour)
	}
	// Now (clk) is today; seqs 1..3 are more than 7 days old.
	n, err := st.Purge(context.Background(), clk.Now())
	if err != nil || n != 3 {
		t.Fatalf("Purge = %d, %v; want 3 unsent rows past retention", n, err)
	}
	tc := startCollector(t, nil)
	d := runDevice(t, fastOptions(tc.C().URL, tc.pub(), tc.C().EnrollToken(t, venue), dir, st))
	waitFor(t, 15*time.Second, "the outbox drained", func() bool {
		s, _ := d.st.OutboxStats(context.Background())
		return s.Depth == 0
	})
	vs := tc.visits(t)
	if len(vs) != 7 || vs[0].Seq != 4 {
		t.Fatalf("collector holds %d check-ins from seq %d; want 4..10", len(vs), vs[0].Seq)
	}
	dev := d.up.Status().DeviceID
	ls, err := tc.C().Backend.Ledgers(context.Background(), dev)
	if err != nil || len(ls) != 1 || ls[0].Purged != 3 || ls[0].Lost != 0 || ls[0].AckSeq != 10 {
		t.Fatalf("ledger at the collector: %+v, %v; want ack 10, 3 purged, none lost", ls, err)
	}
	if s := d.up.Status(); s.Purged != 3 {
		t.Fatalf("uplink status purged %d, want 3", s.Purged)
	}
	if rs, _ := st.PurgedRanges(context.Background(), st.Ledger(), -1); len(rs) != 0 {
		t.Fatalf("purged ranges kept after the ack passed them: %v", rs)
	}
	var dv collector.DeviceView
	if code := tc.C().Admin(t, "GET", "/v1/admin/devices/"+dev, nil, &dv); code != 200 || dv.Purged != 3 || dv.Lost != 0 {
		t.Fatalf("device view: %d %+v", code, dv)
	}
}

// The daemon's housekeeping applies retention on the kiosk's own clock:
// moved forward past retention_days, a check-in never uploaded is gone
// and status says how many went unsent. With keep_until_uploaded it stays.
func TestKioskRetentionOnItsClock(t *testing.T) {
	for _, keep := range []bool{false, true} {
		is := kiosktest.NewIssuer(t, t.TempDir())
		text, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
		clk := clock.NewFake(time.Now())
		cfg := config.Default()
		cfg.Device.RetentionDays = 1
		cfg.Device.KeepUntilUploaded = keep
		r := kiosktest.StartWith(t, kiosk.Options{Config: cfg, DataDir: t.TempDir(), TrustFile: is.TrustPath, Clock: clk})
		if res := r.Present(t, control.PresentRequest{Text: text}); res.Decision != "pass" {
			t.Fatalf("card: %+v", res)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := clk.BlockUntil(ctx, 2); err != nil {
			t.Fatal(err)
		}
		cancel()
		clk.Advance(25 * time.Hour)
		want := 0
		if keep {
			want = 1
		}
		kiosktest.WaitFor(t, 5*time.Second, "the hourly purge", func() bool {
			clk.Advance(time.Second)
			st := r.Status(t)
			return keep || st.Store.OutboxDepth == 0 && st.Store.PurgedUnsent == 1
		})
		if keep {
			// Let several housekeeping turns pass; the row must stay.
			for range 5 {
				clk.Advance(time.Hour + time.Second)
				time.Sleep(20 * time.Millisecond)
			}
		}
		st := r.Status(t)
		if st.Store.OutboxDepth != want || (st.Store.PurgedUnsent == 1) == keep {
			t.Fatalf("keep_until_uploaded=%v: outbox %d, purged unsent %d", keep, st.Store.OutboxDepth, st.Store.PurgedUnsent)
		}
		r.Stop()
	}
}

// A collector from before purged ranges refuses the field; the kiosk sends
// the batch without it rather than stall, and the gap shows as lost there.
func TestPurgedRangesToAnOldCollector(t *testing.T) {
	clk := clock.NewFake(time.Now().Add(-10 * 24 * time.Hour))
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "scangate.db"), store.Options{RetentionDays: 7, Now: clk.Now, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	record(t, st, 2, func() (time.Time, time.Duration, bool) { return clk.Now(), 0, true })
	clk.Advance(9 * 24 * time.Hour)
	record(t, st, 1, func() (time.Time, time.Duration, bool) { return clk.Now(), 0, true })
	if n, err := st.Purge(context.Background(), clk.Now()); err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v", n, err)
	}
	tc := startCollector(t, nil)
	refused := 0
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if plain, err := wire.Gunzip(body, wire.MaxBatchBytes); err == nil && bytes.Contains(plain, []byte(`"purged"`)) {
			refused++
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"code":"bad_request","message":"batch: json: unknown field \"purged\""}`))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		tc.C().Server.ServeHTTP(w, r)
	}))
	t.Cleanup(old.Close)
	d := runDevice(t, fastOptions(old.URL, tc.pub(), tc.C().EnrollToken(t, venue), dir, st))
	waitFor(t, 15*time.Second, "the outbox drained", func() bool {
		s, _ := d.st.OutboxStats(context.Background())
		return s.Depth == 0
	})
	ls, _ := tc.C().Backend.Ledgers(context.Background(), d.up.Status().DeviceID)
	if refused != 1 || len(ls) != 1 || ls[0].Lost != 2 || ls[0].AckSeq != 3 {
		t.Fatalf("refused %d times, ledger %+v; want one refusal, then ack 3 with the gap of 2 as lost", refused, ls)
	}
}
