package integration_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/kiosk/kiosktest"
	"github.com/scangate/scangate/statuspage"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
)

// What staff register and undo at the kiosk's desk reaches the collector
// as the collector's own desk writes it: the manual check-in with source
// manual:<staff> and the typed reason, the undo naming the manual
// check-in by the device, ledger and seq the collector holds it under.
func TestKioskDeskUploads(t *testing.T) {
	c := collectortest.Start(t, collectortest.Options{})
	c.CreateVenue(t, "lib-7")
	c.CreateIssuer(t, "iss-1")
	card := c.IssueCard(t, "iss-1", "holder-1", "王秀英", "elder")
	h, err := statuspage.HashPassword("li-password-1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Desk = config.Desk{Listen: "127.0.0.1:0", Staff: []config.DeskStaff{{ID: "li", Name: "李明", PasswordHash: h}}}
	cfg.Uplink = config.Uplink{Enabled: true, URL: c.URL, EnrollToken: c.EnrollToken(t, "lib-7"),
		CollectorKey: base64.StdEncoding.EncodeToString(c.PublicKey()), PollInterval: config.Duration{Duration: time.Second}}
	r := kiosktest.Start(t, t.TempDir(), cfg, "")
	kiosktest.WaitFor(t, 15*time.Second, "enrolled with trust data", func() bool {
		st, err := r.Client.Status(context.Background())
		return err == nil && st.Uplink != nil && st.Uplink.Enrolled && st.Trust.ListVersion > 0 && !st.Trust.Stale
	})
	if res := r.Present(t, control.PresentRequest{Text: card.QR}); res.Decision != "pass" {
		t.Fatalf("card: %+v", res)
	}

	base := "http://" + r.K.DeskAddr()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	csrfRe := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)
	var csrf string
	post := func(path string, form url.Values) string {
		t.Helper()
		if csrf != "" {
			form.Set("csrf", csrf)
		}
		resp, err := hc.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
		}
		if m := csrfRe.FindSubmatch(b); m != nil {
			csrf = string(m[1])
		}
		return string(b)
	}
	post("/login", url.Values{"id": {"li"}, "password": {"li-password-1"}})
	number := collector.PrintedNumber(card.CardID)
	post("/manual", url.Values{"name": {"孙秀兰"}, "category": {"elder"}, "reason": {"凭证损坏"}, "card": {number}})

	var vs []collector.Visit
	from, to := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	q := "?from=" + url.QueryEscape(from.Format(time.RFC3339)) + "&to=" + url.QueryEscape(to.Format(time.RFC3339))
	kiosktest.WaitFor(t, 15*time.Second, "the manual check-in at the collector", func() bool {
		vs = nil
		c.Admin(t, "GET", "/v1/admin/venues/lib-7/visits"+q, nil, &vs)
		return len(vs) == 2
	})
	m := vs[1]
	if m.Source != "manual:li" || m.Decision != "pass" || m.Reason != "凭证损坏" || m.Name != "孙*兰" || m.CardID != card.CardID {
		t.Fatalf("manual check-in at the collector: %+v", m)
	}
	key := m.Device + "/" + m.Ledger + "/" + "2"
	if m.Seq != 2 {
		t.Fatalf("manual check-in seq %d", m.Seq)
	}
	post("/undo", url.Values{"record": {key}, "reason": {"误登记"}})
	kiosktest.WaitFor(t, 15*time.Second, "the undo at the collector", func() bool {
		vs = nil
		c.Admin(t, "GET", "/v1/admin/venues/lib-7/visits"+q, nil, &vs)
		return len(vs) == 3
	})
	if u := vs[2]; u.Decision != "undo" || u.Reason != "undo "+key+": 误登记" || u.Source != "manual:li" || u.Device != m.Device {
		t.Fatalf("undo at the collector: %+v (want it to name %s)", u, key)
	}
	for _, v := range vs {
		if strings.Contains(v.Name, "孙秀兰") || strings.Contains(v.Name, "王秀英") {
			t.Fatalf("a full name reached the collector: %+v", v)
		}
	}
}
