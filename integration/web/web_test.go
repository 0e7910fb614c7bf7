package web_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/pgtest"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/kiosk/kiosktest"
	"github.com/scangate/scangate/registry"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/webapp"
)

const adminToken = "test-admin-token-0123456789"

// site is one collector with its web application: pages over TLS (the
// cookies are Secure) and the device API also on plain loopback HTTP for
// the simulated kiosk.
type site struct {
	pages, devices *httptest.Server
	be             collector.Backend
	store          *registry.Store
	pub            ed25519.PublicKey
}

// startSite starts the site; fleet, when given, sets when a kiosk is red.
func startSite(t *testing.T, postgres bool, fleet ...collector.FleetRules) *site {
	ctx := context.Background()
	var be collector.Backend
	var st *registry.Store
	var err error
	if postgres {
		p, err := collector.OpenPostgres(ctx, pgtest.SchemaDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		be = p
		st, err = registry.OpenPostgres(ctx, p.Pool(), nil)
		if err != nil {
			t.Fatal(err)
		}
	} else {
		s, err := collector.OpenSQLite(filepath.Join(t.TempDir(), "collector.db"))
		if err != nil {
			t.Fatal(err)
		}
		be = s
		if st, err = registry.OpenSQLite(ctx, s.DB(), nil); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { be.Close() })
	st.KDF = registry.TestKDF
	kb := make([]byte, 32)
	rand.Read(kb)
	kek, _ := collector.NewKEK(kb)
	pub, key, _ := ed25519.GenerateKey(nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var rules collector.FleetRules
	if len(fleet) > 0 {
		rules = fleet[0]
	}
	col, err := collector.New(collector.Config{Backend: be, Key: key, AdminToken: adminToken, KEK: kek, Logger: log, Fleet: rules})
	if err != nil {
		t.Fatal(err)
	}
	app, err := webapp.New(webapp.Config{Store: st, Issuer: col, Records: be, Logger: log, TimeZone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	s := &site{pages: httptest.NewTLSServer(webapp.Mount(col, app)), devices: httptest.NewServer(col), be: be, store: st, pub: pub}
	t.Cleanup(s.pages.Close)
	t.Cleanup(s.devices.Close)
	s.admin(t, "POST", "/v1/admin/venues", map[string]string{"id": "hall-1", "name": "社区活动中心"}, nil)
	s.admin(t, "POST", "/v1/admin/issuers", map[string]string{"id": "gulou", "name": "鼓楼区社区中心"}, nil)
	for _, u := range []registry.NewUser{
		{Login: "office", Password: "office password", Role: registry.RoleOperator, Issuers: []string{"gulou"}, Display: "社区办事处 张"},
		{Login: "admin", Password: "admin password", Role: registry.RoleAdmin},
	} {
		if _, err := st.CreateUser(ctx, "cli", u); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func (s *site) admin(t *testing.T, method, path string, body, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.devices.URL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %s %s", method, path, resp.Status, msg)
	}
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
}

// chrome is one headless browser with a fresh profile, reaching nothing
// beyond loopback (every other host goes to a proxy that is not there).
type chrome struct {
	t         *testing.T
	ctx       context.Context
	base      string
	shots     string
	downloads chan string
	dlDir     string
	n         int
}

func chromiumPath(t *testing.T) string {
	for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium: scripts/install-deps.sh --test installs it")
	}
	t.Skip("no chromium on PATH (scripts/install-deps.sh --test installs it)")
	return ""
}

func newChrome(t *testing.T, base string) *chrome {
	path := chromiumPath(t)
	shots := t.TempDir()
	if d := os.Getenv("SCANGATE_ARTIFACTS"); d != "" {
		shots = filepath.Join(d, "web", strings.ReplaceAll(t.Name(), "/", "-"))
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("ignore-certificate-errors", true), chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("proxy-server", "http://127.0.0.1:9"),
		chromedp.Flag("accept-lang", "zh-CN,zh"))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	c := &chrome{t: t, ctx: ctx, base: base, shots: shots, downloads: make(chan string, 4), dlDir: t.TempDir()}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(412, 915)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			c.downloads <- e.GUID
		}
	})
	yes := true
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: c.dlDir, EventsEnabled: &yes}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *chrome) do(steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		c.t.Fatalf("browser: %v", err)
	}
}

func (c *chrome) open(path string) {
	c.t.Helper()
	c.do(chromedp.Navigate(c.base+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// text is the visible text of the page's main element.
func (c *chrome) text() string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}

// count is the number shown in the element sel.
func (c *chrome) count(sel string) int {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		c.t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		c.t.Fatalf("%s: %q is not a count", sel, s)
	}
	return n
}

func (c *chrome) location() string {
	s, err := chromedp.Run(c.ctx, chromedp.Location())
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}

// shot writes a screenshot of the whole page.
func (c *chrome) shot(name string) {
	c.t.Helper()
	b, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		c.t.Fatal(err)
	}
	c.n++
	ext := ".png"
	if !bytes.HasPrefix(b, []byte("\x89PNG")) {
		ext = ".jpg"
	}
	if err := os.WriteFile(filepath.Join(c.shots, fmt.Sprintf("%02d-%s%s", c.n, name, ext)), b, 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// submit fills the form fields (CSS selector → value) and clicks button.
func (c *chrome) submit(fields map[string]string, button string) {
	c.t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	for sel, v := range fields {
		steps = append(steps, chromedp.SetValue(chromedp.CSS(sel), v))
	}
	c.follow(button, steps...)
}

// follow runs steps, clicks sel and waits for the page the click leads
// to. The old document is marked first and the wait is for a loaded
// document without the mark: a fixed sleep raced a slow redirect (the
// next read found the old page's nodes gone).
func (c *chrome) follow(sel string, steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	steps = append([]chromedp.Action[chromedp.Void]{chromedp.Evaluate[chromedp.Void](`window.scangateOld = true`)}, steps...)
	c.do(append(steps, chromedp.Click(chromedp.CSS(sel)))...)
	// Polled from here, not in the page: a navigation ends any script
	// waiting inside the old document.
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
		loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!window.scangateOld && document.readyState === "complete"`))
		cancel()
		if err == nil && loaded {
			break
		}
		if time.Now().After(end) {
			c.t.Fatalf("no new page after clicking %s (last error: %v)", sel, err)
		}
	}
	c.do(chromedp.WaitReady(chromedp.CSS("body")))
}

// download clicks sel and returns the downloaded file's bytes.
func (c *chrome) download(sel string) []byte {
	c.t.Helper()
	c.do(chromedp.Click(chromedp.CSS(sel)))
	select {
	case guid := <-c.downloads:
		b, err := os.ReadFile(filepath.Join(c.dlDir, guid))
		if err != nil {
			c.t.Fatal(err)
		}
		return b
	case <-time.After(30 * time.Second):
		c.t.Fatalf("no download after clicking %s", sel)
	}
	return nil
}

func (c *chrome) login(login, password string) {
	c.t.Helper()
	c.open("/login")
	c.submit(map[string]string{`input[name=login]`: login, `input[name=password]`: password}, `button.primary`)
}

func (c *chrome) logout() {
	c.t.Helper()
	c.follow(`form[action="/logout"] button`)
}

func writePhoto(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 600, 800))
	for y := 0; y < 800; y++ {
		for x := 0; x < 600; x++ {
			c := color.RGBA{200, 180, 160, 255}
			if (x-300)*(x-300)+(y-300)*(y-300) < 150*150 {
				c = color.RGBA{230, 190, 150, 255}
			}
			img.Set(x, y, c)
		}
	}
	p := filepath.Join(t.TempDir(), "face.png")
	var buf bytes.Buffer
	png.Encode(&buf, img)
	os.WriteFile(p, buf.Bytes(), 0o644)
	return p
}

// rasterise turns a one-card PDF into the PNG a camera would see, with
// poppler's pdftoppm at 300 dpi.
func rasterise(t *testing.T, pdf []byte) []byte {
	dir := t.TempDir()
	in := filepath.Join(dir, "card.pdf")
	os.WriteFile(in, pdf, 0o644)
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no pdftoppm (poppler-utils)")
		}
		t.Skip("no pdftoppm (poppler-utils) to rasterise the PDF")
	}
	out, err := exec.Command("pdftoppm", "-r", "300", "-png", "-singlefile", in, filepath.Join(dir, "card")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "card.png"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var codeRE = regexp.MustCompile(`[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}`)

func TestBrowserSQLite(t *testing.T)   { runBrowser(t, false) }
func TestBrowserPostgres(t *testing.T) { runBrowser(t, true) }

func runBrowser(t *testing.T, pg bool) {
	s := startSite(t, pg)
	c := newChrome(t, s.pages.URL)
	ctx := context.Background()

	// The kiosk at the venue, enrolled at the same collector.
	var tok collector.TokenResponse
	s.admin(t, "POST", "/v1/admin/venues/hall-1/enroll-tokens", map[string]string{}, &tok)
	cfg := config.Default()
	cfg.Scanner.RearmAbsent = config.Duration{Duration: time.Millisecond}
	cfg.Scanner.RearmText = config.Duration{Duration: time.Millisecond}
	cfg.Uplink = config.Uplink{Enabled: true, URL: s.devices.URL, EnrollToken: tok.Token,
		CollectorKey: base64.StdEncoding.EncodeToString(s.pub), PollInterval: config.Duration{Duration: time.Second}}
	kiosk := kiosktest.Start(t, t.TempDir(), cfg, "")

	// The office hands out an invitation code.
	c.open("/")
	c.shot("login")
	if !strings.Contains(c.text(), "登录") {
		t.Fatalf("sign-in page not in Chinese: %s", c.text())
	}
	c.login("office", "office password")
	c.open("/invites")
	c.submit(nil, `form[action="/invites"] button.primary`)
	code := codeRE.FindString(c.text())
	if code == "" {
		t.Fatalf("no invitation code: %s", c.text())
	}
	c.shot("office-invite")
	c.logout()

	// A family member registers with it and adds 王秀英 with a photo.
	c.open("/register")
	c.shot("register")
	c.submit(map[string]string{`input[name=code]`: strings.ToLower(code), `input[name=display]`: "王明", `input[name=login]`: "wang.ming", `input[name=password]`: "family password"}, `button.primary`)
	if !strings.HasSuffix(c.location(), "/people") {
		t.Fatalf("after registering: %s %s", c.location(), c.text())
	}
	c.open("/people/new")
	c.do(chromedp.SetUploadFiles(chromedp.CSS(`input[name=photo]`), []string{writePhoto(t)}))
	c.shot("add-person")
	c.submit(map[string]string{`input[name=name]`: "王秀英", `input[name=relation]`: "母亲"}, `button.primary`)
	person := c.location()
	if !strings.Contains(person, "/people/p-") || !strings.Contains(c.text(), "王秀英") {
		t.Fatalf("after adding: %s %s", person, c.text())
	}
	c.submit(nil, `form[action$="/issue"] button`)
	c.shot("person-with-card")
	pdf := c.download(`a[href$=".pdf"]`)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("download is not a PDF: %q", pdf[:min(20, len(pdf))])
	}

	// The printed card at the door: pass.
	kiosktest.WaitFor(t, 20*time.Second, "kiosk enrolled with trust data", func() bool {
		st, err := kiosk.Client.Status(ctx)
		return err == nil && st.Uplink != nil && st.Uplink.Enrolled && st.Trust.ListVersion > 0 && !st.Trust.Stale
	})
	img := rasterise(t, pdf)
	if res := kiosk.Present(t, control.PresentRequest{Image: img}); res.Decision != "pass" {
		t.Fatalf("the downloaded card at the kiosk: %+v", res)
	}
	// The check-in reaches the person's page.
	kiosktest.WaitFor(t, 20*time.Second, "check-in on the person's page", func() bool {
		c.open(strings.TrimPrefix(person, s.pages.URL))
		return strings.Contains(c.text(), "hall-1")
	})
	c.shot("person-checkin")

	// Reported lost: refused at the door after the kiosk's next poll.
	c.submit(nil, `form[action$="/lost"] button`)
	if !strings.Contains(c.text(), "补发新凭证") {
		t.Fatalf("no replacement offered: %s", c.text())
	}
	c.shot("reported-lost")
	kiosktest.WaitFor(t, 20*time.Second, "lost card refused", func() bool {
		res := kiosk.Present(t, control.PresentRequest{Image: img})
		return res.Decision == "fail" && res.Reason == "revoked"
	})

	// English on request.
	c.follow(`a[hreflang=en]`)
	if !strings.Contains(c.text(), "Reported lost") {
		t.Fatalf("English page: %s", c.text())
	}
	c.shot("person-english")
	c.follow(`a[hreflang=zh]`)

	// A form whose CSRF token was removed is refused.
	c.do(chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('form[action$="/issue"] input[name=csrf]').forEach(e => e.remove())`))
	c.submit(nil, `form[action$="/issue"] button`)
	if !strings.Contains(c.text(), "表单已过期") {
		t.Fatalf("form without CSRF token: %s", c.text())
	}
	c.logout()

	// Another family cannot open this person's page by its URL.
	code2 := ""
	c.login("office", "office password")
	c.open("/invites")
	c.submit(nil, `form[action="/invites"] button.primary`)
	code2 = codeRE.FindString(c.text())
	c.logout()
	c.open("/register")
	c.submit(map[string]string{`input[name=code]`: code2, `input[name=login]`: "li.family", `input[name=password]`: "family password"}, `button.primary`)
	c.open(strings.TrimPrefix(person, s.pages.URL))
	if txt := c.text(); strings.Contains(txt, "王秀英") || !strings.Contains(txt, "无权查看") {
		t.Fatalf("another family sees the person: %s", txt)
	}
	c.shot("tampered-url")
	c.logout()

	// The office: a document check (a whole number typed by mistake keeps
	// its last four only) and a sheet of 8.
	c.login("office", "office password")
	c.open("/people/new")
	c.do(chromedp.SetUploadFiles(chromedp.CSS(`input[name=photo]`), []string{writePhoto(t)}))
	c.submit(map[string]string{`input[name=name]`: "李建国"}, `button.primary`)
	const full = "32010619450315123X"
	c.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name=last4]').removeAttribute('maxlength')`))
	c.submit(map[string]string{`input[name=last4]`: full}, `form[action$="/doc-check"] button`)
	if txt := c.text(); !strings.Contains(txt, "****123X") || strings.Contains(txt, full) {
		t.Fatalf("document check on the page: %s", txt)
	}
	c.shot("office-document-check")
	office, _, err := s.store.Login(ctx, "office", "office password", "test", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_, ou, _ := s.store.Session(ctx, office.Token)
	for _, n := range []string{"张桂兰", "刘小明", "陈淑珍", "杨志强", "赵玉梅", "黄子涵"} {
		cat := "elder"
		if n == "刘小明" || n == "黄子涵" {
			cat = "child"
		}
		if _, err := s.store.AddPerson(ctx, ou, registry.NewPerson{Name: n, Category: cat, Issuer: "gulou"}); err != nil {
			t.Fatal(err)
		}
	}
	c.open("/people")
	c.do(chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('input[name=person]').forEach(e => e.checked = true)`))
	c.shot("office-people")
	if n, _ := chromedp.Run(c.ctx, chromedp.Evaluate[int](`document.querySelectorAll('input[name=person]:checked').length`)); n != 8 {
		t.Fatalf("%d people ticked, want 8", n)
	}
	sheet := c.download(`form[action="/sheet"] button`)
	if !bytes.HasPrefix(sheet, []byte("%PDF-")) {
		t.Fatal("sheet is not a PDF")
	}
	if pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(sheet, -1)); pages != 1 {
		t.Errorf("sheet of 8 has %d pages, want 1", pages)
	}
	for _, d := range []string{"sheet.pdf"} {
		if dir := os.Getenv("SCANGATE_ARTIFACTS"); dir != "" {
			os.WriteFile(filepath.Join(c.shots, d), sheet, 0o644)
		}
	}
	c.logout()

	// The administrator's pages: accounts and the audit log, which names
	// no one.
	c.login("admin", "admin password")
	c.open("/admin/users")
	c.submit(map[string]string{`input[name=login]`: "desk.hall1", `input[name=password]`: "staff password", `select[name=role]`: "staff", `input[name=venues]`: "hall-1"}, `form[action="/admin/users"] button.primary`)
	if !strings.Contains(c.text(), "desk.hall1") {
		t.Fatalf("staff account not listed: %s", c.text())
	}
	c.shot("admin-users")
	c.open("/admin/audit")
	if txt := c.text(); !strings.Contains(txt, "document_check") || strings.Contains(txt, "王秀英") || strings.Contains(txt, "李建国") || strings.Contains(txt, full) {
		t.Fatalf("audit page: %s", txt)
	}
	c.shot("admin-audit")
	c.logout()

	// Venue staff at the desk: the kiosk's check-ins arrive, a person is
	// registered on behalf and undone, the day is exported.
	c.login("desk.hall1", "staff password")
	if !strings.HasSuffix(c.location(), "/desk/hall-1") || !strings.Contains(c.text(), "王*英") || strings.Contains(c.text(), "王秀英") {
		t.Fatalf("staff desk after sign-in: %s %s", c.location(), c.text())
	}
	before := c.count("#count-today")
	presented := time.Now()
	if res := kiosk.Present(t, control.PresentRequest{Image: img}); res.Decision != "fail" {
		t.Fatalf("revoked card at the kiosk: %+v", res)
	}
	// Settled: the card left the camera (Present holds it 300 ms and a
	// held card repeats its decision), the kiosk's outbox is empty and the
	// collector holds every check-in the kiosk made.
	kiosktest.WaitFor(t, 20*time.Second, "the kiosk's check-ins on the desk", func() bool {
		st := kiosk.Status(t)
		vs, err := s.be.VisitsAtVenue(ctx, "hall-1", presented.Add(-time.Hour), presented.Add(time.Hour))
		if err != nil || time.Since(presented) < time.Second || st.Store.OutboxDepth != 0 || int64(len(vs)) != st.Store.Checkins {
			return false
		}
		day := time.Now().UTC().Truncate(24 * time.Hour) // hall-1 keeps UTC
		today, err := s.be.VisitsAtVenue(ctx, "hall-1", day, day.Add(24*time.Hour))
		c.open("/desk/hall-1")
		return err == nil && c.count("#count-today") == len(today) && len(vs) > before
	})
	c.open("/desk/hall-1")
	before = c.count("#count-today")
	if !strings.Contains(c.text(), "revoked") {
		t.Fatalf("refused by reason missing: %s", c.text())
	}
	c.shot("desk-today")
	c.open("/desk/hall-1/manual")
	c.do(chromedp.SetValue(chromedp.CSS(`select[name=category]`), "elder"))
	c.shot("desk-manual")
	c.submit(map[string]string{`input[name=name]`: "孙秀兰", `input[name=reason]`: "凭证损坏"}, `#register`)
	if txt := c.text(); c.count("#count-today") != before+1 || !strings.Contains(txt, "孙*兰") || strings.Contains(txt, "孙秀兰") || !strings.Contains(txt, "人工") {
		t.Fatalf("after registering on behalf: %s", txt)
	}
	c.shot("desk-registered")
	// Newest first: the first undo link is the manual check-in's.
	c.follow(`tr.checkin a.undo-link`)
	if !strings.Contains(c.text(), "孙*兰") {
		t.Fatalf("undo page is not the manual check-in's: %s", c.text())
	}
	c.shot("desk-undo")
	c.submit(map[string]string{`input[name=reason]`: "误登记"}, `#undo`)
	if txt := c.text(); c.count("#count-today") != before || !strings.Contains(txt, "已撤销") {
		t.Fatalf("after undo: %s", txt)
	}
	c.shot("desk-undone")
	day := c.download(`#export`)
	if !bytes.HasPrefix(day, []byte("\xef\xbb\xbf")) {
		t.Fatalf("export does not start with a UTF-8 BOM: %q", day[:min(10, len(day))])
	}
	rows, err := csv.NewReader(bytes.NewReader(day[3:])).ReadAll()
	if err != nil || len(rows) < 2 || !slices.Equal(rows[0], collector.VisitCSVHeader) {
		t.Fatalf("export: %v %q", err, day)
	}
	var manual, undo bool
	for _, r := range rows[1:] {
		manual = manual || r[5] == "desk-hall-1" && r[9] == "孙*兰" && r[12] == "pass"
		undo = undo || r[5] == "desk-hall-1" && r[12] == "undo" && strings.HasSuffix(r[13], ": 误登记")
	}
	if !manual || !undo || bytes.Contains(day, []byte("孙秀兰")) || bytes.Contains(day, []byte("王秀英")) {
		t.Fatalf("export lacks the manual check-in or its undo, or names someone in full:\n%s", day)
	}
	if dir := os.Getenv("SCANGATE_ARTIFACTS"); dir != "" {
		os.WriteFile(filepath.Join(c.shots, "desk-day.csv"), day, 0o644)
	}
	c.logout()

	// Wrong passwords are rate limited.
	for i := 0; i < registry.MaxLoginFailures; i++ {
		c.login("office", "not the password")
	}
	c.login("office", "office password")
	if !strings.Contains(c.text(), "失败次数过多") {
		t.Fatalf("no rate limit after %d failures: %s", registry.MaxLoginFailures, c.text())
	}
	c.shot("rate-limited")
	// No page showed a full document number; the audit has every action.
	log, err := s.store.AuditLog(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range log {
		seen[e.Action] = true
	}
	for _, a := range []string{registry.ActRegister, registry.ActLogin, registry.ActLoginFailed, registry.ActPersonAdd, registry.ActPhotoSet,
		registry.ActCardIssue, registry.ActCardPrint, registry.ActCardLost, registry.ActDocCheck, registry.ActInviteCreate,
		registry.ActDeskManual, registry.ActDeskUndo, registry.ActDeskExport} {
		if !seen[a] {
			t.Errorf("no %s in the audit log", a)
		}
	}
}
