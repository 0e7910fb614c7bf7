package statusreport_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/statusreport"
	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/sync/uplink"
)

// TestStoreSection reads a real store: two queued check-ins, the oldest's
// age from the report's now.
func TestStoreSection(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "kiosk.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	at := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	for i := range 2 {
		if _, err := st.Record(ctx, door.Entry{At: at.Add(time.Duration(i) * time.Minute), Outcome: door.Pass, Reason: door.ReasonPass}); err != nil {
			t.Fatal(err)
		}
	}
	got := statusreport.Store(ctx, st, at.Add(time.Hour), time.UTC)
	if got.OutboxDepth != 2 || got.Checkins != 2 || got.OldestAgeS != 3600 || got.Health != "ok" || got.LastError != "" {
		t.Fatalf("store section %+v", got)
	}
}

type brokenLedger struct{ h store.Health }

func (b brokenLedger) Health() store.Health                               { return b.h }
func (brokenLedger) Recoveries(context.Context) ([]store.Recovery, error) { return nil, nil }
func (brokenLedger) OutboxStats(context.Context) (store.OutboxStats, error) {
	return store.OutboxStats{}, errors.New("disk I/O error")
}

// TestStoreSectionReadFails: an outbox that cannot be read is an error in
// the section, not an empty outbox.
func TestStoreSectionReadFails(t *testing.T) {
	got := statusreport.Store(context.Background(), brokenLedger{h: store.Health{State: "degraded"}}, time.Now(), time.UTC)
	if got.LastError != "disk I/O error" || got.Health != "degraded" {
		t.Fatalf("store section %+v", got)
	}
}

// TestTrustSectionWithoutLists: no trust data is stale (every card would
// be refused), never "fresh".
func TestTrustSectionWithoutLists(t *testing.T) {
	if got := statusreport.Trust(nil, nil, time.Now()); !got.Stale || got.ListVersion != 0 {
		t.Fatalf("trust section without lists %+v", got)
	}
}

// TestUplinkSection: a refusal is the last error when there is no other,
// and times are in the device's zone.
func TestUplinkSection(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip(err)
	}
	at := time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)
	got := statusreport.Uplink(uplink.Status{Enrolled: true, Refused: "device revoked", LastSuccess: at}, sh)
	if !strings.Contains(got.LastError, "refused: device revoked") || got.LastSuccess.Location() != sh || !got.LastSuccess.Equal(at) {
		t.Fatalf("uplink section %+v", got)
	}
	if got := statusreport.Uplink(uplink.Status{LastError: "timeout", Refused: "x"}, time.UTC); got.LastError != "timeout" {
		t.Fatalf("the uplink's own error first: %+v", got)
	}
}
