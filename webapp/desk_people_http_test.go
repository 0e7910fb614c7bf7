package webapp_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

var countInRE = regexp.MustCompile(`id="count-in">(\d+)<`)

// exitKiosk enrolls a second device at venue, the one with the exit
// reader, and stores its records as its uploads would.
func (e *env) exitKiosk(venue string, recs ...wire.Record) {
	e.t.Helper()
	e.device("exit-"+venue, "b", venue, "X1", "serial0", recs...)
}

// TestDeskPeopleInNow: the desk shows people in now once the venue has
// exits: an exit at one kiosk frees the place an entry at another took,
// a person registered on behalf counts in; an exit is not a check-in.
func TestDeskPeopleInNowSQLite(t *testing.T)   { testDeskPeopleInNow(t, newEnv(t, false)) }
func TestDeskPeopleInNowPostgres(t *testing.T) { testDeskPeopleInNow(t, newEnv(t, true)) }

func testDeskPeopleInNow(t *testing.T, e *env) {
	ctx := context.Background()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	e.clock.Set(time.Date(2026, 12, 3, 10, 30, 0, 0, sh))
	if err := e.be.CreateVenue(ctx, collector.Venue{ID: "hall-1", Name: "会场", VenueSettings: collector.VenueSettings{TimeZone: "Asia/Shanghai"}}); err != nil {
		t.Fatal(err)
	}
	a, b := "aaaaaaaa"+strings.Repeat("0", 24), "bbbbbbbb"+strings.Repeat("0", 24)
	e.kiosk("hall-1",
		wire.Record{At: time.Date(2026, 12, 3, 9, 0, 0, 0, sh), Decision: wire.DecisionPass, Reason: "pass", CardID: a, Name: "王*英", Category: "elder"},
		wire.Record{At: time.Date(2026, 12, 3, 9, 5, 0, 0, sh), Decision: wire.DecisionPass, Reason: "pass", CardID: b, Name: "李*", Category: "child"},
		wire.Record{At: time.Date(2026, 12, 3, 9, 6, 0, 0, sh), Decision: wire.DecisionFull, Reason: "venue_full", Name: "赵*", Category: "elder"})

	_, s := e.staff("hall-1")
	_, page := s.get("/desk/hall-1")
	if countInRE.MatchString(page) {
		t.Fatalf("people in now shown at a venue without exits:\n%s", page)
	}
	if !strings.Contains(page, "venue_full: <strong>1</strong>") {
		t.Errorf("a full-venue refusal is not among the refused:\n%s", page)
	}

	e.exitKiosk("hall-1",
		wire.Record{At: time.Date(2026, 12, 3, 10, 0, 0, 0, sh), Decision: wire.DecisionExit, Reason: "exit", CardID: a, Name: "王*英", Category: "elder"},
		wire.Record{At: time.Date(2026, 12, 3, 10, 1, 0, 0, sh), Decision: wire.DecisionExit, Reason: "already_exited", CardID: a, Name: "王*英", Category: "elder"})
	_, page = s.get("/desk/hall-1")
	if got := count(t, countInRE, page); got != "1" {
		t.Errorf("people in now %s, want 1 (b; a left through the exit kiosk)", got)
	}
	if got := count(t, countTodayRE, page); got != "3" {
		t.Errorf("today %s, want 3: exits are not check-ins", got)
	}

	tok := s.csrf()
	if code, _ := s.post("/desk/hall-1/manual", url.Values{"csrf": {tok}, "name": {"孙*"}, "category": {"elder"}, "reason": {"无卡"}}); code != 200 {
		t.Fatalf("register on behalf: %d", code)
	}
	_, page = s.get("/desk/hall-1")
	if got := count(t, countInRE, page); got != "2" {
		t.Errorf("people in now after a manual check-in %s, want 2", got)
	}
	if strings.Contains(page, "王秀英") {
		t.Error("an unmasked name on the desk")
	}
}
