package webapp_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/pgtest"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/registry"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/webapp"
)

// env is a collector with its web application on a loopback TLS server,
// one issuer whose key the collector holds, and a first administrator.
type env struct {
	t     testing.TB
	srv   *httptest.Server
	col   *collector.Server
	be    collector.Backend
	store *registry.Store
	clock *clock.Fake
}

const issuerID = "gulou"

func newEnv(t testing.TB, postgres bool) *env {
	ctx := context.Background()
	fc := clock.NewFake(time.Now().UTC().Truncate(time.Second))
	var be collector.Backend
	var st *registry.Store
	var err error
	if postgres {
		p, err := collector.OpenPostgres(ctx, pgtest.SchemaDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		be = p
		st, err = registry.OpenPostgres(ctx, p.Pool(), fc)
		if err != nil {
			t.Fatal(err)
		}
	} else {
		s, err := collector.OpenSQLite(filepath.Join(t.TempDir(), "collector.db"))
		if err != nil {
			t.Fatal(err)
		}
		be = s
		st, err = registry.OpenSQLite(ctx, s.DB(), fc)
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { be.Close() })
	st.KDF = registry.TestKDF
	kb := make([]byte, 32)
	rand.Read(kb)
	kek, err := collector.NewKEK(kb)
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	col, err := collector.New(collector.Config{Backend: be, Key: key, AdminToken: "test-admin-token-0123456789", KEK: kek, Logger: log, Now: fc.Now})
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	sealed, err := kek.Seal(issuerID, priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := be.PutIssuer(ctx, collector.Issuer{ID: issuerID, Name: "鼓楼区社区中心", PublicKey: pub, SealedKey: sealed}); err != nil {
		t.Fatal(err)
	}
	app, err := webapp.New(webapp.Config{Store: st, Issuer: col, Records: be, Clock: fc, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(webapp.Mount(col, app))
	t.Cleanup(srv.Close)
	if _, err := st.CreateUser(ctx, "cli", registry.NewUser{Login: "admin", Password: "admin password", Role: registry.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, "cli", registry.NewUser{Login: "office", Password: "office password", Role: registry.RoleOperator, Issuers: []string{issuerID}}); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, srv: srv, col: col, be: be, store: st, clock: fc}
}

// browser is one signed-in (or not yet) client with its own cookies.
type browser struct {
	e    *env
	c    *http.Client
	last string // body of the last page
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := *e.srv.Client() // a copy: each browser keeps its own cookies
	c.Jar = jar
	return &browser{e: e, c: &c}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func (b *browser) csrf() string {
	m := csrfRE.FindStringSubmatch(b.last)
	if m == nil {
		b.e.t.Fatalf("no CSRF token on the page:\n%s", b.last)
	}
	return m[1]
}

func (b *browser) do(req *http.Request) (int, string) {
	b.e.t.Helper()
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		b.last = string(body)
	}
	return resp.StatusCode, string(body)
}

func (b *browser) get(path string) (int, string) {
	b.e.t.Helper()
	req, _ := http.NewRequest("GET", b.e.srv.URL+path, nil)
	return b.do(req)
}

// post sends a form; csrf "" takes the token of the last page.
func (b *browser) post(path string, form url.Values) (int, string) {
	b.e.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf())
	}
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) postMultipart(path string, fields map[string]string, photo []byte) (int, string) {
	b.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if _, ok := fields["csrf"]; !ok {
		mw.WriteField("csrf", b.csrf())
	}
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if photo != nil {
		fw, _ := mw.CreateFormFile("photo", "face.png")
		fw.Write(photo)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

func (b *browser) login(login, password string) int {
	b.e.t.Helper()
	b.get("/login")
	code, _ := b.post("/login", url.Values{"login": {login}, "password": {password}})
	return code
}

// addStaff creates a staff account for venues on an administrator's
// browser: login, password "staff password".
func (b *browser) addStaff(login string, venues ...string) {
	b.e.t.Helper()
	if code, _ := b.post("/admin/users", url.Values{"login": {login}, "password": {"staff password"}, "role": {"staff"}, "venues": venues}); code != 200 {
		b.e.t.Fatalf("create staff %s: %d", login, code)
	}
}

// staff signs in the administrator and a new staff account for venue
// that the administrator creates, and returns both browsers.
func (e *env) staff(venue string) (admin, staff *browser) {
	e.t.Helper()
	admin = e.browser()
	admin.login("admin", "admin password")
	admin.get("/admin/users")
	admin.addStaff("desk", venue)
	staff = e.browser()
	if code := staff.login("desk", "staff password"); code != 200 {
		e.t.Fatalf("staff sign-in: %d", code)
	}
	return admin, staff
}

// family registers a new family account with an invitation the office
// makes.
func (e *env) family(login string) *browser {
	e.t.Helper()
	office := e.browser()
	if code := office.login("office", "office password"); code != 200 {
		e.t.Fatalf("office login: %d", code)
	}
	office.get("/invites")
	_, page := office.post("/invites", url.Values{"issuer": {issuerID}})
	m := regexp.MustCompile(`id="invite-code">([A-Z0-9-]+)<`).FindStringSubmatch(page)
	if m == nil {
		e.t.Fatalf("no invitation code on the page:\n%s", page)
	}
	b := e.browser()
	b.get("/register")
	code, page := b.post("/register", url.Values{"code": {m[1]}, "login": {login}, "password": {"family password"}, "display": {"王明"}})
	if code != 200 || !strings.Contains(page, "亲友关系管理") {
		e.t.Fatalf("register: %d\n%s", code, page)
	}
	return b
}

var personLinkRE = regexp.MustCompile(`/people/(p-[0-9a-f]+)`)

// addPerson adds a person with a photo and returns their id.
func (b *browser) addPerson(name, category string) string {
	b.e.t.Helper()
	b.get("/people/new")
	code, page := b.postMultipart("/people/new", map[string]string{"name": name, "category": category, "relation": "母亲", "issuer": issuerID}, testPhoto(640, 480))
	if code != 200 || !strings.Contains(page, name) {
		b.e.t.Fatalf("add person: %d\n%s", code, page)
	}
	m := personLinkRE.FindStringSubmatch(page)
	if m == nil {
		b.e.t.Fatalf("no person link:\n%s", page)
	}
	return m[1]
}

var cardLinkRE = regexp.MustCompile(`/cards/([0-9a-f]{32})\.pdf`)

func testPhoto(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}
