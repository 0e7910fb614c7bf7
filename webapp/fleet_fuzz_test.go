package webapp_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

// FuzzFleetForms sends arbitrary policy forms, revocations and search
// and chart queries as an administrator: never a server error, a refused
// policy leaves the venue's as it was, an accepted one passes
// wire.Policy.Check, and no answer holds a whole card id.
func FuzzFleetForms(f *testing.F) {
	f.Add("mode=verify&duplicate_window=10m&max_trust_age=168h&companion_window=2m&categories=elder", "card=7a7a-7a7a", "venue=hall-1&from=2026-12-01&to=2026-12-03", "day=2026-12-03")
	f.Add("mode=log-only&duplicate_window=-1s&max_trust_age=1h&companion_window=0s", "card=%E7%8E%8B", "card=７Ａ７Ａ-７Ａ７Ａ&venue=nowhere", "day=2026年12月3日")
	f.Add("mode=verify&duplicate_window=99999h&categories=ghost", "card="+strings.Repeat("7a", 16), "venue=hall-1&from=2026-12-03&to=2025-01-01", "day=%00")
	f.Add("mode=&duplicate_window=&max_trust_age=0s&companion_window=1ns&fail_open=on", "card=", "from=x&to=y&card=zz", "venue=hall-1&day=9999-99-99")
	e := newEnv(f, false)
	ctx := context.Background()
	if err := e.be.CreateVenue(ctx, collector.Venue{ID: "hall-1", Name: "会场", Policy: wire.DefaultPolicy(), VenueSettings: collector.VenueSettings{TimeZone: "Asia/Shanghai"}}); err != nil {
		f.Fatal(err)
	}
	card := strings.Repeat("7a", 16)
	e.kiosk("hall-1", wire.Record{At: e.clock.Now(), Decision: "pass", Reason: "pass", CardID: card, Name: "王*英", Category: "elder"})
	a := e.browser()
	if code := a.login("admin", "admin password"); code != 200 {
		f.Fatalf("admin sign-in: %d", code)
	}
	a.get("/admin/fleet")
	csrf := a.csrf()
	f.Fuzz(func(t *testing.T, policy, revoke, search, chart string) {
		te := *e
		te.t = t // the browser's failures are this input's
		a.e = &te
		before, err := e.be.Venue(ctx, "hall-1")
		if err != nil {
			t.Fatal(err)
		}
		pf, err := url.ParseQuery(policy)
		if err != nil {
			pf = url.Values{}
		}
		pf.Set("csrf", csrf)
		code, _ := a.post("/admin/venues/hall-1/policy", pf)
		after, _ := e.be.Venue(ctx, "hall-1")
		switch {
		case code >= 500:
			t.Fatalf("policy %q: %d", policy, code)
		case code != 200 && !equalPolicy(before.Policy, after.Policy):
			t.Fatalf("refused policy %q (%d) changed the venue: %+v", policy, code, after.Policy)
		case code == 200 && after.Policy.Check() != nil:
			t.Fatalf("accepted policy %q fails its check: %+v", policy, after.Policy)
		}
		e.be.SetVenuePolicy(ctx, "hall-1", wire.DefaultPolicy())

		rf, err := url.ParseQuery(revoke)
		if err != nil {
			rf = url.Values{}
		}
		rf.Set("csrf", csrf)
		if code, _ := a.post("/admin/cards/revoke", rf); code >= 500 {
			t.Fatalf("revoke %q: %d", revoke, code)
		}
		for _, p := range []string{"/admin/search?" + search, "/admin/checkins?" + chart} {
			if _, err := url.Parse(p); err != nil {
				continue // no client sends it
			}
			code, body := a.get(p)
			if code >= 500 {
				t.Fatalf("GET %s: %d", p, code)
			}
			if strings.Contains(body, card) {
				t.Fatalf("GET %s shows the whole card id", p)
			}
		}
	})
}

func equalPolicy(a, b wire.Policy) bool {
	return a.Mode == b.Mode && a.DuplicateWindow == b.DuplicateWindow && a.MaxTrustAge == b.MaxTrustAge &&
		a.CompanionWindow == b.CompanionWindow && a.FailOpen == b.FailOpen && strings.Join(a.Categories, ",") == strings.Join(b.Categories, ",")
}
