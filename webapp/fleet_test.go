package webapp_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

func TestFleetSQLite(t *testing.T)   { testFleet(t, newEnv(t, false)) }
func TestFleetPostgres(t *testing.T) { testFleet(t, newEnv(t, true)) }

var (
	rowRE = func(dev string) *regexp.Regexp {
		return regexp.MustCompile(`<tr class="state-([a-z]+)" data-device="` + regexp.QuoteMeta(dev) + `">`)
	}
	tokenRE = regexp.MustCompile(`id="token">(sget-[0-9a-f]{32})<`)
)

// adminGets and adminPosts are every administrators' fleet route.
var (
	adminGets  = []string{"/admin/fleet", "/admin/issuers", "/admin/venues/hall-1/policy", "/admin/checkins?venue=hall-1", "/admin/search?venue=hall-1"}
	adminPosts = []string{"/admin/cards/revoke", "/admin/tokens", "/admin/tokens/withdraw", "/admin/venues/hall-1/policy", "/admin/issuers", "/admin/issuers/" + issuerID + "/delete"}
)

func testFleet(t *testing.T, e *env) {
	ctx := context.Background()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	e.clock.Set(time.Date(2026, 12, 3, 18, 0, 0, 0, sh))
	if err := e.be.CreateVenue(ctx, collector.Venue{ID: "hall-1", Name: "社区活动中心", Policy: wire.DefaultPolicy(),
		VenueSettings: collector.VenueSettings{TimeZone: "Asia/Shanghai"}}); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 12, 3, 0, 0, 0, 0, sh)
	card := strings.Repeat("7a", 16)
	rec := func(h, m int, decision, reason string) wire.Record {
		return wire.Record{At: day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute), Decision: decision, Reason: reason,
			CardID: card, Holder: "h1", Category: "elder", Name: "王*英"}
	}
	// 08:xx two admitted and one refused, 10:xx one admitted, 23:59 one
	// admitted; the day before (in Shanghai, the same UTC date) none count.
	k := e.kiosk("hall-1", rec(8, 5, "pass", "pass"), rec(8, 40, "already", "already"), rec(8, 50, "fail", "revoked"),
		rec(10, 0, "pass", "pass"), rec(23, 59, "pass", "pass"), rec(-1, 0, "pass", "pass"))
	hs := e.be.(collector.HealthStore)
	refuse := e.clock.Now().Add(20 * 24 * time.Hour).UTC()
	if err := hs.SaveHealth(ctx, k.ID, &wire.Health{Software: "1.7.2", Slot: "B", OutboxDepth: 3, OutboxOldest: wire.Duration(40 * time.Second),
		TrustKnown: true, TrustAge: wire.Duration(2 * time.Hour), RefuseFrom: &refuse, ClockMeasured: true, ClockOffsetMS: 1200}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	// The staff desk's pseudo device, never seen: shown apart, no alarm.
	now := e.clock.Now()
	if err := e.be.CreateEnrollToken(ctx, collector.EnrollToken{Hash: strings.Repeat("d", 64), Venue: "hall-1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	if _, err := e.be.Enroll(ctx, strings.Repeat("d", 64), collector.Device{ID: "desk-hall-1", PublicKey: pub, Hardware: "staff desk"}, now.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}

	a := e.browser()
	if code := a.login("admin", "admin password"); code != 200 {
		t.Fatalf("admin sign-in: %d", code)
	}
	code, page := a.get("/admin/fleet")
	if code != 200 {
		t.Fatalf("fleet: %d\n%s", code, page)
	}
	if m := rowRE(k.ID).FindStringSubmatch(page); m == nil || m[1] != "green" {
		t.Fatalf("kiosk row not green: %v\n%s", m, page)
	}
	for _, want := range []string{"1.7.2", ">B<", "1.2s", "2026-12-23 10:00", "2h0m0s", "设备总览"} {
		if !strings.Contains(page, want) {
			t.Errorf("fleet page lacks %q", want)
		}
	}
	if strings.Contains(page, `data-device="desk-hall-1"`) || !strings.Contains(page, "hall-1: desk-hall-1") {
		t.Errorf("the desk is in the device table or missing from the desks")
	}
	// 16 minutes later, not seen since: red, and so in the metrics.
	e.clock.Set(e.clock.Now().Add(16 * time.Minute))
	_, page = a.get("/admin/fleet")
	if m := rowRE(k.ID).FindStringSubmatch(page); m == nil || m[1] != "red" || !strings.Contains(page, "长时间未联系") {
		t.Fatalf("kiosk row after 16 minutes: %v\n%s", m, page)
	}

	// The chart: per hour of the venue's day, numbers as text too.
	code, page = a.get("/admin/checkins?venue=hall-1&day=2026-12-03")
	if code != 200 || !strings.Contains(page, "<svg") || !strings.Contains(page, `<title id="chart-title">`) || !strings.Contains(page, "<desc") {
		t.Fatalf("chart: %d\n%s", code, page)
	}
	for _, row := range []string{"<td>8:00</td><td>2</td><td>1</td>", "<td>10:00</td><td>1</td><td>0</td>", "<td>23:00</td><td>1</td><td>0</td>"} {
		if !strings.Contains(page, row) {
			t.Errorf("chart table lacks %s", row)
		}
	}
	if strings.Contains(page, "<script") || !strings.Contains(page, "Asia/Shanghai") || !strings.Contains(page, "<th colspan=\"2\">5</th>") {
		t.Errorf("chart page: script, zone or total wrong:\n%s", page)
	}
	if code, _ := a.get("/admin/checkins?venue=hall-1&day=yesterday-ish"); code != 400 {
		t.Errorf("bad day: %d, want 400", code)
	}

	// Search by venue and window, and by the printed number: names masked.
	_, page = a.get("/admin/search?venue=hall-1&from=2026-12-03+08:00&to=2026-12-03+09:00")
	if n := strings.Count(page, "王*英"); n != 3 {
		t.Errorf("venue search 08-09: %d rows, want 3\n%s", n, page)
	}
	_, page = a.get("/admin/search?card=7A7A-7A7A")
	// 23:59 is later than now: the window ends now.
	if n := strings.Count(page, "<td>7A7A-7A7A</td>"); n != 5 {
		t.Errorf("card search: %d rows, want 5\n%s", n, page)
	}
	if strings.Contains(page, card) {
		t.Error("search shows the whole card id")
	}
	if code, _ := a.get("/admin/search?card=zz"); code != 400 {
		t.Errorf("bad card: %d", code)
	}

	// Revoke by the printed number: the collector's list has it.
	a.get("/admin/fleet")
	code, page = a.post("/admin/cards/revoke", url.Values{"card": {"7a7a-7a7a"}, "why": {"lost at the door"}})
	if code != 200 || !strings.Contains(page, "7A7A-7A7A") {
		t.Fatalf("revoke: %d\n%s", code, page)
	}
	revs, err := e.be.Revocations(ctx)
	if err != nil || len(revs) != 1 || revs[0] != card {
		t.Fatalf("revocations %v %v", revs, err)
	}
	if code, _ := a.post("/admin/cards/revoke", url.Values{"card": {"0000-0001"}}); code != 400 {
		t.Errorf("unknown number: %d, want 400", code)
	}

	// Venue policy: a bad value is shown with the form, a good one saved.
	_, page = a.get("/admin/venues/hall-1/policy")
	if !strings.Contains(page, `value="10m0s"`) {
		t.Fatalf("policy form:\n%s", page)
	}
	code, page = a.post("/admin/venues/hall-1/policy", url.Values{"mode": {"verify"}, "duplicate_window": {"ten minutes"}, "max_trust_age": {"168h"}, "companion_window": {"2m"}, "categories": {"elder"}})
	if code != 400 || !strings.Contains(page, "重复登记间隔（如 10m）: 请写成时长，如 10m 或 168h，最长 168h0m0s") || !strings.Contains(page, `value="ten minutes"`) {
		t.Fatalf("bad policy: %d\n%s", code, page)
	}
	code, page = a.post("/admin/venues/hall-1/policy", url.Values{"mode": {"verify"}, "duplicate_window": {"30m"}, "max_trust_age": {"72h"}, "companion_window": {"1m"}, "capacity": {"-3"}})
	if code != 400 || !strings.Contains(page, "请写成 0 到 1000000 的整数") || !strings.Contains(page, `value="-3"`) {
		t.Fatalf("bad capacity: %d\n%s", code, page)
	}
	code, _ = a.post("/admin/venues/hall-1/policy", url.Values{"mode": {"verify"}, "duplicate_window": {"30m"}, "max_trust_age": {"72h"}, "companion_window": {"1m"}, "capacity": {"120"}, "categories": {"elder", "companion"}, "fail_open": {"on"}})
	v, _ := e.be.Venue(ctx, "hall-1")
	if code != 200 || time.Duration(v.Policy.DuplicateWindow) != 30*time.Minute || time.Duration(v.Policy.MaxTrustAge) != 72*time.Hour ||
		!v.Policy.FailOpen || strings.Join(v.Policy.Categories, ",") != "elder,companion" || v.Policy.Capacity != 120 {
		t.Fatalf("policy saved: %d %+v", code, v.Policy)
	}

	// An enrolment token, shown once, enrolls a kiosk.
	a.get("/admin/fleet")
	_, page = a.post("/admin/tokens", url.Values{"venue": {"hall-1"}})
	m := tokenRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no token:\n%s", page)
	}
	sum := sha256.Sum256([]byte(m[1]))
	pub2, _, _ := ed25519.GenerateKey(nil)
	if d, err := e.be.Enroll(ctx, hex.EncodeToString(sum[:]), collector.Device{ID: "kiosk-new", PublicKey: pub2, Hardware: "rpi4"}, e.clock.Now()); err != nil || d.Venue != "hall-1" {
		t.Fatalf("enroll with the page's token: %+v %v", d, err)
	}
	if _, page := a.get("/admin/fleet"); strings.Contains(page, m[1]) {
		t.Error("token shown again")
	}
	// A second one is listed (by its hash's start, never the token) until
	// withdrawn, and then enrolls nothing.
	_, page = a.post("/admin/tokens", url.Values{"venue": {"hall-1"}})
	m2 := tokenRE.FindStringSubmatch(page)
	if m2 == nil || strings.Contains(page, `http-equiv="refresh"`) {
		t.Fatalf("second token, or a page that reloads the token away:\n%s", page)
	}
	sum2 := sha256.Sum256([]byte(m2[1]))
	hash2 := hex.EncodeToString(sum2[:])
	if _, page := a.get("/admin/fleet"); !strings.Contains(page, "<code>"+hash2[:8]+"</code>") || strings.Contains(page, "<code>"+hex.EncodeToString(sum[:])[:8]+"</code>") {
		t.Fatalf("outstanding tokens: want the second listed, not the used one:\n%s", page)
	}
	if code, page := a.post("/admin/tokens/withdraw", url.Values{"token": {hash2}}); code != 200 || strings.Contains(page, "<code>"+hash2[:8]+"</code>") {
		t.Fatalf("withdraw: %d\n%s", code, page)
	}
	pub3, _, _ := ed25519.GenerateKey(nil)
	if _, err := e.be.Enroll(ctx, hash2, collector.Device{ID: "kiosk-late", PublicKey: pub3}, e.clock.Now()); err == nil {
		t.Fatal("a withdrawn token enrolled")
	}
	a.get("/admin/fleet")
	if code, _ := a.post("/admin/tokens/withdraw", url.Values{"token": {hash2}}); code != 404 {
		t.Errorf("withdrawing twice: %d, want 404", code)
	}
	if _, page := a.get("/admin/issuers"); !strings.Contains(page, issuerID) || !strings.Contains(page, "鼓楼区社区中心") {
		t.Errorf("issuers page:\n%s", page)
	}
	// A new issuer whose key the collector holds, then removed (confirmed).
	if code, page := a.post("/admin/issuers", url.Values{"id": {"xuanwu"}, "name": {"玄武区社区中心"}, "venues": {"hall-1"}}); code != 200 || !strings.Contains(page, "玄武区社区中心") {
		t.Fatalf("new issuer: %d\n%s", code, page)
	}
	if is, _ := e.be.Issuers(ctx); len(is) != 2 || is[1].ID != "xuanwu" || len(is[1].SealedKey) == 0 || strings.Join(is[1].Venues, ",") != "hall-1" {
		t.Fatalf("issuers after adding: %+v", is)
	}
	if code, _ := a.post("/admin/issuers", url.Values{"id": {"bad id!"}}); code != 400 {
		t.Errorf("bad issuer id: %d, want 400", code)
	}
	a.get("/admin/issuers")
	if code, _ := a.post("/admin/issuers/xuanwu/delete", url.Values{}); code != 400 {
		t.Errorf("removal without confirming: %d, want 400", code)
	}
	if code, _ := a.post("/admin/issuers/xuanwu/delete", url.Values{"confirm": {"yes"}}); code != 200 {
		t.Errorf("removal: %d", code)
	}
	if is, _ := e.be.Issuers(ctx); len(is) != 1 {
		t.Fatalf("issuers after removing: %+v", is)
	}

	// Every action is in the audit log; the token itself is not.
	es, err := e.store.AuditLog(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, x := range es {
		seen[x.Action+" "+x.Target] = x.Target
		if strings.Contains(x.Detail+x.Target, m[1]) {
			t.Errorf("audit holds the token: %+v", x)
		}
	}
	for _, want := range []string{"admin_card_revoke " + card, "venue_policy_set hall-1", "enroll_token_create hall-1", "enroll_token_withdraw " + hash2[:8], "admin_search card 7A7A-7A7A", "issuer_put xuanwu", "issuer_delete xuanwu", "admin_search venue hall-1"} {
		if _, ok := seen[want]; !ok {
			t.Errorf("audit lacks %q (%v)", want, seen)
		}
	}

	// Without the form token every POST is refused and changes nothing.
	for _, p := range adminPosts {
		a.get("/admin/fleet")
		if code, _ := a.post(p, url.Values{"csrf": {"0123456789abcdef0123456789abcdef"}, "card": {"7a7a-7a7a"}, "venue": {"hall-1"},
			"mode": {"log-only"}, "duplicate_window": {"1m"}, "max_trust_age": {"1h"}, "companion_window": {"1m"}}); code != 403 {
			t.Errorf("POST %s with a wrong CSRF token: %d, want 403", p, code)
		}
	}
	if v, _ := e.be.Venue(ctx, "hall-1"); v.Policy.Mode != "verify" {
		t.Error("policy changed without CSRF")
	}

	// Staff, office and family: none of these pages exist for them.
	a.addStaff("desk", "hall-1")
	staff, office, family := e.browser(), e.browser(), e.family("wang.ming")

	// A card issued here to 王秀英 (the registry holds the full name)
	// checks in: the administrators' search and chart show the masked name
	// the card carries, never the full one.
	pid := family.addPerson("王秀英", "elder")
	family.get("/people/" + pid)
	_, page = family.post("/people/"+pid+"/issue", url.Values{})
	cm := cardLinkRE.FindStringSubmatch(page)
	if cm == nil {
		t.Fatalf("no card issued:\n%s", page)
	}
	r := rec(9, 30, "pass", "pass")
	r.CardID, r.Name, r.Seq, r.BootID, r.ClockSynced, r.Source = cm[1], "王*英", 7, "boot", true, "camera"
	if _, err := e.be.InsertBatch(ctx, k, collector.Batch{Ledger: "L1", Records: []collector.Checkin{{Device: k.ID, Venue: "hall-1", Received: e.clock.Now(), Record: r}}, Now: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/admin/search?card=" + collector.PrintedNumber(cm[1]), "/admin/search?venue=hall-1&from=2026-12-03", "/admin/checkins?venue=hall-1&day=2026-12-03", "/admin/fleet"} {
		code, body := a.get(p)
		if code != 200 || strings.Contains(body, "王秀英") || strings.Contains(body, cm[1]) {
			t.Errorf("GET %s: %d, a full name or card id on the page", p, code)
		}
		if strings.HasPrefix(p, "/admin/search?card") && !strings.Contains(body, "王*英") {
			t.Errorf("GET %s: the masked name missing:\n%s", p, body)
		}
	}
	staff.login("desk", "staff password")
	office.login("office", "office password")
	for name, b := range map[string]*browser{"staff": staff, "office": office, "family": family} {
		for _, p := range adminGets {
			if code, body := b.get(p); code != 404 || strings.Contains(body, "王*英") || strings.Contains(body, k.ID) {
				t.Errorf("%s GET %s: %d, want 404 and nothing of the fleet", name, p, code)
			}
		}
		b.get("/")
		for _, p := range adminPosts {
			if code, _ := b.post(p, url.Values{"card": {card}, "venue": {"hall-1"}, "mode": {"log-only"}, "duplicate_window": {"1m"}, "max_trust_age": {"1h"}, "companion_window": {"1m"}}); code != 404 {
				t.Errorf("%s POST %s: %d, want 404", name, p, code)
			}
		}
	}
	if v, _ := e.be.Venue(ctx, "hall-1"); v.Policy.Mode != "verify" {
		t.Error("policy changed by a non-administrator")
	}
	if is, _ := e.be.Issuers(ctx); len(is) != 1 {
		t.Error("issuers changed by a non-administrator or without CSRF")
	}
}
