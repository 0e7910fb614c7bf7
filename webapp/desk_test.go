package webapp_test

import (
	"context"
	"crypto/ed25519"
	"encoding/csv"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

var (
	countTodayRE = regexp.MustCompile(`id="count-today">(\d+)<`)
	countHourRE  = regexp.MustCompile(`id="count-hour">(\d+)<`)
	undoLinkRE   = regexp.MustCompile(`/desk/hall-1/undo\?record=([^"]+)"`)
)

// kiosk enrolls a device at venue and stores check-ins for it as its
// uploads would.
func (e *env) kiosk(venue string, recs ...wire.Record) collector.Device {
	e.t.Helper()
	return e.device("kiosk-"+venue, "a", venue, "L1", "camera", recs...)
}

// device enrolls id at venue (tokens start with tok, one per device) and
// stores recs as its uploads of ledger would, read from source.
func (e *env) device(id, tok, venue, ledger, source string, recs ...wire.Record) collector.Device {
	e.t.Helper()
	ctx := context.Background()
	now := e.clock.Now()
	hash := strings.Repeat(tok, 63) + venue[len(venue)-1:]
	if err := e.be.CreateEnrollToken(ctx, collector.EnrollToken{Hash: hash, Venue: venue, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		e.t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	d, err := e.be.Enroll(ctx, hash, collector.Device{ID: id, PublicKey: pub}, now)
	if err != nil {
		e.t.Fatal(err)
	}
	var cs []collector.Checkin
	for i, r := range recs {
		r.Seq, r.BootID, r.ClockSynced, r.Source = uint64(i+1), "boot", true, source
		cs = append(cs, collector.Checkin{Device: d.ID, Venue: venue, Received: now, Record: r})
	}
	if _, err := e.be.InsertBatch(ctx, d, collector.Batch{Ledger: ledger, Records: cs, Now: now}); err != nil {
		e.t.Fatal(err)
	}
	return d
}

func count(t *testing.T, re *regexp.Regexp, page string) string {
	t.Helper()
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no count %s on the page:\n%s", re, page)
	}
	return m[1]
}

func testDesk(t *testing.T, e *env) {
	ctx := context.Background()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	// 10:30 in the venue: one kiosk check-in at 08:05, two at 10:20.
	e.clock.Set(time.Date(2026, 12, 3, 10, 30, 0, 0, sh))
	for _, v := range []string{"hall-1", "hall-2"} {
		if err := e.be.CreateVenue(ctx, collector.Venue{ID: v, Name: "会场 " + v, VenueSettings: collector.VenueSettings{TimeZone: "Asia/Shanghai"}}); err != nil {
			t.Fatal(err)
		}
	}
	card := "76ace3fa" + strings.Repeat("0", 24)
	e.kiosk("hall-1",
		wire.Record{At: time.Date(2026, 12, 3, 8, 5, 0, 0, sh), Decision: wire.DecisionPass, Reason: "ok", CardID: card, Name: "王*英", Category: "elder"},
		wire.Record{At: time.Date(2026, 12, 3, 10, 20, 0, 0, sh), Decision: wire.DecisionFail, Reason: "expired", CardID: "11111111" + strings.Repeat("0", 24), Name: "赵*", Category: "child"},
		wire.Record{At: time.Date(2026, 12, 2, 23, 59, 0, 0, sh), Decision: wire.DecisionPass, Reason: "ok", Name: "钱*", Category: "elder"}) // yesterday
	e.kiosk("hall-2", wire.Record{At: time.Date(2026, 12, 3, 10, 0, 0, 0, sh), Decision: wire.DecisionPass, Reason: "ok", Name: "李*明", Category: "elder"})

	a, s := e.staff("hall-1")
	page := s.last
	if !strings.Contains(page, `http-equiv="refresh"`) || !strings.Contains(page, "王*英") || strings.Contains(page, "李*明") || strings.Contains(page, "钱*") {
		t.Fatalf("staff home is not hall-1's day (refreshing, its check-ins, no other venue's or day's):\n%s", page)
	}
	if count(t, countTodayRE, page) != "2" || count(t, countHourRE, page) != "1" || !strings.Contains(page, "expired: <strong>1</strong>") {
		t.Errorf("counts: today %s hour %s, want 2 and 1 and expired refused once", count(t, countTodayRE, page), count(t, countHourRE, page))
	}
	if !strings.Contains(page, "<td>08:05:00</td>") || !strings.Contains(page, "76AC-E3FA") {
		t.Errorf("times not in the venue's zone or printed number missing")
	}
	if i, j := strings.Index(page, "赵*"), strings.Index(page, "王*英"); i < 0 || j < i {
		t.Errorf("not newest first")
	}

	// Another venue, by any route, is not there.
	for _, p := range []string{"/desk/hall-2", "/desk/hall-2/manual", "/desk/hall-2/export", "/desk/hall-2/undo?record=kiosk-hall-2/L1/1", "/desk/nowhere"} {
		if code, body := s.get(p); code != 404 || strings.Contains(body, "李*明") {
			t.Errorf("staff GET %s: %d, want 404", p, code)
		}
	}
	s.get("/desk/hall-1")
	tok := s.csrf()
	if code, _ := s.post("/desk/hall-2/manual", url.Values{"csrf": {tok}, "name": {"孙*"}, "category": {"elder"}, "reason": {"无卡"}}); code != 404 {
		t.Errorf("staff POST to hall-2: %d, want 404", code)
	}
	if code, _ := s.post("/desk/hall-1/undo", url.Values{"csrf": {tok}, "record": {"kiosk-hall-2/L1/1"}, "reason": {"x"}}); code != 404 {
		t.Errorf("undo of another venue's check-in through hall-1: %d, want 404", code)
	}
	// Family and office accounts have no desk.
	if code, _ := e.family("wang.family").get("/desk/hall-1"); code != 404 {
		t.Errorf("family GET /desk/hall-1: %d, want 404", code)
	}

	// CSRF: a forged form stores nothing.
	if code, _ := s.post("/desk/hall-1/manual", url.Values{"csrf": {strings.Repeat("0", len(tok))}, "name": {"孙*"}, "category": {"elder"}, "reason": {"无卡"}}); code != 403 {
		t.Errorf("manual check-in without the form token: %d, want 403", code)
	}
	if code, _ := s.post("/desk/hall-1/manual", url.Values{"csrf": {tok}, "name": {"孙秀兰"}, "category": {"martian"}, "reason": {"无卡"}}); code != 400 {
		t.Errorf("unknown category: %d, want 400", code)
	}
	vs, _ := e.be.VisitsAtVenue(ctx, "hall-1", time.Date(2026, 12, 3, 0, 0, 0, 0, sh), time.Date(2026, 12, 4, 0, 0, 0, 0, sh))
	if len(vs) != 2 {
		t.Fatalf("refused forms stored something: %d check-ins, want 2", len(vs))
	}

	// Register on behalf: a full name typed is kept masked.
	s.get("/desk/hall-1/manual")
	code, page := s.post("/desk/hall-1/manual", url.Values{"name": {"孙秀兰"}, "category": {"elder"}, "reason": {"凭证损坏"}})
	if code != 200 || count(t, countTodayRE, page) != "3" || !strings.Contains(page, "孙*兰") || !strings.Contains(page, "人工") {
		t.Fatalf("manual check-in: %d, today %s, want 3 with 孙*兰 marked manual:\n%s", code, count(t, countTodayRE, page), page)
	}
	vs, _ = e.be.VisitsAtVenue(ctx, "hall-1", time.Date(2026, 12, 3, 0, 0, 0, 0, sh), time.Date(2026, 12, 4, 0, 0, 0, 0, sh))
	manual := vs[len(vs)-1]
	if len(vs) != 3 || manual.Device != "desk-hall-1" || manual.Name != "孙*兰" || manual.Reason != "凭证损坏" || manual.Decision != wire.DecisionPass {
		t.Fatalf("stored manual check-in: %+v", manual)
	}

	// Undo it with a reason: a new record, the check-in stays.
	m := undoLinkRE.FindStringSubmatch(page)
	if m != nil {
		m[1], _ = url.QueryUnescape(m[1])
	}
	if m == nil || m[1] != "desk-hall-1/desk/1" {
		t.Fatalf("no undo link for the manual check-in: %v", m)
	}
	s.get("/desk/hall-1/undo?record=" + url.QueryEscape(m[1]))
	if code, _ := s.post("/desk/hall-1/undo", url.Values{"record": {m[1]}, "reason": {" "}}); code != 400 {
		t.Errorf("undo without a reason: %d, want 400", code)
	}
	s.get("/desk/hall-1/undo?record=" + url.QueryEscape(m[1]))
	code, page = s.post("/desk/hall-1/undo", url.Values{"record": {m[1]}, "reason": {"误登记"}})
	if code != 200 || count(t, countTodayRE, page) != "2" || !strings.Contains(page, "已撤销") {
		t.Fatalf("undo: %d, today %s, want 2 and the check-in marked undone", code, count(t, countTodayRE, page))
	}
	if code, _ := s.post("/desk/hall-1/undo", url.Values{"csrf": {tok}, "record": {m[1]}, "reason": {"again"}}); code != 400 {
		t.Errorf("undoing twice: %d, want 400", code)
	}
	vs, _ = e.be.VisitsAtVenue(ctx, "hall-1", time.Date(2026, 12, 3, 0, 0, 0, 0, sh), time.Date(2026, 12, 4, 0, 0, 0, 0, sh))
	if len(vs) != 4 || vs[3].Decision != "undo" || !strings.HasPrefix(vs[3].Reason, "undo desk-hall-1/desk/1: 误登记") {
		t.Fatalf("after undo: %d check-ins, last %+v; want 4, the last an undo naming the first", len(vs), vs[len(vs)-1])
	}

	// Look-up by the printed number, as typed.
	if _, page := s.get("/desk/hall-1?card=76ac－e3fa"); !strings.Contains(page, "2026-12-03 08:05") || strings.Contains(page, `http-equiv="refresh"`) {
		t.Errorf("look-up by printed number: missing the 08:05 check-in or still refreshing")
	}
	if code, page := s.get("/desk/hall-1?card=nonsense"); code != 200 || !strings.Contains(page, "class=\"flash\"") {
		t.Errorf("bad card number: %d, want the page with a message", code)
	}

	// Export the day: the collector's CSV with a BOM.
	code, body := s.get("/desk/hall-1/export?on=2026-12-03")
	if code != 200 || !strings.HasPrefix(body, "\ufeff") {
		t.Fatalf("export: %d, BOM %v", code, strings.HasPrefix(body, "\ufeff"))
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 5 || !slices.Equal(rows[0], collector.VisitCSVHeader) || rows[1][0] != "2026-12-03T08:05:00+08:00" {
		t.Fatalf("export: %v, %d rows, want header and 4 check-ins in +08:00:\n%s", err, len(rows), body)
	}
	// And as Excel: the same rows, every cell text (a name is never a formula).
	code, body = s.get("/desk/hall-1/export?on=2026-12-03&format=xlsx")
	if code != 200 {
		t.Fatalf("xlsx export: %d", code)
	}
	x, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("xlsx export does not open: %v", err)
	}
	xrows, err := x.GetRows("2026-12-03")
	if err != nil || len(xrows) != len(rows) || !slices.Equal(xrows[0], collector.VisitCSVHeader) || xrows[1][0] != rows[1][0] || xrows[3][9] != "孙*兰" {
		t.Fatalf("xlsx export: %v, %d rows, want the CSV's %d: %q", err, len(xrows), len(rows), xrows)
	}
	x.Close()
	if code, _ := s.get("/desk/hall-1/export?on=2026-12-03&format=pdf"); code != 400 {
		t.Errorf("export as pdf: %d, want 400", code)
	}
	if code, _ := s.get("/desk/hall-1/export?on=2026-13-40"); code != 400 {
		t.Errorf("export of a bad date: %d, want 400", code)
	}

	// No full name on any staff page or export; every action audited.
	for _, p := range []string{"/desk/hall-1", "/desk/hall-1/export", "/desk/hall-1?card=76AC-E3FA"} {
		if _, body := s.get(p); strings.Contains(body, "孙秀兰") {
			t.Errorf("%s shows the full name", p)
		}
	}
	_, audit := a.get("/admin/audit")
	for _, act := range []string{"desk_manual", "desk_undo", "desk_export"} {
		if !strings.Contains(audit, "<td>"+act+"</td>") {
			t.Errorf("audit log lacks %s", act)
		}
	}
}
