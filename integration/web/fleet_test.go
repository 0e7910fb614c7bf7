package web_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/kiosk/kiosktest"
	"github.com/scangate/scangate/sync/collector"
)

func TestBrowserFleetSQLite(t *testing.T)   { runFleet(t, false) }
func TestBrowserFleetPostgres(t *testing.T) { runFleet(t, true) }

// runFleet: an administrator sees the kiosk green, the kiosk stops and
// its row turns red (a short unseen time), the administrator revokes the
// card on the fleet page, and the kiosk, started again, fetches the bundle
// and refuses the card as revoked; its row is green again.
func runFleet(t *testing.T, pg bool) {
	s := startSite(t, pg, collector.FleetRules{UnseenRed: 4 * time.Second, UnseenAmber: 2 * time.Second})
	c := newChrome(t, s.pages.URL)
	c.do(chromedp.EmulateViewport(1280, 900))
	ctx := context.Background()

	var tok collector.TokenResponse
	s.admin(t, "POST", "/v1/admin/venues/hall-1/enroll-tokens", map[string]string{}, &tok)
	cfg := config.Default()
	cfg.Scanner.RearmAbsent = config.Duration{Duration: time.Millisecond}
	cfg.Scanner.RearmText = config.Duration{Duration: time.Millisecond}
	cfg.Uplink = config.Uplink{Enabled: true, URL: s.devices.URL, EnrollToken: tok.Token,
		CollectorKey: base64.StdEncoding.EncodeToString(s.pub), PollInterval: config.Duration{Duration: time.Second}}
	dir := t.TempDir()
	kiosk := kiosktest.Start(t, dir, cfg, "")
	kiosktest.WaitFor(t, 20*time.Second, "kiosk enrolled with trust data", func() bool {
		st, err := kiosk.Client.Status(ctx)
		return err == nil && st.Uplink != nil && st.Uplink.Enrolled && st.Trust.ListVersion > 0 && !st.Trust.Stale
	})
	device := kiosk.Status(t).Uplink.DeviceID

	var card collector.CardResponse
	s.admin(t, "POST", "/v1/admin/cards", collector.CardRequest{Issuer: "gulou", Holder: "h-1", Name: "王秀英", Category: "elder"}, &card)
	if res := kiosk.Present(t, control.PresentRequest{Text: card.QR}); res.Decision != "pass" {
		t.Fatalf("the card at the kiosk: %+v", res)
	}
	kiosktest.WaitFor(t, 20*time.Second, "the check-in at the collector", func() bool {
		vs, err := s.be.VisitsOfCard(ctx, card.CardID, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		return err == nil && len(vs) == 1
	})

	row := `tr[data-device="` + device + `"]`
	state := func() string {
		c.open("/admin/fleet")
		actx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
		defer cancel()
		a, err := chromedp.Run(actx, chromedp.AttributeValue(chromedp.CSS(row), "class"))
		if err != nil {
			t.Fatalf("fleet row of %s: %v", device, err)
		}
		return strings.TrimPrefix(a.Value, "state-")
	}
	c.login("admin", "admin password")
	kiosktest.WaitFor(t, 20*time.Second, "the kiosk's report on the fleet page", func() bool {
		st := state()
		if st != "green" {
			t.Logf("state %s: %s", st, c.text())
		}
		return st == "green"
	})
	page := c.text()
	for _, want := range []string{device, "正常", "hall-1"} {
		if !strings.Contains(page, want) {
			t.Errorf("fleet page lacks %q:\n%s", want, page)
		}
	}
	c.shot("fleet-green")

	// The kiosk stops: no upload, no bundle request; the row turns red.
	kiosk.Stop()
	kiosktest.WaitFor(t, 20*time.Second, "the stopped kiosk red", func() bool { return state() == "red" })
	if !strings.Contains(c.text(), "长时间未联系") {
		t.Errorf("red without its reason:\n%s", c.text())
	}
	c.shot("fleet-red")

	// Revoke the card by the number printed on it.
	number := collector.PrintedNumber(card.CardID)
	c.submit(map[string]string{`input[name=card]`: strings.ToLower(number), `input[name=why]`: "挂失"}, `form[action="/admin/cards/revoke"] button`)
	if !strings.Contains(c.text(), number) {
		t.Fatalf("no revocation notice:\n%s", c.text())
	}
	c.shot("fleet-revoked")

	// The kiosk again: it fetches the bundle and refuses the card.
	kiosk = kiosktest.Start(t, dir, cfg, "")
	kiosktest.WaitFor(t, 20*time.Second, "the revoked card refused", func() bool {
		res := kiosk.Present(t, control.PresentRequest{Text: card.QR})
		return res.Decision == "fail" && res.Reason == "revoked"
	})
	kiosktest.WaitFor(t, 20*time.Second, "the kiosk green again", func() bool { return state() == "green" })

	// The day's chart and the venue's policy page.
	c.open("/admin/checkins?venue=hall-1")
	if n := c.count(`table.hours tr:last-child th:last-child`); n < 2 {
		t.Errorf("chart total %d, want the pass and the refusal", n)
	}
	c.shot("fleet-chart")
	c.open("/admin/venues/hall-1/policy")
	c.submit(map[string]string{`input[name=duplicate_window]`: "十分钟"}, `button.primary`)
	if !strings.Contains(c.text(), "请写成时长") {
		t.Errorf("no error for a bad duration:\n%s", c.text())
	}
	c.shot("fleet-policy-error")
	c.submit(map[string]string{`input[name=duplicate_window]`: "15m"}, `button.primary`)
	if v, err := s.be.Venue(ctx, "hall-1"); err != nil || time.Duration(v.Policy.DuplicateWindow) != 15*time.Minute {
		t.Fatalf("policy not saved: %+v %v", v.Policy, err)
	}
	c.shot("fleet-policy")

	// Each action is in the audit log.
	c.open("/admin/audit")
	for _, act := range []string{"admin_card_revoke", "venue_policy_set"} {
		if !strings.Contains(c.text(), act) {
			t.Errorf("audit lacks %s", act)
		}
	}
}
