package kiosk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/kiosk"
	"github.com/scangate/scangate/kiosk/kiosktest"
)

// TestExitAndCapacityAtTheDoor: the simulated camera is the entry and the
// serial scanner an exit, in a venue of capacity 1. A second person is
// refused as full (its own words on the screen) until the first leaves;
// an exit shows goodbye, a second exit of the same card is not counted
// again, a revoked card still leaves (flagged), and after a restart the
// count is what the ledger says.
func TestExitAndCapacityAtTheDoor(t *testing.T) {
	dir := t.TempDir()
	is := kiosktest.NewIssuer(t, t.TempDir())
	a, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	b, _ := is.Card(t, "李明", "child", time.Now().AddDate(1, 0, 0))
	c, _ := is.Card(t, "赵强", "elder", time.Now().AddDate(1, 0, 0))
	revoked, revokedID := is.Card(t, "张伟", "elder", time.Now().AddDate(1, 0, 0))
	is.Revoke(t, revokedID)

	cfg := config.Default()
	cfg.Serial.Exit = true
	cfg.Policy.Capacity = 1
	cfg.Scanner.RearmText = config.Duration{Duration: 10 * time.Millisecond} // the same code typed again at once
	r := kiosktest.Start(t, dir, cfg, is.TrustPath)
	enter := func(text string) control.PresentResult {
		time.Sleep(700 * time.Millisecond) // the last card's hold and rearm_absent (500 ms)
		return r.Present(t, control.PresentRequest{Image: kiosktest.CardPNG(t, "王秀英", "elder", text), Hold: 150 * time.Millisecond})
	}
	leave := func(text string) control.PresentResult {
		time.Sleep(20 * time.Millisecond) // past rearm_text
		return r.Present(t, control.PresentRequest{Text: text})
	}
	steps := []struct {
		name             string
		res              func() control.PresentResult
		decision, reason string
	}{
		{"first in", func() control.PresentResult { return enter(a) }, "pass", "pass"},
		{"second refused: full", func() control.PresentResult { return enter(b) }, "full", "venue_full"},
		{"first leaves", func() control.PresentResult { return leave(a) }, "exit", "exit"},
		{"first shown at the exit again", func() control.PresentResult { return leave(a) }, "exit", "already_exited"},
		{"second in", func() control.PresentResult { return enter(b) }, "pass", "pass"},
		{"revoked card leaves, flagged", func() control.PresentResult { return leave(revoked) }, "exit", "revoked"},
		{"third refused: full", func() control.PresentResult { return enter(c) }, "full", "venue_full"},
	}
	for _, s := range steps {
		if got := s.res(); got.Decision != s.decision || got.Reason != s.reason {
			t.Fatalf("%s: %s/%s, want %s/%s", s.name, got.Decision, got.Reason, s.decision, s.reason)
		}
	}
	// Full between cards too, before anyone queues.
	if idle := kiosk.IdleLines(r.K); len(idle) == 0 || idle[0] != "场所已满 请稍候" {
		t.Errorf("idle screen while full: %q", idle)
	}
	// Inside now: the second person only (the first left, the revoked card
	// never came in here).
	if o := r.Status(t).Occupancy; o == nil || o.PeopleIn != 1 || o.Capacity != 1 || len(o.Exits) != 1 || o.Exits[0] != "serial0" {
		t.Fatalf("status occupancy %+v", o)
	}
	out := r.Term.String()
	for _, want := range []string{"场所已满 请稍候", "Venue full, please wait", "再见", "Goodbye", "已注销"} {
		if !strings.Contains(out, want) {
			t.Errorf("the door never showed %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "秀") {
		t.Error("the screen showed an unmasked name")
	}

	r.Stop()
	r = kiosktest.Start(t, dir, cfg, is.TrustPath)
	if got := enter(c); got.Decision != "full" {
		t.Fatalf("after a restart: %s/%s, want full (the second person is still in)", got.Decision, got.Reason)
	}
	if got := leave(b); got.Decision != "exit" || got.Reason != "exit" {
		t.Fatalf("second leaves after the restart: %s/%s", got.Decision, got.Reason)
	}
	if idle := kiosk.IdleLines(r.K); len(idle) == 0 || idle[0] != "请出示身份码" {
		t.Errorf("idle screen with a place free: %q", idle)
	}
	if got := enter(c); got.Decision != "pass" {
		t.Fatalf("a place freed after the restart: %s/%s", got.Decision, got.Reason)
	}
}
