package kiosk_test

import (
	"context"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/kiosk"
	"github.com/scangate/scangate/kiosk/kiosktest"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/scanner"
	"github.com/scangate/scangate/store"
)

func TestSimulatedKioskAtTheDoor(t *testing.T) {
	dir := t.TempDir()
	is := kiosktest.NewIssuer(t, t.TempDir())
	revokedText, revokedID := is.Card(t, "张伟", "companion", time.Now().AddDate(1, 0, 0))
	is.Revoke(t, revokedID)
	valid, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	expired, _ := is.Card(t, "李明", "child", time.Now().Add(-time.Minute))
	forger := kiosktest.NewIssuer(t, t.TempDir())
	forged, _ := forger.Card(t, "赵强", "elder", time.Now().AddDate(1, 0, 0))

	r := kiosktest.Start(t, dir, config.Default(), is.TrustPath)
	for _, tc := range []struct {
		name, text, decision, reason string
		image                        bool
	}{
		{"valid card on camera", valid, "pass", "pass", true},
		{"expired card on camera", expired, "fail", "expired", true},
		{"revoked card on camera", revokedText, "fail", "revoked", true},
		{"forged card on camera", forged, "fail", "unknown_issuer", true},
		{"valid card again by serial", valid, "already", "already_checked_in", false},
		{"not a scangate code", "https://example.org/menu", "fail", "malformed", false},
	} {
		req := control.PresentRequest{Text: tc.text}
		if tc.image {
			req = control.PresentRequest{Image: kiosktest.CardPNG(t, "王秀英", "elder", tc.text)}
		}
		res := r.Present(t, req)
		if res.Decision != tc.decision || res.Reason != tc.reason {
			t.Errorf("%s: got %s/%s, want %s/%s", tc.name, res.Decision, res.Reason, tc.decision, tc.reason)
		}
	}

	st, err := r.Client.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Ready || !st.Sim || st.Store.Health != "ok" || st.Store.Checkins != 6 || st.Trust.ListVersion != 1 || st.Trust.RevocationVersion != 2 || st.Trust.Stale {
		t.Errorf("status: %+v", st)
	}
	if len(st.Last) != 6 || st.Last[0].Name != "王*英" {
		t.Errorf("last decisions: %+v", st.Last)
	}
	for _, d := range st.Last {
		if strings.Contains(d.Name, "秀") {
			t.Errorf("status shows an unmasked name: %q", d.Name)
		}
	}
	// The door showed it: green light and the Chinese welcome on the screen.
	if out := r.Term.String(); !strings.Contains(out, "请通行") || !strings.Contains(out, "已过期") {
		t.Errorf("terminal feedback lacks the texts:\n%s", out)
	}

	// Shutdown drains and closes the database; every decision is on disk.
	r.Stop()
	sto, err := store.Open(filepath.Join(dir, kiosk.DBName), store.Options{Logger: kiosktest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer sto.Close()
	ob, err := sto.OutboxStats(context.Background())
	if err != nil || ob.Depth != 6 || ob.LastSeq != 6 {
		t.Fatalf("outbox after restart: %+v %v", ob, err)
	}
	if _, err := os.Stat(filepath.Join(dir, control.SocketName)); !os.IsNotExist(err) {
		t.Errorf("control socket left behind: %v", err)
	}
}

// The rearm rule, on the kiosk's clock: a card held still for 30 s is one
// decision, one feedback and one row; taken away and shown again, it is
// "already checked in".
func TestHoldingACardIsOneCheckin(t *testing.T) {
	dir := t.TempDir()
	is := kiosktest.NewIssuer(t, t.TempDir())
	valid, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	clk := clock.NewFake(time.Now())
	r := kiosktest.StartWith(t, kiosk.Options{Config: config.Default(), DataDir: dir, TrustFile: is.TrustPath, Clock: clk})
	decisions, stop := kiosk.SubscribeDecisions(r.K)
	defer stop()
	f, err := scanner.FrameFromBytes(kiosktest.CardPNG(t, "王秀英", "elder", valid))
	if err != nil {
		t.Fatal(err)
	}
	card := &image.Gray{Pix: f.Y, Stride: f.Stride, Rect: image.Rect(0, 0, f.Width, f.Height)}
	// step moves the kiosk's clock on and waits until a frame stamped
	// after the move was captured and (wantCode) one more was read, so the
	// debouncer sees the card at every step.
	step := func(d time.Duration, wantCode bool) {
		t.Helper()
		before := r.K.Status(context.Background()).Sources[0].Decoded
		clk.Advance(d)
		now := clk.Now()
		deadline := time.Now().Add(10 * time.Second)
		for {
			src := r.K.Status(context.Background()).Sources[0]
			if !src.LastInput.Before(now) && (!wantCode || src.Decoded > before) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no frame read at %s", now.Format("15:04:05.000"))
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	kiosk.ShowSim(r.K, card)
	for held := time.Duration(0); held < 30*time.Second; held += 250 * time.Millisecond {
		step(250*time.Millisecond, true)
	}
	st := r.Status(t)
	if st.Store.Checkins != 1 || st.Sources[0].Codes != 1 || st.Sources[0].Decoded < 100 {
		t.Fatalf("held 30 s: %d check-ins, %d codes over %d decoded frames; want 1 and 1 over ≥ 100",
			st.Store.Checkins, st.Sources[0].Codes, st.Sources[0].Decoded)
	}
	var got []string
	for len(decisions) > 0 {
		d := <-decisions
		got = append(got, d.Outcome.String())
	}
	if len(got) != 1 || got[0] != "pass" || strings.Count(r.Term.String(), "请通行") != 1 || strings.Contains(r.Term.String(), "已签到") {
		t.Fatalf("held 30 s: decisions %v, feedback:\n%s", got, r.Term.String())
	}
	// Out of view for longer than rearm_absent, then shown again.
	kiosk.ShowSim(r.K, nil)
	step(time.Second, false)
	kiosk.ShowSim(r.K, card)
	step(100*time.Millisecond, true)
	select {
	case d := <-decisions:
		if d.Outcome.String() != "already" {
			t.Fatalf("shown again: %v/%s", d.Outcome, d.Reason)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no decision when the card came back")
	}
	if st := r.Status(t); st.Store.Checkins != 2 {
		t.Fatalf("check-ins after showing it again: %d", st.Store.Checkins)
	}
}

func TestPresentRefusedOutsideSimAndBadInput(t *testing.T) {
	dir := t.TempDir()
	is := kiosktest.NewIssuer(t, t.TempDir())
	r := kiosktest.Start(t, dir, config.Default(), is.TrustPath)
	for _, req := range []control.PresentRequest{{}, {Image: []byte("not an image")}, {Image: []byte{1}, Text: "x"}} {
		if _, err := r.Client.Present(context.Background(), req); err == nil {
			t.Errorf("present %+v accepted", req)
		}
	}
	// A bad presentation changed nothing.
	st, _ := r.Client.Status(context.Background())
	if st.Store.Checkins != 0 {
		t.Errorf("check-ins after refused presentations: %d", st.Store.Checkins)
	}
	// A second kiosk on the same data directory refuses to start.
	err := kiosk.Run(context.Background(), kiosk.Options{Config: config.Default(), DataDir: dir, Sim: true, Terminal: io.Discard, Logger: kiosktest.Quiet()})
	if err == nil {
		t.Fatal("second kiosk on the same data directory started")
	}
}

// Without trust data the device cannot tell a good card from a bad one:
// a device fault with the precise reason, never "invalid card".
func TestNoTrustIsADeviceFault(t *testing.T) {
	is := kiosktest.NewIssuer(t, t.TempDir())
	valid, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	r := kiosktest.Start(t, t.TempDir(), config.Default(), "")
	if res := r.Present(t, control.PresentRequest{Text: valid}); res.Decision != "fault" || res.Reason != "configuration" {
		t.Fatalf("without a pinned key: %+v", res)
	}
	cfg := config.Default()
	cfg.Trust.FirstUse = true // a key may still come: the data is missing, not the configuration
	r = kiosktest.Start(t, t.TempDir(), cfg, "")
	if res := r.Present(t, control.PresentRequest{Text: valid}); res.Decision != "fault" || res.Reason != "trust_data_stale" {
		t.Fatalf("without trust data: %+v", res)
	}
}
