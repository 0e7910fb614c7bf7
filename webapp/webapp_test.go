package webapp_test

import (
	"bytes"
	"context"
	"image/jpeg"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/registry"
	"github.com/scangate/scangate/webapp"
)

func TestWebSQLite(t *testing.T)   { runWeb(t, false) }
func TestWebPostgres(t *testing.T) { runWeb(t, true) }

func runWeb(t *testing.T, pg bool) {
	t.Run("FamilyFlow", func(t *testing.T) { testFamilyFlow(t, newEnv(t, pg)) })
	t.Run("URLTampering", func(t *testing.T) { testURLTampering(t, newEnv(t, pg)) })
	t.Run("CSRF", func(t *testing.T) { testCSRF(t, newEnv(t, pg)) })
	t.Run("RateLimit", func(t *testing.T) { testRateLimit(t, newEnv(t, pg)) })
	t.Run("OfficeFlow", func(t *testing.T) { testOfficeFlow(t, newEnv(t, pg)) })
	t.Run("Roles", func(t *testing.T) { testRoles(t, newEnv(t, pg)) })
	t.Run("Desk", func(t *testing.T) { testDesk(t, newEnv(t, pg)) })
}

func testFamilyFlow(t *testing.T, e *env) {
	ctx := context.Background()
	b := e.family("wang.family")
	id := b.addPerson("王秀英", "elder")
	code, photo := b.get("/people/" + id + "/photo")
	img, err := jpeg.Decode(strings.NewReader(photo))
	if code != 200 || err != nil || img.Bounds().Dx() != 192 || img.Bounds().Dy() != 246 {
		t.Fatalf("photo: %d %v, want a 192×246 JPEG (the card's photo box)", code, err)
	}
	_, page := b.post("/people/"+id+"/issue", url.Values{})
	m := cardLinkRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no card to download:\n%s", page)
	}
	card := m[1]
	code, pdf := b.get("/people/" + id + "/cards/" + card + ".pdf")
	if code != 200 || !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("card PDF: %d %q", code, pdf[:min(len(pdf), 20)])
	}
	// The collector knows the card (one issuing path) and only its masked name.
	if ids, _ := e.be.CardsByNumber(ctx, card[:8]); !slices.Contains(ids, card) {
		t.Fatalf("the collector has no record of card %s: %v", card, ids)
	}
	_, page = b.post("/people/"+id+"/cards/"+card+"/lost", url.Values{})
	revs, _ := e.be.Revocations(ctx)
	if !slices.Contains(revs, card) {
		t.Fatalf("a card reported lost is not on the revocation list")
	}
	if !strings.Contains(page, "已挂失") || !strings.Contains(page, "补发新凭证") {
		t.Fatalf("lost: no state or replacement offer:\n%s", page)
	}
	if code, _ := b.get("/people/" + id + "/cards/" + card + ".pdf"); code != 404 {
		t.Fatalf("a lost card printed again: %d", code)
	}
	_, page = b.post("/people/"+id+"/issue", url.Values{})
	if m := cardLinkRE.FindStringSubmatch(page); m == nil || m[1] == card {
		t.Fatalf("no replacement card:\n%s", page)
	}
	// Remove the person: every card stops, everything about them goes.
	b.get("/people/" + id)
	code, page = b.post("/people/"+id+"/erase", url.Values{"confirm": {"yes"}})
	if code != 200 || strings.Contains(page, "王秀英") {
		t.Fatalf("erase: %d\n%s", code, page)
	}
	if code, _ := b.get("/people/" + id); code != 404 {
		t.Fatalf("erased person's page: %d", code)
	}
	revs, _ = e.be.Revocations(ctx)
	if len(revs) != 2 {
		t.Fatalf("after erasure %d cards revoked, want 2", len(revs))
	}
	if ers, _ := e.be.Erasures(ctx, 10); len(ers) != 1 {
		t.Fatalf("collector erasures: %d, want 1", len(ers))
	}
	want := []string{registry.ActRegister, registry.ActPersonAdd, registry.ActPhotoSet, registry.ActCardIssue, registry.ActCardPrint, registry.ActCardLost, registry.ActCardIssue, registry.ActPersonErase}
	log, _ := e.store.AuditLog(ctx, 0, 100)
	var got []string
	for i := len(log) - 1; i >= 0; i-- {
		if log[i].Actor != "cli" && !strings.HasPrefix(log[i].Actor, "u-") {
			continue
		}
		if slices.Contains(want, log[i].Action) {
			got = append(got, log[i].Action)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit: %v, want %v", got, want)
	}
}

// One family cannot reach another's people by editing URLs.
func testURLTampering(t *testing.T, e *env) {
	a := e.family("family.a")
	id := a.addPerson("王秀英", "elder")
	_, page := a.post("/people/"+id+"/issue", url.Values{})
	card := cardLinkRE.FindStringSubmatch(page)[1]
	b := e.family("family.b")
	for _, p := range []string{"/people/" + id, "/people/" + id + "/photo", "/people/" + id + "/cards/" + card + ".pdf"} {
		if code, body := b.get(p); code != 404 || strings.Contains(body, "王秀英") {
			t.Errorf("GET %s as another family: %d", p, code)
		}
	}
	b.get("/people")
	for _, p := range []string{"/issue", "/cards/" + card + "/lost", "/erase", "/doc-check"} {
		if code, _ := b.post("/people/"+id+p, url.Values{"confirm": {"yes"}, "csrf": {b.csrf()}, "doc_type": {"id_card"}, "last4": {"1234"}}); code != 404 {
			t.Errorf("POST %s as another family: %d, want 404", p, code)
		}
	}
	if code, _ := b.post("/sheet", url.Values{"person": {id}, "csrf": {b.csrf()}}); code != 404 {
		t.Errorf("sheet of another family's person: %d", code)
	}
	if code, body := b.get("/people"); code != 200 || strings.Contains(body, "王秀英") {
		t.Errorf("another family's list shows the person")
	}
	revs, _ := e.be.Revocations(context.Background())
	if len(revs) != 0 {
		t.Fatalf("tampering revoked %d cards", len(revs))
	}
}

func testCSRF(t *testing.T, e *env) {
	b := e.family("wang.family")
	id := b.addPerson("王秀英", "elder")
	for _, tok := range []string{"", "00" + strings.Repeat("ab", 31)} {
		code, _ := b.post("/people/"+id+"/issue", url.Values{"csrf": {tok}})
		if code != 403 {
			t.Errorf("issue with CSRF token %q: %d, want 403", tok, code)
		}
	}
	code, _ := b.postMultipart("/people/new", map[string]string{"csrf": "", "name": "李四", "category": "child"}, nil)
	if code != 403 {
		t.Errorf("multipart form without CSRF: %d", code)
	}
	fresh := e.browser()
	fresh.get("/login")
	if code, _ := fresh.post("/login", url.Values{"login": {"admin"}, "password": {"admin password"}, "csrf": {"x"}}); code != 403 {
		t.Errorf("login with a wrong pre-session token: %d", code)
	}
	if ps, _ := e.store.People(context.Background(), registry.User{Role: registry.RoleAdmin}, "", 10); len(ps) != 1 {
		t.Fatalf("refused forms stored something: %d people", len(ps))
	}
}

func testRateLimit(t *testing.T, e *env) {
	b := e.browser()
	for i := 0; i < registry.MaxLoginFailures; i++ {
		if code := b.login("admin", "wrong password"); code != 401 {
			t.Fatalf("wrong password %d: %d, want 401", i, code)
		}
	}
	if code := b.login("admin", "admin password"); code != 429 {
		t.Fatalf("right password after %d failures: %d, want 429", registry.MaxLoginFailures, code)
	}
	e.clock.Advance(registry.LoginWindow + time.Second)
	if code := b.login("admin", "admin password"); code != 200 {
		t.Fatalf("after the window: %d", code)
	}
}

func testOfficeFlow(t *testing.T, e *env) {
	ctx := context.Background()
	o := e.browser()
	o.login("office", "office password")
	var ids []string
	for i, n := range []string{"王秀英", "李建国", "张桂兰", "刘小明", "陈淑珍", "杨志强", "赵玉梅", "黄子涵"} {
		cat := "elder"
		if i%3 == 2 {
			cat = "child"
		}
		ids = append(ids, o.addPerson(n, cat))
	}
	o.get("/people/" + ids[0])
	const full = "11010519491231002X"
	code, page := o.post("/people/"+ids[0]+"/doc-check", url.Values{"doc_type": {"id_card"}, "last4": {full}})
	if code != 200 || !strings.Contains(page, "****002X") {
		t.Fatalf("document check: %d\n%s", code, page)
	}
	code, page = o.get("/people?q=秀英")
	if code != 200 || !strings.Contains(page, ids[0]) || strings.Contains(page, ids[1]) {
		t.Fatalf("search by name: %d", code)
	}
	o.get("/people")
	code, pdf := o.post("/sheet", url.Values{"person": ids})
	if code != 200 || !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("sheet: %d", code)
	}
	if n := bytes.Count([]byte(pdf), []byte("/Type /Page\n")) + bytes.Count([]byte(pdf), []byte("/Type /Page ")); n > 1 {
		t.Errorf("a sheet of 8 has %d pages, want 1", n)
	}
	for _, id := range ids {
		p, _ := e.store.Person(ctx, registry.User{Role: registry.RoleAdmin}, id)
		cs, _ := e.store.Cards(ctx, p)
		if len(cs) != 1 {
			t.Fatalf("%s has %d cards after the sheet, want 1", id, len(cs))
		}
	}
	// Reissue revokes the old card.
	p, _ := e.store.Person(ctx, registry.User{Role: registry.RoleAdmin}, ids[1])
	before, _ := e.store.Cards(ctx, p)
	o.get("/people/" + ids[1])
	o.post("/people/"+ids[1]+"/issue", url.Values{})
	if revs, _ := e.be.Revocations(ctx); !slices.Equal(revs, []string{before[0].CardID}) {
		t.Fatalf("reissue: revocations %v, want the old card", revs)
	}
	// Revoke.
	after, _ := e.store.Cards(ctx, p)
	live := slices.IndexFunc(after, func(c registry.PersonCard) bool { return c.RevokedAt.IsZero() })
	if len(after) != 2 || live < 0 {
		t.Fatalf("after reissue: %+v", after)
	}
	if code, _ := o.post("/people/"+ids[1]+"/cards/"+after[live].CardID+"/revoke", url.Values{}); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	if revs, _ := e.be.Revocations(ctx); len(revs) != 2 {
		t.Fatalf("revoke: %d revoked, want 2", len(revs))
	}
	// No page shows the full document number, and nothing stores it.
	for _, path := range []string{"/people/" + ids[0], "/people", "/admin/audit"} {
		a := e.browser()
		a.login("admin", "admin password")
		if _, body := a.get(path); strings.Contains(body, full) || strings.Contains(body, "19491231") {
			t.Errorf("%s shows the full document number", path)
		}
	}
	var n int
	registry.DBForTestOf(e.store).QueryRow(`SELECT count(*) FROM reg_doc_checks WHERE last4 = '002X'`).Scan(&n)
	if n != 1 {
		t.Fatalf("document checks stored: %d", n)
	}
}

func testRoles(t *testing.T, e *env) {
	f := e.family("wang.family")
	for _, p := range []string{"/admin/users", "/admin/audit", "/invites"} {
		if code, _ := f.get(p); code != 404 {
			t.Errorf("family GET %s: %d, want 404", p, code)
		}
	}
	a := e.browser()
	a.login("admin", "admin password")
	a.get("/admin/users")
	a.addStaff("desk", "hall-1")
	if code, _ := a.post("/admin/users", url.Values{"login": {"fam"}, "password": {"staff password"}, "role": {"family"}}); code != 400 {
		t.Fatalf("admin creating a family account: %d, want 400 (families register)", code)
	}
	s := e.browser()
	s.login("desk", "staff password")
	if code, _ := s.get("/people"); code != 404 {
		t.Errorf("staff GET /people: %d", code)
	}
	// Sign out everywhere ends the family's other browser too.
	f2 := e.browser()
	f2.login("wang.family", "family password")
	f.get("/people")
	f.post("/logout-all", url.Values{})
	if code, body := f2.get("/people"); code != 200 || !strings.Contains(body, `action="/login"`) {
		t.Errorf("other browser after sign-out everywhere: %d, want the sign-in page", code)
	}
	// English on request.
	if _, body := f2.get("/lang/en?back=//evil.example/"); !strings.Contains(body, "Sign in") {
		t.Errorf("language switch did not give English or followed an off-site back link")
	}
}

func TestFitPhoto(t *testing.T) {
	for _, sz := range [][2]int{{640, 480}, {300, 900}, {1, 1}, {192, 246}} {
		out, err := webapp.FitPhoto(testPhoto(sz[0], sz[1]))
		if err != nil {
			t.Fatalf("%v: %v", sz, err)
		}
		img, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil || img.Bounds().Dx() != 192 || img.Bounds().Dy() != 246 {
			t.Fatalf("%v: %v %v", sz, err, img.Bounds())
		}
	}
	if _, err := webapp.FitPhoto([]byte("GIF89a")); err == nil {
		t.Fatal("a GIF was accepted")
	}
}

func FuzzFitPhoto(f *testing.F) {
	f.Add(testPhoto(8, 8))
	f.Add(testPhoto(3, 50))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xe0})
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := webapp.FitPhoto(b)
		if err != nil {
			return
		}
		img, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil || img.Bounds().Dx() != 192 || img.Bounds().Dy() != 246 {
			t.Fatalf("accepted photo gave %v %v", err, img)
		}
	})
}
