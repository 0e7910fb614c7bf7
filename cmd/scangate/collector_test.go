package main

import (
	"bytes"
	"context"
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
	dir := t.TempDir()
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
