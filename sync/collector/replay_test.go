package collector_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/pgtest"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
	"github.com/scangate/scangate/sync/wire"
)

// capturedRequest is a signed request as it crossed the network, to be
// sent again byte for byte to another collector.
type capturedRequest struct {
	method, path string
	header       http.Header
	body         []byte
}

func capture(r *http.Request, body []byte) capturedRequest {
	return capturedRequest{method: r.Method, path: r.URL.RequestURI(), header: r.Header.Clone(), body: body}
}

func (c capturedRequest) sendTo(t *testing.T, baseURL string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(c.method, baseURL+c.path, bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = c.header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// replayTrio sends a signed enrollment, batch and bundle request to first
// and returns them captured. The enrollment token is made on first.
func replayTrio(t *testing.T, first *collectortest.Collector) []capturedRequest {
	t.Helper()
	first.CreateVenue(t, "v1")
	key := newKey(t)
	enrollBody, _ := json.Marshal(wire.Enroll{Version: wire.Version, Token: first.EnrollToken(t, "v1"), PublicKey: key.Public().(ed25519.PublicKey)})
	anon := &testDevice{key: key, url: first.URL}
	er := anon.request(t, "POST", "/v1/enroll", enrollBody, time.Now())
	enrollReq := capture(er, enrollBody)
	st, b := enrollReq.sendTo(t, first.URL)
	if st != http.StatusOK {
		t.Fatalf("enroll: %d %s", st, b)
	}
	var resp wire.EnrollResp
	json.Unmarshal(b, &resp)
	d := &testDevice{id: resp.DeviceID, key: key, url: first.URL}
	body := gz(t, d.batch(records(1, 2)))
	batchReq := capture(gzReq(t, d, body, time.Now()), body)
	if st, b := batchReq.sendTo(t, first.URL); st != http.StatusOK {
		t.Fatalf("batch: %d %s", st, b)
	}
	bundleReq := capture(d.request(t, "GET", "/v1/devices/"+d.id+"/bundle", nil, time.Now()), nil)
	if st, b := bundleReq.sendTo(t, first.URL); st != http.StatusOK {
		t.Fatalf("bundle: %d %s", st, b)
	}
	return []capturedRequest{enrollReq, batchReq, bundleReq}
}

func expectReplaysRefused(t *testing.T, reqs []capturedRequest, to *collectortest.Collector) {
	t.Helper()
	for _, r := range reqs {
		st, b := r.sendTo(t, to.URL)
		var e wire.Error
		json.Unmarshal(b, &e)
		if st != http.StatusUnauthorized || e.Code != wire.CodeUnauthorized {
			t.Errorf("replayed %s %s: %d %s; want 401 unauthorized", r.method, r.path, st, b)
		}
	}
	if m := to.Server.Metrics(); m.ReplaysRefused != uint64(len(reqs)) {
		t.Errorf("replays refused counted %d, want %d", m.ReplaysRefused, len(reqs))
	}
}

// TestReplayAfterRestartSQLite: a signed enrollment, batch and bundle
// request replayed to the collector after a restart (a new process: an
// empty in-memory cache) are refused from the database's nonces.
func TestReplayAfterRestartSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "collector.db")
	key := newKey(t)
	be, err := collector.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	first := collectortest.Start(t, collectortest.Options{Backend: be, Key: key})
	reqs := replayTrio(t, first)
	first.HTTP.Close()
	be.Close()
	be, err = collector.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	restarted := collectortest.Start(t, collectortest.Options{Backend: be, Key: key})
	expectReplaysRefused(t, reqs, restarted)
}

// TestReplayAfterRestartPostgres is the same on PostgreSQL.
func TestReplayAfterRestartPostgres(t *testing.T) {
	dsn := pgtest.SchemaDSN(t)
	key := newKey(t)
	be, err := collector.OpenPostgres(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	first := collectortest.Start(t, collectortest.Options{Backend: be, Key: key})
	reqs := replayTrio(t, first)
	first.HTTP.Close()
	be.Close()
	be, err = collector.OpenPostgres(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	restarted := collectortest.Start(t, collectortest.Options{Backend: be, Key: key})
	expectReplaysRefused(t, reqs, restarted)
}

// TestReplayToSecondCollector: two collectors on one PostgreSQL (behind a
// load balancer); a request one of them answered, replayed to the other
// within the signature window, is refused.
func TestReplayToSecondCollector(t *testing.T) {
	dsn := pgtest.SchemaDSN(t)
	key := newKey(t)
	open := func() collector.Backend {
		be, err := collector.OpenPostgres(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		return be
	}
	a := collectortest.Start(t, collectortest.Options{Backend: open(), Key: key})
	b := collectortest.Start(t, collectortest.Options{Backend: open(), Key: key})
	reqs := replayTrio(t, a)
	expectReplaysRefused(t, reqs, b)
	// And the first one refuses them too (its memory and the database).
	for _, r := range reqs {
		if st, body := r.sendTo(t, a.URL); st != http.StatusUnauthorized {
			t.Errorf("replayed to the same collector %s %s: %d %s", r.method, r.path, st, body)
		}
	}
}

// TestNoncesSwept: a collector deletes expired nonces (driven by its
// clock, no sleep), and a request whose time left the window is refused
// by the window itself.
func TestNoncesSwept(t *testing.T) {
	start := time.Now()
	now := start
	clock := func() time.Time { return now }
	be := newSQLite(t)
	c := collectortest.Start(t, collectortest.Options{Backend: be, Now: clock})
	c.CreateVenue(t, "v1")
	d := mustEnroll(t, c, "v1")
	body := gz(t, d.batch(records(1)))
	req := gzReq(t, d, body, start)
	sent := capture(req, body)
	key := collector.NonceKey(d.id, req.Header.Get(wire.HeaderNonce))
	if st, b, _ := d.send(t, req); st != http.StatusOK {
		t.Fatalf("post: %d %s", st, b)
	}
	held := func() bool {
		// At the request's own time its nonce is unexpired: ErrReplay
		// while the row is there.
		err := be.UseNonce(t.Context(), key, start.Add(wire.SignatureWindow), start)
		if err != nil && !errors.Is(err, collector.ErrReplay) {
			t.Fatal(err)
		}
		return err != nil
	}
	if !held() {
		t.Fatal("the batch's nonce is not in the database")
	}
	// Ten minutes later the nonce is past its expiry; the next request
	// makes the collector sweep.
	now = start.Add(10 * time.Minute)
	if st, _, _ := d.send(t, d.request(t, "GET", "/v1/devices/"+d.id+"/bundle", nil, now)); st != http.StatusOK {
		t.Fatalf("bundle: %d", st)
	}
	deadline := time.Now().Add(10 * time.Second)
	for held() {
		if time.Now().After(deadline) {
			t.Fatal("the collector did not sweep the expired nonce")
		}
		time.Sleep(5 * time.Millisecond) // the sweep runs on its own goroutine
	}
	// The swept request, replayed, is refused by its time.
	if st, b := sent.sendTo(t, c.URL); st != http.StatusUnauthorized || !bytes.Contains(b, []byte("server time")) {
		t.Fatalf("replay after the sweep: %d %s; want 401 for its time", st, b)
	}
}
