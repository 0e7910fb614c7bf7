package integration_test

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"testing"
	"time"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/kiosk/kiosktest"
	"github.com/scangate/scangate/sync/collector/collectortest"
)

// plant writes a self-signed trust list and revocation list of a fresh key
// where the default [trust] files point, as an attacker with write access
// to the data directory would, and returns a card that key signed.
func plant(t *testing.T, dataDir string) (card string) {
	t.Helper()
	is := kiosktest.NewIssuer(t, dataDir)
	card, _ = is.Card(t, "马六", "elder", time.Now().AddDate(1, 0, 0))
	return card
}

// An enrolled kiosk decides with its collector's trust data from the first
// card after a restart, and no file in its data directory or on its
// command line can install trust, even with first_use set.
func TestEnrolledKioskIgnoresLocalTrustFiles(t *testing.T) {
	c := collectortest.Start(t, collectortest.Options{})
	c.CreateVenue(t, "lib-7")
	c.CreateIssuer(t, "iss-1")
	card := c.IssueCard(t, "iss-1", "holder-1", "王秀英", "elder")

	dir := t.TempDir()
	cfg := config.Default()
	cfg.Trust.FirstUse = true
	// The same card is shown again and again below: the reader re-arms at
	// once instead of after the half second a person takes to pull it away.
	cfg.Scanner.RearmAbsent = config.Duration{Duration: time.Millisecond}
	cfg.Scanner.RearmText = config.Duration{Duration: time.Millisecond}
	cfg.Uplink = config.Uplink{Enabled: true, URL: c.URL, EnrollToken: c.EnrollToken(t, "lib-7"),
		CollectorKey: base64.StdEncoding.EncodeToString(c.PublicKey()), PollInterval: config.Duration{Duration: time.Second}}
	r := kiosktest.Start(t, dir, cfg, "")
	kiosktest.WaitFor(t, 15*time.Second, "enrolled with trust data", func() bool {
		st, err := r.Client.Status(context.Background())
		return err == nil && st.Uplink != nil && st.Uplink.Enrolled && st.Trust.ListVersion > 0 && !st.Trust.Stale
	})
	r.Stop()

	forged := plant(t, dir)
	for _, trustFile := range []string{"", filepath.Join(dir, "trust.json")} {
		r := kiosktest.Start(t, dir, cfg, trustFile)
		st := r.AtReady
		if st.Trust.Stale || st.Trust.ListVersion == 0 {
			t.Fatalf("--trust %q: ready with unusable trust data: %+v", trustFile, st.Trust)
		}
		if len(st.Trust.Pins) != 1 || st.Trust.Pins[0].Origin != "collector" {
			t.Fatalf("--trust %q: pins %+v, want the collector's only", trustFile, st.Trust.Pins)
		}
		if res := r.Present(t, control.PresentRequest{Text: forged}); res.Decision != "fail" {
			t.Fatalf("--trust %q: card signed by a planted key: %+v", trustFile, res)
		}
		// The second round falls in the duplicate window: admitted again.
		if res := r.Present(t, control.PresentRequest{Text: card.QR}); res.Decision != "pass" && res.Decision != "already" {
			t.Fatalf("--trust %q: genuine card: %+v", trustFile, res)
		}
		r.Stop()
	}

	// Revocations still arrive: nothing planted holds the version back.
	r = kiosktest.Start(t, dir, cfg, "")
	c.RevokeCard(t, card.CardID)
	kiosktest.WaitFor(t, 15*time.Second, "revocation at the door", func() bool {
		res := r.Present(t, control.PresentRequest{Text: card.QR})
		return res.Decision == "fail" && res.Reason == "revoked"
	})
}
