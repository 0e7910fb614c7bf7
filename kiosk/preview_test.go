package kiosk_test

import (
	"context"
	"encoding/json"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scangate/scangate/kiosk"
	"github.com/scangate/scangate/kiosk/kiosktest"
	"github.com/scangate/scangate/statuspage"
	"github.com/scangate/scangate/version"

	"github.com/scangate/scangate/camsim"
	"github.com/scangate/scangate/config"
)

const statusPassword = "door-keeper-7"

func statusKiosk(t *testing.T) (*kiosktest.Running, string) {
	t.Helper()
	is := kiosktest.NewIssuer(t, t.TempDir())
	text, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	r := kiosktest.Start(t, t.TempDir(), statusConfig(t), is.TrustPath)
	qr, err := camsim.QR(text, 4)
	if err != nil {
		t.Fatal(err)
	}
	kiosk.ShowSim(r.K, qr)
	return r, "http://" + r.K.StatusAddr()
}

func statusConfig(t *testing.T) config.Config {
	t.Helper()
	h, err := statuspage.HashPassword(statusPassword)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Status.Listen, cfg.Status.PasswordHash = "127.0.0.1:0", h
	return cfg
}

// signIn returns a client holding a session and the page's CSRF token.
func signIn(t *testing.T, base, password string) (*http.Client, string, int) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(base+"/login", url.Values{"password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`const csrf='([0-9a-f]+)'`).FindSubmatch(body)
	if m == nil {
		return c, "", resp.StatusCode
	}
	return c, string(m[1]), resp.StatusCode
}

func TestAimingAid(t *testing.T) {
	_, base := statusKiosk(t)
	c, _, _ := signIn(t, base, statusPassword)
	var aim statuspage.Aim
	deadline := time.Now().Add(10 * time.Second)
	for !aim.Decoded && time.Now().Before(deadline) {
		resp, err := c.Get(base + "/v1/aim")
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
	resp, err := c.Get(base + "/v1/preview.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("preview Cache-Control %q, want no-store", cc)
	}
	img, err := jpeg.Decode(resp.Body)
	if err != nil {
		t.Fatalf("preview is not a JPEG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 640 || b.Dy() != 480 {
		t.Fatalf("preview %v", b)
	}
}

// TestStatusPageNeedsPassword: without a session nothing is served (the
// preview shows faces); a wrong password is refused and five of them lock
// sign-in; the output tests need the session's CSRF token.
func TestStatusPageNeedsPassword(t *testing.T) {
	r, base := statusKiosk(t)
	for _, path := range []string{"/v1/preview.jpg", "/v1/status", "/v1/aim", "/v1/health"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without signing in: %d, want 401", path, resp.StatusCode)
		}
	}
	c, csrf, _ := signIn(t, base, statusPassword)
	post := func(token string) int {
		req, _ := http.NewRequest("POST", base+"/v1/test/lights", nil)
		if token != "" {
			req.Header.Set("X-CSRF-Token", token)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(""); code != http.StatusForbidden {
		t.Fatalf("test without the CSRF token: %d, want 403", code)
	}
	if code := post(csrf); code != http.StatusNoContent {
		t.Fatalf("test with the CSRF token: %d, want 204", code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(plain(r.Term.String()), "○ green  ● red  ○ amber") {
		if time.Now().After(deadline) {
			t.Fatalf("no red LED from the lights test:\n%s", r.Term.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := range 5 {
		if _, _, code := signIn(t, base, "wrong-guess"); code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d, want 401", i+1, code)
		}
	}
	if _, csrf, code := signIn(t, base, statusPassword); code != http.StatusTooManyRequests || csrf != "" {
		t.Fatalf("after five wrong passwords the right one: %d, want 429 (locked for a minute)", code)
	}
}

// The technician's page in a real browser: a wrong password is refused;
// signed in, the health summary comes first, the aiming aid says the card
// is decoded, and "test LEDs" lights the simulated LEDs in turn.
func TestStatusPageInChromium(t *testing.T) {
	r, base := statusKiosk(t)
	ctx := statusBrowser(t)
	var body string
	run(t, ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)),
		chromedp.SetValue(chromedp.CSS(`input[name=password]`), "wrong-guess"), chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.Sleep(300*time.Millisecond), chromedp.WaitReady(chromedp.CSS("body")))
	body = text(t, ctx)
	if !strings.Contains(body, "密码错误 / Wrong password") {
		t.Fatalf("wrong password page:\n%s", body)
	}
	run(t, ctx, chromedp.SetValue(chromedp.CSS(`input[name=password]`), statusPassword), chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.Sleep(300*time.Millisecond), chromedp.WaitVisible(chromedp.CSS(`#health div`)))
	for try := 0; try < 50 && !(strings.Contains(body, "已识别") && strings.Contains(body, "王*英")); try++ {
		time.Sleep(200 * time.Millisecond) // the page polls the aiming aid every second
		body = text(t, ctx)
	}
	for _, want := range []string{"已识别 / decoded", "tilt", `"ready": true`, `"state": "streaming"`, "信任数据正常", "读卡设备正常",
		"版本 version " + version.Version, "分区 slot —", "最近判定 / Last decisions"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
	// The decision table: the card's pass, its name masked as on the card.
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	row, err := chromedp.Run(rctx, chromedp.Text(chromedp.CSS(`#last tbody tr.pass`)))
	cancel()
	if err != nil {
		t.Fatalf("last decisions table: %v", err)
	}
	if !strings.Contains(row, "王*英") || !strings.Contains(row, "pass") || strings.Contains(body, "王秀英") {
		t.Errorf("last decisions row %q: want the pass with the masked name (and no full name on the page)", row)
	}
	screenshot(t, ctx, "kiosk-status")
	before := strings.Count(plain(r.Term.String()), "○ green  ○ red  ● amber")
	run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-part=lights]`)))
	kiosktest.WaitFor(t, 10*time.Second, "the lights test on the simulated LEDs", func() bool {
		term := plain(r.Term.String())
		return strings.Contains(term, "○ green  ● red  ○ amber") && strings.Count(term, "○ green  ○ red  ● amber") > before
	})
}

// The page warns in amber when the kiosk refuses every card: here it has
// no pinned key at all.
func TestStatusPageBannerInChromium(t *testing.T) {
	r := kiosktest.Start(t, t.TempDir(), statusConfig(t), "")
	ctx := statusBrowser(t)
	run(t, ctx, chromedp.Navigate("http://"+r.K.StatusAddr()+"/login"), chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)),
		chromedp.SetValue(chromedp.CSS(`input[name=password]`), statusPassword), chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.Sleep(300*time.Millisecond), chromedp.WaitVisible(chromedp.CSS(`#banner`)))
	body := text(t, ctx)
	if !strings.Contains(body, "Refusing every card: configuration") || !strings.Contains(body, "拒绝所有卡") {
		t.Errorf("page lacks the amber banner and the red trust check:\n%s", body)
	}
	screenshot(t, ctx, "kiosk-status-refusing")
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// plain is the simulated terminal without its colours.
func plain(s string) string { return ansi.ReplaceAllString(s, "") }

func statusBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not installed (scripts/install-deps.sh installs it)")
		}
		t.Skip("chromium not installed; skipped (scripts/install-deps.sh installs it)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("proxy-server", "http://127.0.0.1:9"))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	// Start the browser on ctx itself: one started under a step's timeout
	// would close with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

func text(t *testing.T, ctx context.Context) string {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(c, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// screenshot keeps the page for docs and CI artifacts ($SCANGATE_ARTIFACTS).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SCANGATE_ARTIFACTS")
	if dir == "" {
		return
	}
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(dir, "kiosk")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
