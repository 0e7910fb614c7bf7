package kiosk_test

import (
	"context"
	"encoding/json"
	"image/jpeg"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/kiosk"
	"github.com/scangate/scangate/kiosk/kiosktest"
	"github.com/scangate/scangate/statuspage"

	"github.com/scangate/scangate/camsim"
	"github.com/scangate/scangate/config"
)

func statusKiosk(t *testing.T) (*kiosktest.Running, string) {
	t.Helper()
	is := kiosktest.NewIssuer(t, t.TempDir())
	text, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	cfg := config.Default()
	cfg.Status.Listen = "127.0.0.1:0"
	r := kiosktest.Start(t, t.TempDir(), cfg, is.TrustPath)
	qr, err := camsim.QR(text, 4)
	if err != nil {
		t.Fatal(err)
	}
	kiosk.ShowSim(r.K, qr)
	return r, "http://" + r.K.StatusAddr()
}

func TestAimingAid(t *testing.T) {
	_, base := statusKiosk(t)
	var aim statuspage.Aim
	deadline := time.Now().Add(10 * time.Second)
	for !aim.Decoded && time.Now().Before(deadline) {
		resp, err := http.Get(base + "/v1/aim")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&aim)
		resp.Body.Close()
	}
	// The QR is shown square on, unrotated.
	if !aim.Decoded || aim.Tilt > 10 || aim.Rotation > 5 || aim.Rotation < -5 || aim.SizePx < 50 {
		t.Fatalf("aim = %+v", aim)
	}
	resp, err := http.Get(base + "/v1/preview.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	img, err := jpeg.Decode(resp.Body)
	if err != nil {
		t.Fatalf("preview is not a JPEG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 640 || b.Dy() != 480 {
		t.Fatalf("preview %v", b)
	}
}

// The technician's page, rendered by a real browser: the aiming aid says
// the card is decoded and the status shows the kiosk ready.
func TestStatusPageInChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not installed (scripts/install-deps.sh installs it)")
		}
		t.Skip("chromium not installed; skipped (scripts/install-deps.sh installs it)")
	}
	_, base := statusKiosk(t)
	var dom string
	for try := 0; try < 3 && !strings.Contains(dom, "已识别"); try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		out, err := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
			"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir="+t.TempDir(), "--virtual-time-budget=4000", "--dump-dom", base+"/").Output()
		cancel()
		if err != nil {
			t.Fatalf("chromium: %v", err)
		}
		dom = string(out)
	}
	for _, want := range []string{"已识别 / decoded", "tilt", `"ready": true`, `"state": "streaming"`} {
		if !strings.Contains(dom, want) {
			t.Errorf("page lacks %q:\n%s", want, dom)
		}
	}
}

// The page warns in amber when the kiosk refuses every card: here it has
// no pinned key at all.
func TestStatusPageBannerInChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not installed (scripts/install-deps.sh installs it)")
		}
		t.Skip("chromium not installed; skipped (scripts/install-deps.sh installs it)")
	}
	cfg := config.Default()
	cfg.Status.Listen = "127.0.0.1:0"
	r := kiosktest.Start(t, t.TempDir(), cfg, "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=3000", "--dump-dom", "http://"+r.K.StatusAddr()+"/").Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	if !strings.Contains(dom, "Refusing every card: configuration") || !strings.Contains(dom, `id="banner" style="display: block;"`) {
		t.Errorf("page lacks the amber banner:\n%s", dom)
	}
}
