package kiosk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/kiosk/kiosktest"
)

// The simulated kiosk draws the relay on its terminal: the door opens for
// a pass and stays locked for a refused card.
func TestSimulatedKioskOpensTheDoor(t *testing.T) {
	is := kiosktest.NewIssuer(t, t.TempDir())
	valid, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	expired, _ := is.Card(t, "李明", "child", time.Now().Add(-time.Minute))
	cfg := config.Default()
	cfg.Relay.Enabled, cfg.Relay.Pulse.Duration = true, 200*time.Millisecond
	r := kiosktest.Start(t, t.TempDir(), cfg, is.TrustPath)
	if res := r.Present(t, control.PresentRequest{Text: expired}); res.Decision != "fail" {
		t.Fatalf("expired: %s", res.Decision)
	}
	if strings.Contains(r.Term.String(), "relay: door open") {
		t.Fatal("a refused card opened the door")
	}
	if res := r.Present(t, control.PresentRequest{Text: valid}); res.Decision != "pass" {
		t.Fatalf("valid: %s", res.Decision)
	}
	kiosktest.WaitFor(t, 5*time.Second, "the door to open and lock again", func() bool {
		term := r.Term.String()
		i := strings.Index(term, "relay: door open")
		return i >= 0 && strings.Contains(term[i:], "relay: door locked")
	})
}
