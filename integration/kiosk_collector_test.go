package integration_test

import (
	"context"
	"encoding/base64"
	"net/url"
	"testing"
	"time"

	"github.com/scangate/scangate/kiosk/kiosktest"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
)

// The kiosk enrolls with a real collector on loopback, takes its trust
// data from the collector's bundle, uploads its check-ins, and refuses a
// card the administrator revoked at the collector.
func TestKioskWithCollector(t *testing.T) {
	c := collectortest.Start(t, collectortest.Options{})
	c.CreateVenue(t, "lib-7")
	c.CreateIssuer(t, "iss-1")
	card := c.IssueCard(t, "iss-1", "holder-1", "王秀英", "elder")
	other := c.IssueCard(t, "iss-1", "holder-2", "李明", "child")

	cfg := config.Default()
	// The same card is shown again and again below: the reader re-arms at
	// once instead of after the half second a person takes to pull it away.
	cfg.Scanner.RearmAbsent = config.Duration{Duration: time.Millisecond}
	cfg.Scanner.RearmText = config.Duration{Duration: time.Millisecond}
	cfg.Uplink = config.Uplink{Enabled: true, URL: c.URL, EnrollToken: c.EnrollToken(t, "lib-7"),
		CollectorKey: base64.StdEncoding.EncodeToString(c.PublicKey()), PollInterval: config.Duration{Duration: time.Second}}
	r := kiosktest.Start(t, t.TempDir(), cfg, "")

	// Trust data arrives with the first bundle.
	kiosktest.WaitFor(t, 15*time.Second, "enrolled with trust data", func() bool {
		st, err := r.Client.Status(context.Background())
		return err == nil && st.Uplink != nil && st.Uplink.Enrolled && st.Trust.ListVersion > 0 && !st.Trust.Stale
	})
	if res := r.Present(t, control.PresentRequest{Text: card.QR}); res.Decision != "pass" {
		t.Fatalf("card before revocation: %+v", res)
	}
	if res := r.Present(t, control.PresentRequest{Text: other.QR}); res.Decision != "pass" {
		t.Fatalf("second card: %+v", res)
	}
	// Both check-ins arrive at the collector, once.
	from, to := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	q := "?from=" + url.QueryEscape(from.Format(time.RFC3339)) + "&to=" + url.QueryEscape(to.Format(time.RFC3339))
	kiosktest.WaitFor(t, 15*time.Second, "check-ins at the collector", func() bool {
		var vs []collector.Visit
		c.Admin(t, "GET", "/v1/admin/venues/lib-7/visits"+q, nil, &vs)
		return len(vs) == 2
	})
	kiosktest.WaitFor(t, 5*time.Second, "outbox drained", func() bool {
		st, _ := r.Client.Status(context.Background())
		return st.Store.OutboxDepth == 0
	})

	// Revoked at the collector → refused at the door within a few polls.
	c.RevokeCard(t, card.CardID)
	kiosktest.WaitFor(t, 15*time.Second, "revocation at the door", func() bool {
		res := r.Present(t, control.PresentRequest{Text: card.QR})
		return res.Decision == "fail" && res.Reason == "revoked"
	})
}
