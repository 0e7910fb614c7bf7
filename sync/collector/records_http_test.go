package collector_test

import (
	"crypto/ed25519"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
	"github.com/scangate/scangate/sync/wire"
)

// Queries take what an administrator has in hand: the number printed on
// the card and plain dates in the venue's time zone. Input that cannot
// mean anything is refused with a message saying what is wanted, never
// answered with an empty list.
func TestQueriesByPrintedNumberAndPlainDates(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	c := collectortest.Start(t, collectortest.Options{Now: func() time.Time { return now }})
	var v collector.Venue
	if st := c.Admin(t, "POST", "/v1/admin/venues", collector.VenueRequest{ID: "v1", Name: "图书馆",
		VenueSettings: collector.VenueSettings{TimeZone: "Asia/Shanghai"}}, &v); st != http.StatusCreated || v.TimeZone != "Asia/Shanghai" {
		t.Fatalf("create venue: %d %+v", st, v)
	}
	dev := enrollDirect(t, c.Backend, "v1", now)
	const card = "76ace3fa00112233445566778899aabb"
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	at := func(seq uint64, local string) collector.Checkin {
		tm, err := time.ParseInLocation("2006-01-02 15:04", local, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return collector.Checkin{Device: dev.ID, Venue: "v1", Received: now, Record: wire.Record{Seq: seq, At: tm.UTC(), BootID: "b", ClockSynced: true,
			Source: "camera", Decision: wire.DecisionPass, Reason: "pass", CardID: card, Holder: "h", Category: "elder", Name: "王*英"}}
	}
	// 00:30 on 3 December in Shanghai is still 2 December in UTC.
	if _, err := c.Backend.InsertBatch(t.Context(), dev, collector.Batch{Records: []collector.Checkin{
		at(1, "2026-12-02 23:50"), at(2, "2026-12-03 00:30"), at(3, "2026-12-03 23:59"), at(4, "2026-12-04 00:01")}, Now: now}); err != nil {
		t.Fatal(err)
	}
	visits := func(path string) []collector.Visit {
		t.Helper()
		var vs []collector.Visit
		if st := c.Admin(t, "GET", path, nil, &vs); st != http.StatusOK {
			t.Fatalf("GET %s: %d", path, st)
		}
		return vs
	}
	seqs := func(vs []collector.Visit) (out []uint64) {
		for _, v := range vs {
			out = append(out, v.Seq)
		}
		return out
	}
	for _, tc := range []struct {
		path string
		want []uint64
	}{
		// The venue's day, in its own zone.
		{"/v1/admin/venues/v1/visits?on=2026-12-03", []uint64{2, 3}},
		{"/v1/admin/venues/v1/visits?from=2026-12-03&to=2026-12-03", []uint64{2, 3}},
		{"/v1/admin/venues/v1/visits?from=2026/12/3&to=2026-12-04", []uint64{2, 3, 4}},
		{"/v1/admin/venues/v1/visits?on=" + url.QueryEscape("2026年12月3日"), []uint64{2, 3}},
		{"/v1/admin/venues/v1/visits?from=2026-12-03+00:00&to=2026-12-03+12:00", []uint64{2}},
		// An explicit zone or offset wins.
		{"/v1/admin/venues/v1/visits?on=2026-12-02&tz=UTC", []uint64{1, 2}},
		{"/v1/admin/venues/v1/visits?from=2026-12-03T00:00:00%2B08:00&to=2026-12-03T01:00:00%2B08:00", []uint64{2}},
		// The number printed on the card, as typed from the card.
		{"/v1/admin/cards/76AC-E3FA/visits?on=2026-12-03&tz=Asia/Shanghai", []uint64{2, 3}},
		{"/v1/admin/cards/76ace3fa/visits?from=2026-12-01&to=2026-12-31", []uint64{1, 2, 3, 4}},
		{"/v1/admin/cards/" + url.PathEscape("７６ＡＣ－Ｅ３ＦＡ") + "/visits?from=2026-12-01&to=2026-12-31", []uint64{1, 2, 3, 4}},
		{"/v1/admin/cards/" + card + "/visits?from=2026-12-01&to=2026-12-31", []uint64{1, 2, 3, 4}},
		{"/v1/admin/cards/76AC-E3FB/visits?from=2026-12-01&to=2026-12-31", nil}, // well formed, nobody
	} {
		if got := seqs(visits(tc.path)); !equalSeqs(got, tc.want) {
			t.Errorf("GET %s: seqs %v, want %v", tc.path, got, tc.want)
		}
	}
	for _, tc := range []struct {
		path, want string
		status     int
	}{
		{"/v1/admin/cards/76AC-E3FX/visits?on=2026-12-03", "number printed on the card", http.StatusBadRequest},
		{"/v1/admin/cards/76AC/visits?on=2026-12-03", "8 hex digits", http.StatusBadRequest},
		{"/v1/admin/venues/v1/visits?on=2026-13-03", "want a date such as 2026-12-03", http.StatusBadRequest},
		{"/v1/admin/venues/v1/visits?from=2026-12-03", "to: time missing", http.StatusBadRequest},
		{"/v1/admin/venues/v1/visits?from=2026-12-04&to=2026-12-03", "not after", http.StatusBadRequest},
		{"/v1/admin/venues/v1/visits?on=2026-12-03&tz=Mars/Olympus", "IANA zone", http.StatusBadRequest},
		{"/v1/admin/venues/v1/visits?on=2026-12-03&from=2026-12-01", "either on or from", http.StatusBadRequest},
		{"/v1/admin/venues/nope/visits?on=2026-12-03", "nope", http.StatusNotFound},
	} {
		var e wire.Error
		st := c.Admin(t, "GET", tc.path, nil, &e)
		if st != tc.status || !strings.Contains(e.Message, tc.want) {
			t.Errorf("GET %s: %d %q; want %d with %q", tc.path, st, e.Message, tc.status, tc.want)
		}
	}
	// CSV: a UTF-8 BOM first, times on the venue's clock with the offset,
	// the printed number beside the id.
	resp := adminGet(t, c, "/v1/admin/venues/v1/visits?format=csv&on=2026-12-03")
	text, ok := strings.CutPrefix(resp, "\ufeff")
	if !ok {
		t.Fatalf("CSV without a UTF-8 BOM: %q", resp[:min(len(resp), 12)])
	}
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("csv %q: %v", text, err)
	}
	if rows[1][0] != "2026-12-03T00:30:00+08:00" || rows[1][9] != "王*英" || rows[1][15] != "76AC-E3FA" {
		t.Errorf("csv row %q", rows[1])
	}
}

// enrollDirect registers a device in the backend, at a time of the test's
// choosing (an HTTP enrollment is signed at the real time).
func enrollDirect(t *testing.T, be collector.Backend, venue string, now time.Time) collector.Device {
	t.Helper()
	ctx := t.Context()
	if err := be.CreateEnrollToken(ctx, collector.EnrollToken{Hash: "h-" + venue, Venue: venue, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	d, err := be.Enroll(ctx, "h-"+venue, collector.Device{ID: "dev-" + venue, PublicKey: newKey(t).Public().(ed25519.PublicKey)}, now)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func equalSeqs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// An administrator erases a holder's card by the number printed on it, is
// told what went, and finds the erasure in the audit; the records are gone
// from the queries. Retention runs on the admin API's purge, by venue.
func TestEraseAndRetentionOverTheAdminAPI(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	clock := now
	c := collectortest.Start(t, collectortest.Options{Now: func() time.Time { return clock }})
	c.CreateVenue(t, "v1")
	dev := enrollDirect(t, c.Backend, "v1", now)
	mk := func(seq uint64, card string, at time.Time) collector.Checkin {
		return collector.Checkin{Device: dev.ID, Venue: "v1", Received: at, Record: wire.Record{Seq: seq, At: at, BootID: "b", ClockSynced: true,
			Source: "camera", Decision: wire.DecisionPass, Reason: "pass", CardID: card, Holder: "h-" + card[:2], Category: "elder", Name: "王*英"}}
	}
	const a, twin1, twin2 = "aa11223300000000000000000000000a", "bb00000000000000000000000000000b", "bb00000000000000000000000000000c"
	if _, err := c.Backend.InsertBatch(t.Context(), dev, collector.Batch{Records: []collector.Checkin{
		mk(1, a, now.Add(-40*24*time.Hour)), mk(2, a, now.Add(-time.Hour)), mk(3, twin1, now.Add(-time.Hour)), mk(4, twin2, now.Add(-time.Hour))}, Now: now}); err != nil {
		t.Fatal(err)
	}
	var e wire.Error
	for _, tc := range []struct {
		req    collector.EraseRequest
		status int
		want   string
	}{
		{collector.EraseRequest{Card: "AA11-2233"}, http.StatusBadRequest, "who asked"},
		{collector.EraseRequest{Card: "AA11-2233", Holder: "h", By: "x"}, http.StatusBadRequest, "either card or holder"},
		{collector.EraseRequest{Card: "BB00-0000", By: "x"}, http.StatusConflict, "2 cards are numbered BB00-0000"},
		{collector.EraseRequest{Card: "CC00-0000", By: "x"}, http.StatusNotFound, "no card numbered CC00-0000"},
		{collector.EraseRequest{Card: "not a card", By: "x"}, http.StatusBadRequest, "number printed on the card"},
	} {
		if st := c.Admin(t, "POST", "/v1/admin/erasures", tc.req, &e); st != tc.status || !strings.Contains(e.Message, tc.want) {
			t.Errorf("erase %+v: %d %q; want %d with %q", tc.req, st, e.Message, tc.status, tc.want)
		}
	}
	var rep collector.ErasureReport
	if st := c.Admin(t, "POST", "/v1/admin/erasures", collector.EraseRequest{Card: "AA11-2233", By: "前台 王老师"}, &rep); st != http.StatusOK ||
		rep.Deleted[collector.TableCheckins] != 2 || rep.Subject != collector.SubjectHash(collector.EraseCard, a) {
		t.Fatalf("erase by number: %d %+v", st, rep)
	}
	var vs []collector.Visit
	c.Admin(t, "GET", "/v1/admin/cards/AA11-2233/visits?from=2026-01-01&to=2026-12-31", nil, &vs)
	if len(vs) != 0 {
		t.Fatalf("erased card still answers: %+v", vs)
	}
	var es []collector.ErasureReport
	if st := c.Admin(t, "GET", "/v1/admin/erasures", nil, &es); st != http.StatusOK || len(es) != 1 || es[0].Actor != "前台 王老师" {
		t.Fatalf("audit: %d %+v", st, es)
	}
	// Retention: 30 days at v1; the clock moves a day on and the purge
	// takes seq 1 (41 days old by then), nothing younger.
	var got collector.Venue
	days, zone := 30, "Asia/Shanghai"
	if st := c.Admin(t, "PUT", "/v1/admin/venues/v1/settings", collector.VenueSettingsUpdate{TimeZone: &zone}, &got); st != http.StatusOK || got.TimeZone != zone {
		t.Fatalf("settings: %d %+v", st, got)
	}
	if st := c.Admin(t, "PUT", "/v1/admin/venues/v1/settings", collector.VenueSettingsUpdate{RetentionDays: &days}, &got); st != http.StatusOK ||
		got.RetentionDays != 30 || got.TimeZone != zone {
		t.Fatalf("settings, retention only: %d %+v; the time zone must stay", st, got)
	}
	bad := -1
	if st := c.Admin(t, "PUT", "/v1/admin/venues/v1/settings", collector.VenueSettingsUpdate{RetentionDays: &bad}, &e); st != http.StatusBadRequest {
		t.Fatalf("negative retention: %d", st)
	}
	clock = now.Add(24 * time.Hour)
	var ps []collector.VenuePurge
	if st := c.Admin(t, "POST", "/v1/admin/purge", nil, &ps); st != http.StatusOK || len(ps) != 1 || ps[0].Deleted[collector.TableCheckins] != 1 {
		t.Fatalf("purge: %d %+v", st, ps)
	}
	c.Admin(t, "GET", "/v1/admin/venues/v1/visits?from=2026-01-01&to=2026-12-31", nil, &vs)
	if len(vs) != 3 || vs[0].Seq == 1 {
		t.Fatalf("after purge: %+v", vs)
	}
}

// The collector's issuing path checks the name against the fonts too: a
// character none has is refused, named with its code point, and no card is
// recorded; rare characters the fonts have are issued.
func TestIssueCardChecksGlyphs(t *testing.T) {
	c := collectortest.Start(t, collectortest.Options{})
	c.CreateIssuer(t, "iss-1")
	var e wire.Error
	if st := c.Admin(t, "POST", "/v1/admin/cards", collector.CardRequest{Issuer: "iss-1", Holder: "h-1", Name: "王\U0010FFFD", Category: "elder"}, &e); st != http.StatusBadRequest ||
		!strings.Contains(e.Message, "U+10FFFD") {
		t.Fatalf("issue an unprintable name: %d %q", st, e.Message)
	}
	if ids, _ := c.Backend.CardsByNumber(t.Context(), "00000000"); len(ids) != 0 {
		t.Fatalf("cards recorded: %v", ids)
	}
	card := c.IssueCard(t, "iss-1", "h-2", "王䶮𠀀", "elder")
	if card.Name != "王*𠀀" {
		t.Fatalf("issued %+v", card)
	}
}
