package integration_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/scangate/scangate/kiosk/kiosktest"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
	"github.com/scangate/scangate/sync/wire"
)

// The administrator sets a venue's capacity at the collector; the kiosk
// (camera the entry, serial scanner an exit) takes it with its bundle,
// refuses the second person as full until the first leaves, and the
// exit and the full refusal arrive at the collector as they were decided.
func TestVenueCapacityFromTheCollector(t *testing.T) {
	c := collectortest.Start(t, collectortest.Options{})
	c.CreateVenue(t, "lib-8")
	p := wire.DefaultPolicy()
	p.Capacity = 1
	if st := c.Admin(t, "PUT", "/v1/admin/venues/lib-8/policy", p, nil); st != http.StatusOK && st != http.StatusNoContent {
		t.Fatalf("set policy: %d", st)
	}
	c.CreateIssuer(t, "iss-1")
	a := c.IssueCard(t, "iss-1", "holder-1", "王秀英", "elder")
	b := c.IssueCard(t, "iss-1", "holder-2", "李明", "child")

	cfg := config.Default()
	cfg.Serial.Exit = true
	cfg.Scanner.RearmText = config.Duration{Duration: 10 * time.Millisecond} // the same code typed at the exit at once
	cfg.Uplink = config.Uplink{Enabled: true, URL: c.URL, EnrollToken: c.EnrollToken(t, "lib-8"),
		CollectorKey: base64.StdEncoding.EncodeToString(c.PublicKey()), PollInterval: config.Duration{Duration: time.Second}}
	r := kiosktest.Start(t, t.TempDir(), cfg, "")
	kiosktest.WaitFor(t, 15*time.Second, "the venue's bundle applied", func() bool {
		st, err := r.Client.Status(context.Background())
		return err == nil && st.Uplink != nil && st.Uplink.BundleETag != "" && st.Trust.ListVersion > 0 // the ETag is set once the policy is applied
	})
	enter := func(qr string) control.PresentResult {
		time.Sleep(700 * time.Millisecond) // the last card's hold and rearm_absent (500 ms)
		return r.Present(t, control.PresentRequest{Image: kiosktest.CardPNG(t, "王秀英", "elder", qr), Hold: 150 * time.Millisecond})
	}
	for _, s := range []struct {
		name             string
		res              control.PresentResult
		decision, reason string
	}{
		{"first in", enter(a.QR), "pass", "pass"},
		{"second: full", enter(b.QR), "full", "venue_full"},
		{"first leaves", r.Present(t, control.PresentRequest{Text: a.QR}), "exit", "exit"},
		{"second in", enter(b.QR), "pass", "pass"},
	} {
		if s.res.Decision != s.decision || s.res.Reason != s.reason {
			t.Fatalf("%s: %s/%s, want %s/%s", s.name, s.res.Decision, s.res.Reason, s.decision, s.reason)
		}
	}
	from, to := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	q := "?from=" + url.QueryEscape(from.Format(time.RFC3339)) + "&to=" + url.QueryEscape(to.Format(time.RFC3339))
	var vs []collector.Visit
	kiosktest.WaitFor(t, 15*time.Second, "the four decisions at the collector", func() bool {
		vs = nil
		c.Admin(t, "GET", "/v1/admin/venues/lib-8/visits"+q, nil, &vs)
		return len(vs) == 4
	})
	for i, want := range []string{"pass", "full", "exit", "pass"} {
		if vs[i].Decision != want {
			t.Errorf("visit %d at the collector: %s/%s, want %s", i, vs[i].Decision, vs[i].Reason, want)
		}
	}
}
