package kiosk_test

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scangate/scangate/kiosk/kiosktest"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/store"
)

// plant writes a self-signed trust list and revocation list of a fresh key
// where the default [trust] files point, as an attacker with write access
// to the data directory would, and returns a card that key signed.
func plant(t *testing.T, dataDir string) (card string) {
	t.Helper()
	is := kiosktest.NewIssuer(t, dataDir) // trust.json, revocations.json, v1
	card, _ = is.Card(t, "马六", "elder", time.Now().AddDate(1, 0, 0))
	return card
}

// Without a collector: a trust file in the data directory installs only
// with trust.first_use on a device never pinned, or when trust.list_keys
// names its signer.
func TestLocalTrustFilePinning(t *testing.T) {
	t.Run("no first use", func(t *testing.T) {
		dir := t.TempDir()
		card := plant(t, dir)
		r := kiosktest.Start(t, dir, config.Default(), "")
		st := r.AtReady
		if !st.Trust.Stale || len(st.Trust.Pins) != 0 {
			t.Fatalf("trust %+v", st.Trust)
		}
		if res := r.Present(t, control.PresentRequest{Text: card}); res.Decision != "fault" || res.Reason != "configuration" {
			t.Fatalf("card %+v", res)
		}
	})
	t.Run("first use", func(t *testing.T) {
		dir := t.TempDir()
		card := plant(t, dir)
		cfg := config.Default()
		cfg.Trust.FirstUse = true
		r := kiosktest.Start(t, dir, cfg, "")
		st := r.AtReady
		if st.Trust.Stale || len(st.Trust.Pins) != 1 || st.Trust.Pins[0].Origin != "first-use" {
			t.Fatalf("trust %+v", st.Trust)
		}
		if res := r.Present(t, control.PresentRequest{Text: card}); res.Decision != "pass" {
			t.Fatalf("card %+v", res)
		}
		r.Stop()
		// Another key's files later: refused, the first key stays.
		other := plant(t, dir)
		r = kiosktest.Start(t, dir, cfg, "")
		st = r.AtReady
		if len(st.Trust.Pins) != 1 || st.Trust.Pins[0].Origin != "first-use" {
			t.Fatalf("pins after a second file %+v", st.Trust.Pins)
		}
		if res := r.Present(t, control.PresentRequest{Text: other}); res.Decision != "fail" {
			t.Fatalf("card of the second key %+v", res)
		}
	})
	t.Run("list keys", func(t *testing.T) {
		dir := t.TempDir()
		keyDir := t.TempDir()
		is := kiosktest.NewIssuer(t, keyDir)
		good, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
		pemPath := filepath.Join(dir, "issuer.pub")
		if err := os.WriteFile(pemPath, pubPEM(t, is.Key.Public().(ed25519.PublicKey)), 0o644); err != nil {
			t.Fatal(err)
		}
		forged := plant(t, dir)
		cfg := config.Default()
		cfg.Trust.FirstUse = true // must not matter: a key is configured
		cfg.Trust.ListKeys = []string{"issuer.pub"}
		r := kiosktest.Start(t, dir, cfg, "")
		st := r.AtReady
		if !st.Trust.Stale || len(st.Trust.Pins) != 1 || st.Trust.Pins[0].Origin != "config" {
			t.Fatalf("planted file with list_keys: %+v", st.Trust)
		}
		if res := r.Present(t, control.PresentRequest{Text: forged}); res.Decision == "pass" {
			t.Fatalf("forged card %+v", res)
		}
		r.Stop()
		r = kiosktest.Start(t, dir, cfg, is.TrustPath)
		st = r.AtReady
		if st.Trust.Stale {
			t.Fatalf("issuer's own list with list_keys: %+v", st.Trust)
		}
		if res := r.Present(t, control.PresentRequest{Text: good}); res.Decision != "pass" {
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
