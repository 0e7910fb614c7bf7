package deskpage

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/statuspage"
	"github.com/scangate/scangate/store"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// t0 is 10:20 in Shanghai.
var t0 = time.Date(2026, 12, 4, 2, 20, 0, 0, time.UTC)

const card = "76ace3fa0123456789abcdef01234567"

type harness struct {
	t     testing.TB
	st    *store.Store
	clk   *clock.Fake
	srv   *httptest.Server
	desk  *Desk
	quiet *slog.Logger
	occ   *control.OccupancyStatus // what Options.Occupancy answers
}

func account(t testing.TB, id, name, pw string) statuspage.Account {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return statuspage.Account{ID: id, Name: name, PasswordHash: string(h)}
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	clk := clock.NewFake(t0)
	st, err := store.Open(filepath.Join(t.TempDir(), "scangate.db"), store.Options{Logger: quiet, Now: clk.Now, BootID: "boot-1",
		SinceBoot: func() (time.Duration, error) { return time.Hour, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &harness{}
	d, err := New(Options{Staff: []statuspage.Account{account(t, "li", "李明", "li-password"), account(t, "wang", "王芳", "wang-password")},
		Ledger: st, Location: shanghai, Kiosk: "east-gate", Venue: func() string { return "lib-7" }, Device: func() string { return "k-1" },
		Synced: func() bool { return true }, Occupancy: func(context.Context) *control.OccupancyStatus { return h.occ },
		Clock: clk, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	*h = harness{t: t, st: st, clk: clk, srv: srv, desk: d, quiet: quiet}
	return h
}

// client is a browser without script: cookies, no redirects followed.
type client struct {
	h    *harness
	c    *http.Client
	csrf string
}

func (h *harness) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{h: h, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func (c *client) do(method, path string, form url.Values) (int, string) {
	c.h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.h.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfRe.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return resp.StatusCode, string(b)
}

func (c *client) signIn(id, pw string) int {
	code, _ := c.do("POST", "/login", url.Values{"id": {id}, "password": {pw}})
	if code == http.StatusSeeOther {
		c.do("GET", "/", nil) // picks up the CSRF token
	}
	return code
}

func (c *client) post(path string, form url.Values) (int, string) {
	form.Set("csrf", c.csrf)
	return c.do("POST", path, form)
}

func (h *harness) door(e door.Entry) int64 {
	h.t.Helper()
	if e.At.IsZero() {
		e.At = h.clk.Now()
	}
	seq, err := h.st.Record(context.Background(), e)
	if err != nil {
		h.t.Fatal(err)
	}
	return seq
}

var countRe = regexp.MustCompile(`id="count-today">(\d+)<`)

func today(t testing.TB, page string) string {
	t.Helper()
	m := countRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no count on the page:\n%s", page)
	}
	return m[1]
}

func (h *harness) audit() []store.AuditEntry {
	h.t.Helper()
	log, err := h.st.AuditLog(context.Background(), time.Time{}, 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	return log
}

// TestDeskDay: the day as staff see it, from the kiosk's own ledger, in
// the venue's time: counts today and this hour, refused by reason
// without "already in", masked names, the printed card number.
func TestDeskDay(t *testing.T) {
	h := newHarness(t)
	h.door(door.Entry{At: t0.Add(-2 * time.Hour), Outcome: door.Pass, Reason: door.ReasonPass, CardID: card, Name: "王*英", Category: "elder", Source: "camera0"})
	h.door(door.Entry{Outcome: door.AlreadyIn, Reason: door.ReasonAlreadyIn, CardID: card, Name: "王*英", Category: "elder"})
	h.door(door.Entry{Outcome: door.Fail, Reason: door.ReasonRevoked, CardID: "11112222333344445555666677778888", Name: "李*"})
	h.door(door.Entry{At: t0.Add(-20 * time.Hour), Outcome: door.Pass, Reason: door.ReasonPass, Name: "昨*"}) // yesterday, Shanghai
	c := h.client()
	if code := c.signIn("li", "li-password"); code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", code)
	}
	code, page := c.do("GET", "/", nil)
	if code != 200 || today(t, page) != "3" || !strings.Contains(page, `id="count-hour">2<`) {
		t.Fatalf("day page %d:\n%s", code, page)
	}
	for _, want := range []string{"08:20:00", "10:20:00", "王*英", "76AC-E3FA", "revoked: <strong>1</strong>", `http-equiv="refresh"`, "李明"} {
		if !strings.Contains(page, want) {
			t.Errorf("day page lacks %q", want)
		}
	}
	for _, not := range []string{"already_checked_in: <strong>", "昨*", "<script"} {
		if strings.Contains(page, not) {
			t.Errorf("day page shows %q", not)
		}
	}
	// Look-up by the printed number: both of the card's check-ins, no reload.
	_, page = c.do("GET", "/?card=76ac-e3fa", nil)
	if n := strings.Count(page, `data-record="k-1/`+h.st.Ledger()+`/1"`); n != 2 || strings.Contains(page, `http-equiv="refresh"`) {
		t.Fatalf("look-up lists seq 1 %d times (want in look-up and day), refresh %v", n, strings.Contains(page, "refresh"))
	}
	if _, page = c.do("GET", "/?card=zz", nil); !strings.Contains(page, `id="error"`) {
		t.Error("a bad card number is not explained")
	}
}

// TestDeskManualAndUndo: register on behalf moves the count, its name is
// masked everywhere, undo moves it back with both rows listed, each
// action is audited with the staff member, and the export has a BOM and
// every row.
func TestDeskManualAndUndo(t *testing.T) {
	h := newHarness(t)
	h.door(door.Entry{Outcome: door.Pass, Reason: door.ReasonPass, CardID: card, Holder: "h-1", Name: "王*英", Category: "elder"})
	c := h.client()
	c.signIn("wang", "wang-password")
	code, _ := c.post("/manual", url.Values{"name": {"张伟明"}, "category": {"elder"}, "reason": {"凭证损坏"}})
	if code != http.StatusSeeOther {
		t.Fatalf("manual: %d", code)
	}
	_, page := c.do("GET", "/", nil)
	if today(t, page) != "2" || strings.Contains(page, "张伟明") || !strings.Contains(page, "张*明") || !strings.Contains(page, "人工 / manual · wang") {
		t.Fatalf("after manual:\n%s", page)
	}
	rows, _ := h.st.Rows(context.Background(), t0.Add(-time.Hour), t0.Add(time.Hour), "")
	m := rows[1]
	if m.Source != "manual:wang" || m.Decision != "pass" || m.Reason != "凭证损坏" || m.Name != "张*明" || !m.ClockSynced || m.BootID != "boot-1" {
		t.Fatalf("manual record %+v", m)
	}
	k := "k-1/" + h.st.Ledger() + "/2"
	if code, _ := c.do("GET", "/undo?record="+url.QueryEscape(k), nil); code != 200 {
		t.Fatalf("undo page %d", code)
	}
	if code, _ := c.post("/undo", url.Values{"record": {k}, "reason": {"登记错了"}}); code != http.StatusSeeOther {
		t.Fatalf("undo: %d", code)
	}
	_, page = c.do("GET", "/", nil)
	if today(t, page) != "1" || strings.Count(page, "张*明") != 2 || !strings.Contains(page, "已撤销 / undone") {
		t.Fatalf("after undo:\n%s", page)
	}
	rows, _ = h.st.Rows(context.Background(), t0.Add(-time.Hour), t0.Add(time.Hour), "")
	if u := rows[2]; u.Decision != "undo" || u.Reason != "undo "+k+": 登记错了" || u.Source != "manual:wang" || u.Undoes.Seq != 2 {
		t.Fatalf("undo record %+v", u)
	}
	if code, _ := c.post("/undo", url.Values{"record": {k}, "reason": {"again"}}); code < 400 || code >= 500 {
		t.Fatalf("second undo: %d", code)
	}
	if code, _ := c.post("/undo", url.Values{"record": {"k-1/" + h.st.Ledger() + "/3"}, "reason": {"an undo"}}); code < 400 || code >= 500 {
		t.Fatalf("undo of an undo: %d", code)
	}

	resp, err := c.c.Get(h.srv.URL + "/export")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.HasPrefix(b, []byte("\ufeff")) || !strings.Contains(resp.Header.Get("Content-Disposition"), "east-gate-2026-12-04.csv") {
		t.Fatalf("export: %q %q", resp.Header.Get("Content-Disposition"), b[:min(len(b), 20)])
	}
	recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil || len(recs) != 4 || strings.Join(recs[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("csv %v %v", recs, err)
	}
	if recs[2][17] != "manual:wang" || recs[3][12] != "undo" || recs[2][9] != "张*明" || recs[1][15] != "76AC-E3FA" || recs[1][0] != "2026-12-04T10:20:00+08:00" {
		t.Fatalf("csv rows %v", recs[1:])
	}
	if bytes.Contains(b, []byte("张伟明")) {
		t.Fatal("the export holds the full name")
	}
	// As Excel: the same rows as text cells.
	resp, err = c.c.Get(h.srv.URL + "/export?format=xlsx")
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(resp.Body)
	resp.Body.Close()
	if err != nil || !strings.Contains(resp.Header.Get("Content-Disposition"), "east-gate-2026-12-04.xlsx") {
		t.Fatalf("xlsx export: %v %q", err, resp.Header.Get("Content-Disposition"))
	}
	xrows, err := x.GetRows("2026-12-04")
	x.Close()
	if err != nil || len(xrows) != len(recs) || xrows[2][17] != "manual:wang" || xrows[2][9] != "张*明" || xrows[1][0] != recs[1][0] {
		t.Fatalf("xlsx rows %v %v, want the CSV's", xrows, err)
	}
	if code, _ := c.do("GET", "/export?format=pdf", nil); code != http.StatusBadRequest {
		t.Errorf("export as pdf: %d, want 400", code)
	}
	var acts []string
	for _, a := range h.audit() {
		acts = append(acts, a.Staff+":"+a.Action)
	}
	if got := strings.Join(acts, " "); got != "wang:sign_in wang:manual wang:undo wang:export wang:export" {
		t.Fatalf("audit %q", got)
	}
	if _, page = c.do("GET", "/audit", nil); !strings.Contains(page, "export") || !strings.Contains(page, k) {
		t.Fatalf("audit page:\n%s", page)
	}
}

// TestDeskManualWithCard: a manual pass for a card the kiosk has seen
// counts for the duplicate window like the door's own, until undone.
func TestDeskManualWithCard(t *testing.T) {
	h := newHarness(t)
	h.door(door.Entry{At: t0.Add(-3 * time.Hour), Outcome: door.Fail, Reason: door.ReasonExpired, CardID: card, Holder: "h-1", Name: "王*英"})
	c := h.client()
	c.signIn("li", "li-password")
	if code, page := c.post("/manual", url.Values{"name": {"王秀英"}, "category": {"elder"}, "reason": {"过期，已核实身份"}, "card": {"9999-0000"}}); code != 400 || !strings.Contains(page, "9999-0000") {
		t.Fatalf("an unseen card number: %d\n%s", code, page)
	}
	if code, _ := c.post("/manual", url.Values{"name": {"王秀英"}, "category": {"elder"}, "reason": {"过期，已核实身份"}, "card": {"76ac e3fa"}}); code != http.StatusSeeOther {
		t.Fatalf("manual with card: %d", code)
	}
	ctx := context.Background()
	if ok, _ := h.st.AdmittedSince(ctx, card, t0.Add(-time.Minute)); !ok {
		t.Fatal("a manual pass of the card does not count for the duplicate window")
	}
	c.post("/undo", url.Values{"record": {"k-1/" + h.st.Ledger() + "/2"}, "reason": {"错卡"}})
	if ok, _ := h.st.AdmittedSince(ctx, card, t0.Add(-time.Minute)); ok {
		t.Fatal("an undone manual pass still counts")
	}
}

// TestDeskSignInAndCSRF: nothing without a session; a wrong password is
// refused and audited without the id typed; every action needs the
// session's CSRF token and stores nothing without it; sign-out ends it.
func TestDeskSignInAndCSRF(t *testing.T) {
	h := newHarness(t)
	anon := h.client()
	for _, p := range []string{"/", "/manual", "/export", "/audit", "/undo?record=x/y/1"} {
		if code, _ := anon.do("GET", p, nil); code != http.StatusSeeOther {
			t.Errorf("GET %s without a session: %d", p, code)
		}
	}
	if code, _ := anon.do("POST", "/manual", url.Values{"name": {"a"}, "category": {"elder"}, "reason": {"x"}}); code != 401 {
		t.Errorf("POST /manual without a session: %d", code)
	}
	if code := anon.signIn("li", "wang-password"); code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", code)
	}
	if code := anon.signIn("王秀英", "li-password"); code != http.StatusUnauthorized {
		t.Fatalf("unknown id: %d", code)
	}
	for _, a := range h.audit() {
		if a.Action != ActSignInRefused || a.Staff != "" || strings.Contains(a.Detail, "王") {
			t.Fatalf("refused sign-in audited as %+v", a)
		}
	}
	c := h.client()
	c.signIn("li", "li-password")
	other := h.client()
	other.signIn("wang", "wang-password")
	form := url.Values{"name": {"张伟明"}, "category": {"elder"}, "reason": {"x"}}
	for _, tok := range []string{"", "00", other.csrf} {
		f := url.Values{"csrf": {tok}}
		for k, v := range form {
			f[k] = v
		}
		if code, _ := c.do("POST", "/manual", f); code != http.StatusForbidden {
			t.Errorf("CSRF %q: %d", tok, code)
		}
	}
	if rows, _ := h.st.Rows(context.Background(), t0.Add(-time.Hour), t0.Add(time.Hour), ""); len(rows) != 0 {
		t.Fatalf("a refused form stored %+v", rows)
	}
	resp, _ := c.c.Get(h.srv.URL + "/")
	resp.Body.Close()
	if cc, csp := resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Security-Policy"); cc != "no-store" || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script") {
		t.Errorf("headers: %q %q", cc, csp)
	}
	if code, _ := c.post("/logout", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("sign-out %d", code)
	}
	if code, _ := c.do("GET", "/", nil); code != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d", code)
	}
	// Two failures above, three more pause sign-in for a minute.
	for range 3 {
		anon.signIn("wang", "guess-guess")
	}
	if code := anon.signIn("wang", "wang-password"); code != http.StatusTooManyRequests {
		t.Fatalf("the right password while paused: %d", code)
	}
	h.clk.Advance(time.Minute)
	if code := anon.signIn("wang", "wang-password"); code != http.StatusSeeOther {
		t.Fatalf("a minute later: %d", code)
	}
	var got []string
	for _, a := range h.audit() {
		got = append(got, a.Staff+":"+a.Action)
	}
	// Refused sign-ins name nobody; the try while paused is not a line.
	if want := ":sign_in_refused :sign_in_refused li:sign_in wang:sign_in li:sign_out :sign_in_refused :sign_in_refused :sign_in_refused wang:sign_in"; strings.Join(got, " ") != want {
		t.Fatalf("audit\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
}

// TestNoFullName: whatever name is typed, no page, export or stored
// record shows it unmasked.
func TestNoFullName(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	c.signIn("li", "li-password")
	names := []string{"王秀英", "Wang Xiuying", "欧阳娜娜", "王秀英*", " Mary-Ann Smith ", "阿卜杜·热合曼"}
	for _, n := range names {
		if code, _ := c.post("/manual", url.Values{"name": {n}, "category": {"child"}, "reason": {"no card"}}); code != http.StatusSeeOther {
			t.Fatalf("manual %q: %d", n, code)
		}
	}
	k := "k-1/" + h.st.Ledger() + "/1"
	c.post("/undo", url.Values{"record": {k}, "reason": {"mistake"}})
	var all strings.Builder
	for _, p := range []string{"/", "/?card=76AC-E3FA", "/audit", "/export", "/undo?record=" + url.QueryEscape("k-1/"+h.st.Ledger()+"/2")} {
		_, page := c.do("GET", p, nil)
		all.WriteString(page)
	}
	rows, _ := h.st.Rows(context.Background(), t0.Add(-time.Hour), t0.Add(time.Hour), "")
	for _, r := range rows {
		all.WriteString(r.Name + r.Reason + r.Source)
	}
	for _, n := range append(names, "Xiuying", "秀英", "Smith", "热合曼") {
		if strings.Contains(all.String(), strings.TrimSpace(n)) {
			t.Errorf("%q is shown or stored", n)
		}
	}
	if len(rows) != len(names)+1 {
		t.Fatalf("%d rows", len(rows))
	}
}

// An exit is listed, not counted as a check-in; a full venue's refusal is
// counted as refused (the door said no), under its own reason.
func TestDeskExitAndFull(t *testing.T) {
	h := newHarness(t)
	h.door(door.Entry{Outcome: door.Pass, Reason: door.ReasonPass, CardID: card, Name: "王*英"})
	h.door(door.Entry{Outcome: door.Exit, Reason: door.ReasonExit, CardID: card, Name: "王*英"})
	h.door(door.Entry{Outcome: door.Full, Reason: door.ReasonVenueFull, Name: "李*"})
	c := h.client()
	c.signIn("li", "li-password")
	_, page := c.do("GET", "/", nil)
	if today(t, page) != "2" || !strings.Contains(page, "venue_full: <strong>1</strong>") || strings.Count(page, `class="checkin`) != 3 {
		t.Fatalf("day with an exit and a full venue:\n%s", page)
	}
	if strings.Contains(page, `id="count-in"`) {
		t.Errorf("people in now shown on a kiosk with neither exits nor a capacity")
	}
	// With exits and a capacity: the gate's count, out of the capacity.
	h.occ = &control.OccupancyStatus{PeopleIn: 3, Capacity: 5, Exits: []string{"serial0"}}
	if _, page = c.do("GET", "/", nil); !strings.Contains(page, `id="count-in">3</strong><span id="capacity"> / 5</span>`) {
		t.Errorf("people in now: want 3 / 5:\n%s", page)
	}
	h.occ = &control.OccupancyStatus{Error: "store: disk I/O error", Exits: []string{"serial0"}}
	if _, page = c.do("GET", "/", nil); !strings.Contains(page, `id="count-in">?</strong>`) {
		t.Errorf("a count that cannot be read: want ?:\n%s", page)
	}
}
