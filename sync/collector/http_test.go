package collector_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
	"github.com/scangate/scangate/sync/wire"
)

func TestEnrollment(t *testing.T) {
	c := collectortest.Start(t, collectortest.Options{})
	c.CreateVenue(t, "v1")
	tok := c.EnrollToken(t, "v1")
	key := newKey(t)

	// Signed by another key than the one enrolled: refused, token kept.
	body, _ := json.Marshal(wire.Enroll{Version: wire.Version, Token: tok, PublicKey: key.Public().(ed25519.PublicKey)})
	impostor := &testDevice{key: newKey(t), url: c.URL}
	if st, b, _ := impostor.send(t, impostor.request(t, "POST", "/v1/enroll", body, time.Now())); st != http.StatusUnauthorized {
		t.Fatalf("enroll signed by another key: %d %s", st, b)
	}
	st, er, b := enroll(t, c.URL, tok, key)
	if st != http.StatusOK || er.Venue != "v1" || er.VenueName != "Venue v1" || !c.PublicKey().Equal(ed25519.PublicKey(er.CollectorKey)) || er.DeviceID == "" {
		t.Fatalf("enroll = %d %+v %s", st, er, b)
	}
	if st, _, b := enroll(t, c.URL, tok, newKey(t)); st != http.StatusConflict {
		t.Fatalf("reused token: %d %s", st, b)
	}
	// The device crashed before saving the answer and enrolls again with
	// the same token and key: the same device, not a refusal.
	if st, again, b := enroll(t, c.URL, tok, key); st != http.StatusOK || again.DeviceID != er.DeviceID || again.Venue != "v1" || again.VenueName != "Venue v1" {
		t.Fatalf("enrollment retried with the same key = %d %+v %s; want device %s", st, again, b, er.DeviceID)
	}
	if st, _, b := enroll(t, c.URL, "sget-unknown", newKey(t)); st != http.StatusUnauthorized {
		t.Fatalf("unknown token: %d %s", st, b)
	}
	if st, _, b := enroll(t, c.URL, c.EnrollToken(t, "v1"), key); st != http.StatusConflict {
		t.Fatalf("same key enrolled twice: %d %s", st, b)
	}
	// Revoked: every request refused.
	d := &testDevice{id: er.DeviceID, key: key, url: c.URL}
	if st, _, _ := d.post(t, gz(t, d.batch(records(1)))); st != http.StatusOK {
		t.Fatalf("post before revocation: %d", st)
	}
	c.RevokeDevice(t, d.id)
	if st, _, b := d.post(t, gz(t, d.batch(records(2)))); st != http.StatusForbidden {
		t.Fatalf("revoked device post: %d %s", st, b)
	}
	if st, b, _ := d.bundle(t, ""); st != http.StatusForbidden {
		t.Fatalf("revoked device bundle: %d %s", st, b)
	}
	if st, _, b := enroll(t, c.URL, tok, key); st != http.StatusForbidden {
		t.Fatalf("revoked device enrolling again with its token: %d %s", st, b)
	}
	if got, _ := c.Backend.Device(t.Context(), d.id); got.AckSeq != 1 {
		t.Fatalf("ack after refused post = %d, want 1", got.AckSeq)
	}
}

// TestWholeStack runs enroll → batches with replays and gaps → bundle with
// ETag/304 → card revocation reaching the bundle → both queries.
func TestWholeStack(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testWholeStack(t, newSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { testWholeStack(t, newPostgres(t)) })
}

func testWholeStack(t *testing.T, be collector.Backend) {
	c := collectortest.Start(t, collectortest.Options{Backend: be})
	c.CreateVenue(t, "v1")
	c.CreateVenue(t, "v2")
	city := c.CreateIssuer(t, "city")
	card := c.IssueCard(t, "city", "holder-1", "王秀英", idcode.CategoryElder)
	// New cards are SG2: no iss on the card, the 4-byte kid names the key.
	if card.Name != "王*英" || !strings.HasPrefix(card.QR, idcode.Prefix2) {
		t.Fatalf("issued card %+v", card)
	}
	parsed, err := idcode.Parse(card.QR)
	kid := idcode.KeyID(city.PublicKey)
	if err != nil || parsed.Format != idcode.FormatSG2 || parsed.CardIDHex() != card.CardID || [4]byte(parsed.KID[:4]) != [4]byte(kid[:4]) ||
		!parsed.Expires.Equal(card.Expires) {
		t.Fatalf("card does not parse as issued: %+v, %v", parsed, err)
	}
	a := mustEnroll(t, c, "v1")
	b := mustEnroll(t, c, "v2")

	for i, step := range []struct {
		seqs []uint64
		ack  uint64
	}{
		{[]uint64{1, 2, 3, 4, 5}, 5},
		{[]uint64{1, 2, 3, 4, 5}, 5},
		{[]uint64{7}, 5},
		{[]uint64{6}, 7},
	} {
		st, ack, body := a.post(t, gz(t, a.batch(records(step.seqs...))))
		if st != http.StatusOK || ack != step.ack {
			t.Fatalf("step %d %v: status %d ack %d (%s), want ack %d", i, step.seqs, st, ack, body, step.ack)
		}
	}
	// The card is seen at v1 by a (seq 8) and at v2 by b.
	r8 := records(8)
	r8[0].CardID = card.CardID
	if st, ack, body := a.post(t, gz(t, a.batch(r8))); st != http.StatusOK || ack != 8 {
		t.Fatalf("post card check-in: %d %d %s", st, ack, body)
	}
	rb := records(1)
	rb[0].CardID = card.CardID
	if st, _, body := b.post(t, gz(t, b.batch(rb))); st != http.StatusOK {
		t.Fatalf("b post: %d %s", st, body)
	}

	// Bundle, ETag, 304.
	st, body, etag := a.bundle(t, "")
	if st != http.StatusOK || etag == "" {
		t.Fatalf("bundle: %d etag %q %s", st, etag, body)
	}
	bun, err := wire.OpenBundle(body, c.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	pinned := []ed25519.PublicKey{c.PublicKey()}
	tl, err := idcode.OpenTrustList(bun.TrustList, pinned)
	if err != nil || len(tl.Issuers) != 1 || tl.Issuers[0].ID != "city" || !tl.Issuers[0].PublicKey.Equal(city.PublicKey) {
		t.Fatalf("trust list %+v, %v", tl, err)
	}
	rl, err := idcode.OpenRevocations(bun.Revocations, pinned)
	if err != nil || len(rl.CardIDs) != 0 {
		t.Fatalf("revocations %+v, %v", rl, err)
	}
	if bun.Venue != "v1" || bun.Device != a.id || bun.Policy.Mode != wire.ModeVerify || time.Since(bun.ServerTime).Abs() > time.Minute || `"`+bun.Revision+`"` != etag {
		t.Fatalf("bundle %+v", bun)
	}
	if st, body, etag2 := a.bundle(t, etag); st != http.StatusNotModified || len(body) != 0 || etag2 != etag {
		t.Fatalf("If-None-Match: %d %q etag %q", st, body, etag2)
	}
	req := b.request(t, "GET", "/v1/devices/"+a.id+"/bundle", nil, time.Now())
	if st, body, _ := b.send(t, req); st != http.StatusForbidden {
		t.Fatalf("b fetching a's bundle: %d %s", st, body)
	}

	// Revocation reaches the bundle at once.
	c.RevokeCard(t, card.CardID)
	st, body, etag3 := a.bundle(t, etag)
	if st != http.StatusOK || etag3 == etag {
		t.Fatalf("after revocation: %d etag %q (was %q)", st, etag3, etag)
	}
	bun, err = wire.OpenBundle(body, c.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	rl, err = idcode.OpenRevocations(bun.Revocations, pinned)
	if err != nil || !slices.Contains(rl.CardIDs, card.CardID) {
		t.Fatalf("revocations after revoke: %+v, %v", rl, err)
	}
	if st, _, _ := a.bundle(t, etag3); st != http.StatusNotModified {
		t.Fatalf("new etag not cached: %d", st)
	}

	// Queries.
	from := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	to := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	var vs []collector.Visit
	if st := c.Admin(t, "GET", "/v1/admin/venues/v1/visits?from="+from+"&to="+to, nil, &vs); st != http.StatusOK || len(vs) != 8 {
		t.Fatalf("venue visits: %d, %d rows", st, len(vs))
	}
	for i, v := range vs {
		if v.Seq != uint64(i+1) || v.Venue != "v1" || v.Device != a.id {
			t.Fatalf("visit %d: %+v", i, v)
		}
	}
	if st := c.Admin(t, "GET", "/v1/admin/cards/"+card.CardID+"/visits?from="+from+"&to="+to, nil, &vs); st != http.StatusOK || len(vs) != 2 {
		t.Fatalf("card visits: %d, %d rows", st, len(vs))
	}
	venues := []string{vs[0].Venue, vs[1].Venue}
	slices.Sort(venues)
	if !slices.Equal(venues, []string{"v1", "v2"}) {
		t.Fatalf("card seen at %v", venues)
	}
	resp := adminGet(t, c, "/v1/admin/cards/"+card.CardID+"/visits?format=csv&from="+from+"&to="+to)
	// Excel on Chinese Windows reads a CSV without a UTF-8 BOM as GBK.
	csvText, ok := strings.CutPrefix(resp, "\xef\xbb\xbf")
	if !ok {
		t.Fatalf("csv does not start with a UTF-8 BOM: %q", resp[:min(len(resp), 8)])
	}
	rows, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
	if err != nil || len(rows) != 3 || !slices.Equal(rows[0], collector.VisitCSVHeader) || rows[1][7] != card.CardID || rows[1][9] != "王*英" {
		t.Fatalf("csv %q, %v", resp, err)
	}
	if st := c.Admin(t, "GET", "/v1/admin/venues/v1/visits?from=yesterday&to="+to, nil, nil); st != http.StatusBadRequest {
		t.Fatalf("bad from: %d", st)
	}
	// The admin API refuses a wrong token.
	req, _ = http.NewRequest("GET", c.URL+"/v1/admin/issuers", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	if st, _, _ := a.send(t, req); st != http.StatusUnauthorized {
		t.Fatalf("wrong admin token: %d", st)
	}
}

func adminGet(t *testing.T, c *collectortest.Collector, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", c.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+collectortest.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, buf.String())
	}
	return buf.String()
}

// TestRefusals sends bad requests; each gets a 4xx JSON error and nothing
// is stored.
func TestRefusals(t *testing.T) {
	c := collectortest.Start(t, collectortest.Options{})
	c.CreateVenue(t, "v1")
	a := mustEnroll(t, c, "v1")
	other := mustEnroll(t, c, "v1")
	if st, ack, _ := a.post(t, gz(t, a.batch(records(1, 2)))); st != http.StatusOK || ack != 2 {
		t.Fatalf("setup post: %d %d", st, ack)
	}
	good := gz(t, a.batch(records(3)))
	plain, _ := json.Marshal(a.batch(records(3)))
	bomb := gzipBytes(bytes.Repeat([]byte("{"), 4<<20))
	unknown := gzipBytes(bytes.Replace(plain, []byte(`"device"`), []byte(`"admin":true,"device"`), 1))
	var many []uint64
	for s := uint64(3); s <= 3+wire.MaxBatchRecords; s++ {
		many = append(many, s)
	}
	tooMany, _ := json.Marshal(a.batch(records(many...)))

	replayed := a.request(t, "POST", "/v1/checkins", good, time.Now())
	replayed.Header.Set("Content-Encoding", "gzip")
	if st, _, _ := a.send(t, replayed); st != http.StatusOK {
		t.Fatalf("first send of the replayed request: %d", st)
	}
	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"gzip bomb", func() *http.Request { return gzReq(t, a, bomb, time.Now()) }, http.StatusRequestEntityTooLarge},
		{"oversize", func() *http.Request {
			return gzReq(t, a, bytes.Repeat([]byte{7}, wire.MaxCompressedBatchBytes+10), time.Now())
		}, http.StatusRequestEntityTooLarge},
		{"too many records", func() *http.Request { return gzReq(t, a, gzipBytes(tooMany), time.Now()) }, http.StatusRequestEntityTooLarge},
		{"unknown field", func() *http.Request { return gzReq(t, a, unknown, time.Now()) }, http.StatusBadRequest},
		{"not json", func() *http.Request { return gzReq(t, a, gzipBytes([]byte("seq=4")), time.Now()) }, http.StatusBadRequest},
		{"wrong device", func() *http.Request {
			return gzReq(t, other, gz(t, wire.CheckinBatch{Version: wire.Version, Device: a.id, Records: records(4)}), time.Now())
		}, http.StatusForbidden},
		{"bad signature", func() *http.Request {
			r := gzReq(t, a, gz(t, a.batch(records(4))), time.Now())
			r.Header.Set(wire.HeaderSignature, other.request(t, "POST", "/v1/checkins", nil, time.Now()).Header.Get(wire.HeaderSignature))
			return r
		}, http.StatusUnauthorized},
		{"body changed after signing", func() *http.Request {
			r := gzReq(t, a, gz(t, a.batch(records(4))), time.Now())
			body := gz(t, a.batch(records(5)))
			r.Body, r.ContentLength = ioNopCloser(body), int64(len(body))
			return r
		}, http.StatusUnauthorized},
		{"signed by another device's key", func() *http.Request {
			impostor := &testDevice{id: a.id, key: other.key, url: c.URL}
			return gzReq(t, impostor, gz(t, a.batch(records(4))), time.Now())
		}, http.StatusUnauthorized},
		{"replayed nonce", func() *http.Request {
			r := gzReq(t, a, good, time.Now())
			for _, h := range []string{wire.HeaderTime, wire.HeaderNonce, wire.HeaderSignature} {
				r.Header.Set(h, replayed.Header.Get(h))
			}
			return r
		}, http.StatusUnauthorized},
		{"stale timestamp", func() *http.Request { return gzReq(t, a, gz(t, a.batch(records(4))), time.Now().Add(-10*time.Minute)) }, http.StatusUnauthorized},
		{"future timestamp", func() *http.Request { return gzReq(t, a, gz(t, a.batch(records(4))), time.Now().Add(10*time.Minute)) }, http.StatusUnauthorized},
		{"no auth", func() *http.Request {
			r, _ := http.NewRequest("POST", c.URL+"/v1/checkins", bytes.NewReader(good))
			return r
		}, http.StatusUnauthorized},
		{"unknown device", func() *http.Request {
			ghost := &testDevice{id: "dev-ghost", key: newKey(t), url: c.URL}
			return gzReq(t, ghost, gz(t, wire.CheckinBatch{Version: wire.Version, Device: "dev-ghost", Records: records(4)}), time.Now())
		}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body, h := a.send(t, tc.req())
			if st != tc.status {
				t.Fatalf("status %d, want %d: %s", st, tc.status, body)
			}
			var e wire.Error
			if err := json.Unmarshal(body, &e); err != nil || e.Code == "" || e.Message == "" || h.Get("Content-Type") != "application/json" {
				t.Fatalf("error body %q: %v", body, err)
			}
			d, err := c.Backend.Device(t.Context(), a.id)
			if err != nil || d.AckSeq != 3 {
				t.Fatalf("ack changed to %d", d.AckSeq)
			}
			vs, _ := c.Backend.VisitsAtVenue(t.Context(), "v1", time.Now().Add(-24*time.Hour), time.Now().Add(time.Hour))
			if len(vs) != 3 {
				t.Fatalf("%d check-ins stored, want 3", len(vs))
			}
		})
	}
}

func gzReq(t testing.TB, d *testDevice, body []byte, at time.Time) *http.Request {
	r := d.request(t, "POST", "/v1/checkins", body, at)
	r.Header.Set("Content-Encoding", "gzip")
	return r
}

func TestClockCorrection(t *testing.T) {
	c := collectortest.Start(t, collectortest.Options{})
	c.CreateVenue(t, "v1")
	a := mustEnroll(t, c, "v1")
	// The device booted 100 s ago with its clock in 1970; record 1 was made
	// at mono 40 s, unsynced. The batch is sent at mono 100 s.
	recs := records(1, 2)
	recs[0].At, recs[0].ClockSynced, recs[0].MonoNS, recs[0].BootID = time.Unix(40, 0).UTC(), false, 40e9, "boot-x"
	// Record 2 is from another boot nobody anchored: left uncorrected.
	recs[1].At, recs[1].ClockSynced, recs[1].BootID = time.Unix(50, 0).UTC(), false, "boot-old"
	b := a.batch(recs)
	b.BootID, b.MonoNS = "boot-x", 100e9
	sent := time.Now()
	if st, ack, body := a.post(t, gz(t, b)); st != http.StatusOK || ack != 2 {
		t.Fatalf("post: %d %d %s", st, ack, body)
	}
	vs, err := c.Backend.VisitsAtVenue(t.Context(), "v1", time.Unix(0, 0), time.Now().Add(time.Hour))
	if err != nil || len(vs) != 2 {
		t.Fatalf("visits %d %v", len(vs), err)
	}
	// Ordered by best known time: the uncorrected 1970 record first.
	old, fixed := vs[0], vs[1]
	want := sent.Add(-60 * time.Second)
	if fixed.CorrectedAt == nil || fixed.CorrectedAt.Sub(want).Abs() > 5*time.Second || !fixed.At.Equal(time.Unix(40, 0)) {
		t.Fatalf("corrected record %+v, want corrected near %v with at kept", fixed, want)
	}
	if old.CorrectedAt != nil || !old.Time.Equal(time.Unix(50, 0)) {
		t.Fatalf("unanchored record corrected: %+v", old)
	}
	// A later batch of the same boot (anchor saved) corrects without a send
	// anchor of its own.
	r3 := records(3)
	r3[0].At, r3[0].ClockSynced, r3[0].MonoNS, r3[0].BootID = time.Unix(70, 0).UTC(), false, 70e9, "boot-x"
	if st, _, body := a.post(t, gz(t, a.batch(r3))); st != http.StatusOK {
		t.Fatalf("post 3: %d %s", st, body)
	}
	vs, _ = c.Backend.VisitsAtVenue(t.Context(), "v1", time.Unix(0, 0), time.Now().Add(time.Hour))
	got := vs[len(vs)-1]
	if got.Seq != 3 || got.CorrectedAt == nil || got.CorrectedAt.Sub(fixed.CorrectedAt.Add(30*time.Second)).Abs() > time.Millisecond {
		t.Fatalf("record 3 = %+v; want corrected 30 s after record 1", got)
	}
}

func TestAdminChangesReachBundle(t *testing.T) {
	c := collectortest.Start(t, collectortest.Options{})
	c.CreateVenue(t, "v1")
	a := mustEnroll(t, c, "v1")
	_, _, etag := a.bundle(t, "")

	p := wire.DefaultPolicy()
	p.Mode, p.Categories = wire.ModeLogOnly, []string{"staff"}
	if st := c.Admin(t, "PUT", "/v1/admin/venues/v1/policy", p, nil); st != http.StatusOK {
		t.Fatalf("set policy: %d", st)
	}
	st, body, etag2 := a.bundle(t, etag)
	if st != http.StatusOK || etag2 == etag {
		t.Fatalf("after policy change: %d %q", st, etag2)
	}
	bun, err := wire.OpenBundle(body, c.PublicKey())
	if err != nil || bun.Policy.Mode != wire.ModeLogOnly || !slices.Equal(bun.Policy.Categories, []string{"staff"}) {
		t.Fatalf("policy in bundle: %+v %v", bun.Policy, err)
	}

	pub, _, _ := ed25519.GenerateKey(nil)
	var is collector.Issuer
	if st := c.Admin(t, "POST", "/v1/admin/issuers", collector.IssuerRequest{ID: "partner", PublicKey: pub, Venues: []string{"v1"}}, &is); st != http.StatusOK || !is.PublicKey.Equal(pub) {
		t.Fatalf("put issuer: %d %+v", st, is)
	}
	_, body, etag3 := a.bundle(t, etag2)
	bun, _ = wire.OpenBundle(body, c.PublicKey())
	tl, err := idcode.OpenTrustList(bun.TrustList, []ed25519.PublicKey{c.PublicKey()})
	if etag3 == etag2 || err != nil || len(tl.Issuers) != 1 || !slices.Equal(tl.Issuers[0].Venues, []string{"v1"}) {
		t.Fatalf("trust list after put: %+v %v", tl, err)
	}
	// The collector cannot issue cards for an issuer whose key it lacks.
	if st := c.Admin(t, "POST", "/v1/admin/cards", collector.CardRequest{Issuer: "partner", Holder: "h", Name: "Anna Li", Category: "elder"}, nil); st != http.StatusBadRequest {
		t.Fatalf("card for external issuer: %d", st)
	}
	if st := c.Admin(t, "DELETE", "/v1/admin/issuers/partner", nil, nil); st != http.StatusNoContent {
		t.Fatalf("delete issuer: %d", st)
	}
	if st, _, etag4 := a.bundle(t, etag3); st != http.StatusOK || etag4 == etag3 {
		t.Fatalf("after delete: %d", st)
	}

	// Admin bodies are strict and bounded; ids are checked.
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"POST", "/v1/admin/venues", map[string]any{"id": "v9", "evil": 1}, http.StatusBadRequest},
		{"POST", "/v1/admin/venues", map[string]any{"id": "../etc"}, http.StatusBadRequest},
		{"POST", "/v1/admin/venues", map[string]any{"id": "v1"}, http.StatusConflict},
		{"POST", "/v1/admin/venues", map[string]any{"id": "v9", "name": strings.Repeat("x", wire.MaxSmallBody)}, http.StatusRequestEntityTooLarge},
		{"PUT", "/v1/admin/venues/v1/policy", map[string]any{"mode": "open-door"}, http.StatusBadRequest},
		{"PUT", "/v1/admin/venues/nope/policy", wire.DefaultPolicy(), http.StatusNotFound},
		{"POST", "/v1/admin/venues/nope/enroll-tokens", map[string]any{}, http.StatusNotFound},
		{"POST", "/v1/admin/devices/nope/revoke", nil, http.StatusNotFound},
		{"POST", "/v1/admin/cards/not-hex/revoke", nil, http.StatusBadRequest},
		{"POST", "/v1/admin/issuers", map[string]any{"id": "x", "public_key": "AAAA"}, http.StatusBadRequest},
		{"GET", "/v1/admin/venues/v1/visits?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", nil, http.StatusBadRequest},
		{"GET", "/v1/admin/venues/v1/visits?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&format=xml", nil, http.StatusBadRequest},
		{"GET", "/v1/nothing", nil, http.StatusNotFound},
	} {
		if st := c.Admin(t, tc.method, tc.path, tc.body, nil); st != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, st, tc.status)
		}
	}
}

// TestListsReissued checks that the lists are re-dated every quarter of
// their validity even without a change, with a new ETag and a higher
// version, so an online device never holds lists near expiry.
func TestListsReissued(t *testing.T) {
	now := time.Now().UTC()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := collectortest.Start(t, collectortest.Options{Now: clock})
	c.CreateVenue(t, "v1")
	a := mustEnroll(t, c, "v1")
	get := func(at time.Time) (string, *idcode.TrustList) {
		t.Helper()
		mu.Lock()
		now = at
		mu.Unlock()
		req := a.request(t, "GET", "/v1/devices/"+a.id+"/bundle", nil, at)
		st, body, h := a.send(t, req)
		if st != http.StatusOK {
			t.Fatalf("bundle at %v: %d %s", at, st, body)
		}
		bun, err := wire.OpenBundle(body, c.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		tl, err := idcode.OpenTrustList(bun.TrustList, []ed25519.PublicKey{c.PublicKey()})
		if err != nil {
			t.Fatal(err)
		}
		return h.Get("ETag"), tl
	}
	// Just after the start of a 7.5-day epoch (a quarter of the default 30
	// days), so an hour later is the same epoch.
	epochLen := int64(30 * 24 * time.Hour / 4)
	start := time.Unix(0, now.UnixNano()/epochLen*epochLen).Add(time.Minute)
	e1, l1 := get(start)
	e2, l2 := get(start.Add(time.Hour))
	if e1 != e2 || l1.Version != l2.Version {
		t.Fatalf("re-issued within an epoch: %s/%d vs %s/%d", e1, l1.Version, e2, l2.Version)
	}
	e3, l3 := get(start.Add(8 * 24 * time.Hour))
	if e3 == e1 || l3.Version <= l1.Version || !l3.IssuedAt.After(l1.IssuedAt) || !l3.Expires.After(start.Add(31*24*time.Hour)) {
		t.Fatalf("after 8 days: etag %s (was %s), list %+v (was %+v)", e3, e1, l3, l1)
	}
}
