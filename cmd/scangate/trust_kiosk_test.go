//go:build !kiosk

package main

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/kiosk"
	"github.com/scangate/scangate/kiosk/kiosktest"
)

// An offline venue, end to end, with the administrators' own command: a
// simulated kiosk whose lists were issued 29 days ago refuses every card
// as a device fault (trust_data_stale, the amber device-fault pattern);
// after `scangate trust renew` and dropping its two files on the SCANGATE
// drive, the same card passes, without a restart.
func TestOfflineVenueRenewsWithoutRestart(t *testing.T) {
	keys := t.TempDir()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	if err := idcode.WritePrivateKey(filepath.Join(keys, "issuer.key"), key, nil); err != nil {
		t.Fatal(err)
	}
	issued := time.Now().UTC().Truncate(time.Second).Add(-29 * 24 * time.Hour) // keygen a month before deployment
	tl, err := idcode.SignTrustList(idcode.TrustList{Version: 1, IssuedAt: issued, Expires: issued.AddDate(2, 0, 0),
		Issuers: []idcode.Issuer{{ID: "venue-7", PublicKey: pub}}}, key)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := idcode.SignRevocations(idcode.RevocationList{Version: 1, IssuedAt: issued, Expires: issued.AddDate(1, 0, 0),
		CardIDs: []string{}}, key)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, _ := idcode.MarshalPublicKey(pub)
	data, drive := t.TempDir(), t.TempDir()
	for dir, files := range map[string]map[string][]byte{
		keys: {"trust.json": tl, "revocations.json": rl},
		data: {"trust.json": tl, "revocations.json": rl, "issuer.pub": pubPEM}, // as provisioned
	} {
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cid, _ := idcode.NewCardID()
	card, err := idcode.Sign(idcode.Claims{Issuer: "venue-7", Subject: "h", IssuedAt: issued.Add(time.Hour),
		Expires: issued.AddDate(1, 0, 0), CardID: cid, Name: "王*英", Category: idcode.CategoryElder}, key)
	if err != nil {
		t.Fatal(err)
	}

	cfg := config.Default()
	cfg.Trust.ListKeys = []string{"issuer.pub"}
	cfg.Trust.WatchDirs = []string{drive}
	cfg.Scanner.RearmText = config.Duration{Duration: time.Millisecond} // the same card is typed twice
	clk := clock.NewFake(time.Now())
	r := kiosktest.StartWith(t, kiosk.Options{Config: cfg, DataDir: data, Clock: clk})
	k := r.K

	// As a technician sees it: scangate present --json, and status.
	code, stdout, stderr := runCLI("present", "--data", data, "--text", card, "--json")
	if code != 1 || !strings.Contains(stdout, `"decision":"fault"`) || !strings.Contains(stdout, `"reason":"trust_data_stale"`) {
		t.Fatalf("lists issued 29 days ago: exit %d: %s%s", code, stdout, stderr)
	}
	if code, stdout, _ := runCLI("status", "--data", data); code != 0 || !strings.Contains(stdout, "REFUSING every card as a device fault (trust_data_stale)") {
		t.Errorf("status while refusing: exit %d:\n%s", code, stdout)
	}
	kiosktest.WaitFor(t, 5*time.Second, "the device-fault pattern", func() bool {
		out := r.Term.String()
		return strings.Contains(out, "设备需维护 请找工作人员") && strings.Contains(out, "●\x1b[0m amber")
	})
	if strings.Contains(r.Term.String(), "无效码") || strings.Contains(r.Term.String(), "●\x1b[0m red") {
		t.Fatalf("a device fault was shown as a bad card:\n%s", r.Term.String())
	}

	code, stdout, stderr = runCLI("trust", "renew", "--key", filepath.Join(keys, "issuer.key"), "--from", keys, "--out", drive)
	if code != 0 {
		t.Fatalf("trust renew: exit %d: %s", code, stderr)
	}
	t.Logf("trust renew:\n%s", stdout)
	kiosktest.WaitFor(t, 10*time.Second, "the renewed lists installed", func() bool {
		clk.Advance(5 * time.Second) // the kiosk's next look at the drive
		st := r.Status(t).Trust
		return st.ListVersion == 2 && st.RevocationVersion == 2
	})
	if res := r.Present(t, control.PresentRequest{Text: card}); res.Decision != "pass" {
		t.Fatalf("after trust renew: %+v", res)
	}
	if code, stdout, _ := runCLI("status", "--data", data); code != 0 || !strings.Contains(stdout, "cards refused from ") ||
		!strings.Contains(stdout, filepath.Join(drive, "trust.json")+": installed v2") || strings.Contains(stdout, "REFUSING") {
		t.Errorf("status after renewal: exit %d:\n%s", code, stdout)
	}
	st := r.Status(t)
	if r.K != k || !st.StartedAt.Equal(r.AtReady.StartedAt) || st.Trust.Refusing != "" {
		t.Fatalf("the kiosk restarted or still refuses: %+v", st.Trust)
	}
}

// At an exit kiosk, present exits 0: the person was let out and recorded.
func TestPresentAtExit(t *testing.T) {
	is := kiosktest.NewIssuer(t, t.TempDir())
	card, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	cfg := config.Default()
	cfg.Device.Exit = true
	data := t.TempDir()
	kiosktest.Start(t, data, cfg, is.TrustPath)
	code, stdout, stderr := runCLI("present", "--data", data, "--text", card, "--json")
	if code != 0 || !strings.Contains(stdout, `"decision":"exit"`) {
		t.Fatalf("present at an exit: exit %d: %s%s", code, stdout, stderr)
	}
}
