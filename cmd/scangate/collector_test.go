//go:build !kiosk

package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/sync/collector"
)

// startCollector runs `scangate collector` on a free loopback port and
// returns its base URL and a function that stops it and returns its status.
func startCollector(t *testing.T, args ...string) (string, func() int, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	origContext, origListening := collectorContext, collectorListening
	collectorContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	addr := make(chan string, 1)
	collectorListening = func(a string) { addr <- a }
	t.Cleanup(func() { collectorContext, collectorListening = origContext, origListening })
	var out, errb syncBuffer
	status := make(chan int, 1)
	go func() { status <- run(append([]string{"collector", "--listen", "127.0.0.1:0"}, args...), &out, &errb) }()
	select {
	case a := <-addr:
		return "http://" + a, func() int { cancel(); return <-status }, &out
	case st := <-status:
		t.Fatalf("collector exited with %d: %s", st, errb.String())
	case <-time.After(20 * time.Second):
		t.Fatal("collector did not start")
	}
	return "", nil, nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestCollectorCommand(t *testing.T) {
	dir := privateTempDir(t)
	tokenFile := filepath.Join(dir, "admin.token")
	os.WriteFile(tokenFile, []byte("0123456789abcdef-admin\n"), 0o600)
	keyPath := filepath.Join(dir, "collector.key")
	args := []string{"--db", filepath.Join(dir, "c.db"), "--admin-token-file", tokenFile, "--key", keyPath}

	url, stop, out := startCollector(t, args...)
	if !strings.Contains(out.String(), keyPath+".pub") {
		t.Fatalf("public key path not printed: %q", out.String())
	}
	fi, err := os.Stat(keyPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	pemBytes, _ := os.ReadFile(keyPath + ".pub")
	pub1, err := idcode.ParsePublicKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(collector.VenueRequest{ID: "v1", Name: "Hall"})
	req, _ := http.NewRequest("POST", url+"/v1/admin/venues", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer 0123456789abcdef-admin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create venue: %v %v", resp, err)
	}
	resp.Body.Close()
	if st := stop(); st != 0 {
		t.Fatalf("stop: status %d", st)
	}

	// A restart keeps the key and the data.
	url, stop, _ = startCollector(t, args...)
	pemBytes, _ = os.ReadFile(keyPath + ".pub")
	if pub2, _ := idcode.ParsePublicKey(pemBytes); !pub2.Equal(pub1) {
		t.Fatal("collector key changed across restarts")
	}
	req, _ = http.NewRequest("GET", url+"/v1/admin/venues/v1", nil)
	req.Header.Set("Authorization", "Bearer 0123456789abcdef-admin")
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("venue after restart: %v %v", resp, err)
	}
	resp.Body.Close()
	stop()
}

func TestCollectorUsage(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("abc"), 0o600)
	for _, args := range [][]string{
		{"collector"},
		{"collector", "--admin-token-file", filepath.Join(dir, "missing")},
		{"collector", "--admin-token-file", short},
		{"collector", "--admin-token-file", short, "--db", "a", "--postgres", "b"},
		{"collector", "--admin-token-file", short, "--tls-cert", "c"},
		{"collector", "extra"},
	} {
		var out, errb bytes.Buffer
		if st := run(args, &out, &errb); st != 2 {
			t.Errorf("%v: status %d, want 2 (%s)", args, st, errb.String())
		}
	}
}

func TestCollectorAdmin(t *testing.T) {
	dir := privateTempDir(t)
	tokenFile := filepath.Join(dir, "admin.token")
	os.WriteFile(tokenFile, []byte("0123456789abcdef-admin\n"), 0o600)
	url, stop, _ := startCollector(t, "--db", filepath.Join(dir, "c.db"), "--admin-token-file", tokenFile, "--key", filepath.Join(dir, "collector.key"))
	defer stop()
	admin := func(args ...string) (int, string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		st := run(append([]string{"collector", "admin", "--url", url, "--admin-token-file", tokenFile}, args...), &out, &errb)
		return st, out.String(), errb.String()
	}
	if st, out, e := admin("venue-add", "hall-1", "Community hall"); st != 0 || !strings.Contains(out, `"hall-1"`) {
		t.Fatalf("venue-add: %d %q %q", st, out, e)
	}
	if st, _, e := admin("venue-add", "hall-1", "Again"); st != 1 || !strings.Contains(e, "conflict") {
		t.Fatalf("duplicate venue: %d %q, want 1 and the collector's refusal", st, e)
	}
	st, out, e := admin("enroll-token", "hall-1", "--ttl", "1h")
	if tok := strings.TrimSpace(out); st != 0 || strings.ContainsAny(tok, " \n{") || len(tok) < 16 {
		t.Fatalf("enroll-token: %d %q %q; want the token alone", st, out, e)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	pemBytes, _ := idcode.MarshalPublicKey(pub)
	pubFile := filepath.Join(dir, "issuer.pub")
	os.WriteFile(pubFile, pemBytes, 0o644)
	if st, _, e := admin("issuer-add", "centre-7", "--public-key", pubFile, "--venues", "hall-1"); st != 0 {
		t.Fatalf("issuer-add: %d %q", st, e)
	}
	st, out, _ = admin("issuers")
	var issuers []collector.Issuer
	if err := json.Unmarshal([]byte(out), &issuers); st != 0 || err != nil || len(issuers) != 1 || !issuers[0].PublicKey.Equal(pub) || issuers[0].Venues[0] != "hall-1" {
		t.Fatalf("issuers: %d %q %v", st, out, err)
	}
	card := strings.Repeat("ab", 16)
	if st, _, e := admin("card-revoke", card); st != 0 {
		t.Fatalf("card-revoke: %d %q", st, e)
	}
	now := time.Now().UTC()
	st, out, e = admin("venue-visits", "hall-1", "--from", now.Add(-time.Hour).Format(time.RFC3339), "--to", now.Format(time.RFC3339), "--csv")
	if st != 0 || !strings.HasPrefix(out, "\ufefftime,") {
		t.Fatalf("venue-visits --csv: %d %q %q; want a UTF-8 BOM, then the header", st, out, e)
	}
	// Retention, time zone, plain dates, printed numbers, erasure.
	if st, out, e := admin("venue-set", "hall-1", "--retention-days", "180", "--time-zone", "Asia/Shanghai"); st != 0 ||
		!strings.Contains(out, `"retention_days":180`) || !strings.Contains(out, `"time_zone":"Asia/Shanghai"`) {
		t.Fatalf("venue-set: %d %q %q", st, out, e)
	}
	if st, out, e := admin("venue-set", "hall-1", "--retention-days", "0"); st != 0 || !strings.Contains(out, `"time_zone":"Asia/Shanghai"`) {
		t.Fatalf("venue-set, retention only: %d %q %q; the zone must stay", st, out, e)
	}
	if st, _, e := admin("venue-set", "hall-1"); st != 2 || !strings.Contains(e, "--retention-days") {
		t.Fatalf("venue-set without a setting: %d %q", st, e)
	}
	if st, out, e := admin("venue-visits", "hall-1", "--on", now.Format(time.DateOnly)); st != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("venue-visits --on: %d %q %q", st, out, e)
	}
	if st, out, e := admin("card-visits", "76AC-E3FA", "--from", "2026-01-01", "--to", "2026-12-31", "--tz", "Asia/Shanghai"); st != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("card-visits by number: %d %q %q", st, out, e)
	}
	if st, _, e := admin("card-visits", "76AC-E3FX", "--on", "2026-12-03"); st != 1 || !strings.Contains(e, "number printed on the card") {
		t.Fatalf("card-visits of a malformed number: %d %q; want 1 and what is wanted", st, e)
	}
	if st, _, e := admin("venue-visits", "hall-1", "--on", "03/12/2026"); st != 1 || !strings.Contains(e, "2026-12-03") {
		t.Fatalf("venue-visits of a malformed date: %d %q", st, e)
	}
	if st, _, e := admin("erase-card", "76AC-E3FA"); st != 2 || !strings.Contains(e, "who asked") {
		t.Fatalf("erase-card without --by: %d %q", st, e)
	}
	if st, _, e := admin("erase-card", "76AC-E3FA", "--by", "desk"); st != 1 || !strings.Contains(e, "no card numbered 76AC-E3FA") {
		t.Fatalf("erase-card of an unknown number: %d %q", st, e)
	}
	if st, out, e := admin("erase-holder", "h-42", "--by", "desk"); st != 0 || !strings.Contains(out, `"checkins":0`) || !strings.Contains(out, `"subject_sha256"`) {
		t.Fatalf("erase-holder: %d %q %q", st, out, e)
	}
	if st, out, e := admin("erasures"); st != 0 || !strings.Contains(out, `"actor":"desk"`) || strings.Contains(out, "h-42") {
		t.Fatalf("erasures: %d %q %q; want the audit without the holder id", st, out, e)
	}
	if st, out, e := admin("purge"); st != 0 || !strings.HasPrefix(strings.TrimSpace(out), "[") {
		t.Fatalf("purge: %d %q %q", st, out, e)
	}
	if st, out, e := admin("metrics"); st != 0 || !strings.Contains(out, `"conflicts":0`) || !strings.Contains(out, `"replays_refused"`) {
		t.Fatalf("metrics: %d %q %q", st, out, e)
	}
	if st, _, e := admin("device", "dev-nope"); st != 1 || !strings.Contains(e, "not_found") {
		t.Fatalf("device of an unknown id: %d %q, want 1 and not_found", st, e)
	}
	if st, out, e := admin("device-conflicts", "dev-nope"); st != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("device-conflicts: %d %q %q", st, out, e)
	}
	for _, args := range [][]string{
		{},
		{"no-such-verb"},
		{"device"},
		{"venue-add", "only-id"},
		{"venue-visits", "hall-1"},
		{"venue-visits", "hall-1", "--on", "2026-12-03", "--from", "2026-12-01", "--to", "2026-12-02"},
		{"issuer-add", "x", "--public-key", filepath.Join(dir, "missing.pub")},
	} {
		if st, _, e := admin(args...); st != 2 {
			t.Errorf("%v: status %d, want 2 (%s)", args, st, e)
		}
	}
	var out2, errb bytes.Buffer
	if st := run([]string{"collector", "admin", "--url", url, "--admin-token-file", filepath.Join(dir, "missing"), "issuers"}, &out2, &errb); st != 2 {
		t.Errorf("missing token file: status %d, want 2", st)
	}
	os.WriteFile(filepath.Join(dir, "wrong.token"), []byte("wrong-token-0123456789"), 0o600)
	if st := run([]string{"collector", "admin", "--url", url, "--admin-token-file", filepath.Join(dir, "wrong.token"), "issuers"}, &out2, &errb); st != 1 {
		t.Errorf("wrong token: status %d, want 1", st)
	}
}
