package kiosk

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/sync/collector/collectortest"
)

// startCapturing runs a kiosk and returns its status as it was when the
// kiosk declared itself ready, before any background work (the uplink) ran.
func startCapturing(t *testing.T, dataDir string, cfg config.Config, trustFile string) (*running, control.Status) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1), term: &syncBuffer{}}
	ready := make(chan control.Status, 1)
	go func() {
		r.done <- Run(ctx, Options{Config: cfg, DataDir: dataDir, Sim: true, TrustFile: trustFile,
			Terminal: r.term, Logger: quiet(), Ready: func(k *Kiosk) {
				r.k = k
				ready <- k.Status(context.Background())
			}})
	}()
	var st control.Status
	select {
	case st = <-ready:
	case err := <-r.done:
		t.Fatalf("kiosk did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("kiosk not ready within 10 s")
	}
	r.client = control.NewClient(filepath.Join(dataDir, control.SocketName))
	t.Cleanup(r.stop)
	return r, st
}

// plant writes a self-signed trust list and revocation list of a fresh key
// where the default [trust] files point, as an attacker with write access
// to the data directory would, and returns a card that key signed.
func plant(t *testing.T, dataDir string) (card string) {
	t.Helper()
	is := newIssuer(t, dataDir) // trust.json, revocations.json, v1
	card, _ = is.card(t, "马六", "elder", time.Now().AddDate(1, 0, 0))
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
	cfg.Uplink = config.Uplink{Enabled: true, URL: c.URL, EnrollToken: c.EnrollToken(t, "lib-7"),
		CollectorKey: base64.StdEncoding.EncodeToString(c.PublicKey()), PollInterval: config.Duration{Duration: time.Second}}
	r := start(t, dir, cfg, "")
	waitFor(t, 15*time.Second, "enrolled with trust data", func() bool {
		st, err := r.client.Status(context.Background())
		return err == nil && st.Uplink != nil && st.Uplink.Enrolled && st.Trust.ListVersion > 0 && !st.Trust.Stale
	})
	r.stop()

	forged := plant(t, dir)
	for _, trustFile := range []string{"", filepath.Join(dir, "trust.json")} {
		r, st := startCapturing(t, dir, cfg, trustFile)
		if st.Trust.Stale || st.Trust.ListVersion == 0 {
			t.Fatalf("--trust %q: ready with unusable trust data: %+v", trustFile, st.Trust)
		}
		if len(st.Trust.Pins) != 1 || st.Trust.Pins[0].Origin != "collector" {
			t.Fatalf("--trust %q: pins %+v, want the collector's only", trustFile, st.Trust.Pins)
		}
		if res := r.present(t, control.PresentRequest{Text: forged}); res.Decision != "fail" {
			t.Fatalf("--trust %q: card signed by a planted key: %+v", trustFile, res)
		}
		// The second round falls in the duplicate window: admitted again.
		if res := r.present(t, control.PresentRequest{Text: card.QR}); res.Decision != "pass" && res.Decision != "already" {
			t.Fatalf("--trust %q: genuine card: %+v", trustFile, res)
		}
		r.stop()
	}

	// Revocations still arrive: nothing planted holds the version back.
	r = start(t, dir, cfg, "")
	c.RevokeCard(t, card.CardID)
	waitFor(t, 15*time.Second, "revocation at the door", func() bool {
		time.Sleep(600 * time.Millisecond) // the serial reader re-arms
		res := r.present(t, control.PresentRequest{Text: card.QR})
		return res.Decision == "fail" && res.Reason == "revoked"
	})
}

// Without a collector: a trust file in the data directory installs only
// with trust.first_use on a device never pinned, or when trust.list_keys
// names its signer.
func TestLocalTrustFilePinning(t *testing.T) {
	t.Run("no first use", func(t *testing.T) {
		dir := t.TempDir()
		card := plant(t, dir)
		r, st := startCapturing(t, dir, config.Default(), "")
		if !st.Trust.Stale || len(st.Trust.Pins) != 0 {
			t.Fatalf("trust %+v", st.Trust)
		}
		if res := r.present(t, control.PresentRequest{Text: card}); res.Reason != "trust_data_stale" {
			t.Fatalf("card %+v", res)
		}
	})
	t.Run("first use", func(t *testing.T) {
		dir := t.TempDir()
		card := plant(t, dir)
		cfg := config.Default()
		cfg.Trust.FirstUse = true
		r, st := startCapturing(t, dir, cfg, "")
		if st.Trust.Stale || len(st.Trust.Pins) != 1 || st.Trust.Pins[0].Origin != "first-use" {
			t.Fatalf("trust %+v", st.Trust)
		}
		if res := r.present(t, control.PresentRequest{Text: card}); res.Decision != "pass" {
			t.Fatalf("card %+v", res)
		}
		r.stop()
		// Another key's files later: refused, the first key stays.
		other := plant(t, dir)
		r, st = startCapturing(t, dir, cfg, "")
		if len(st.Trust.Pins) != 1 || st.Trust.Pins[0].Origin != "first-use" {
			t.Fatalf("pins after a second file %+v", st.Trust.Pins)
		}
		if res := r.present(t, control.PresentRequest{Text: other}); res.Decision != "fail" {
			t.Fatalf("card of the second key %+v", res)
		}
	})
	t.Run("list keys", func(t *testing.T) {
		dir := t.TempDir()
		keyDir := t.TempDir()
		is := newIssuer(t, keyDir)
		good, _ := is.card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
		pemPath := filepath.Join(dir, "issuer.pub")
		if err := os.WriteFile(pemPath, pubPEM(t, is.key.Public().(ed25519.PublicKey)), 0o644); err != nil {
			t.Fatal(err)
		}
		forged := plant(t, dir)
		cfg := config.Default()
		cfg.Trust.FirstUse = true // must not matter: a key is configured
		cfg.Trust.ListKeys = []string{"issuer.pub"}
		r, st := startCapturing(t, dir, cfg, "")
		if !st.Trust.Stale || len(st.Trust.Pins) != 1 || st.Trust.Pins[0].Origin != "config" {
			t.Fatalf("planted file with list_keys: %+v", st.Trust)
		}
		if res := r.present(t, control.PresentRequest{Text: forged}); res.Decision == "pass" {
			t.Fatalf("forged card %+v", res)
		}
		r.stop()
		r, st = startCapturing(t, dir, cfg, is.trustPath)
		if st.Trust.Stale {
			t.Fatalf("issuer's own list with list_keys: %+v", st.Trust)
		}
		if res := r.present(t, control.PresentRequest{Text: good}); res.Decision != "pass" {
			t.Fatalf("card %+v", res)
		}
	})
}

func pubPEM(t *testing.T, k ed25519.PublicKey) []byte {
	t.Helper()
	b, err := idcode.MarshalPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// trust reads the enrolled venue under its own name for the store's
// setting (it must not link the store).
func TestTrustVenueSettingName(t *testing.T) {
	if store.SettingVenue != "venue" {
		t.Fatalf("store.SettingVenue is %q; trust reads \"venue\"", store.SettingVenue)
	}
}
