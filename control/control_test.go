package control

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), SocketName)
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return path
}

func TestStatusAndPresentOverSocket(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, 200, Status{Version: "v1", Store: StoreStatus{OutboxDepth: 3}})
	})
	mux.HandleFunc("POST /v1/present", func(w http.ResponseWriter, r *http.Request) {
		var req PresentRequest
		if err := DecodeRequest(r, &req); err != nil {
			WriteError(w, 400, "%v", err)
			return
		}
		if req.Text == "" {
			WriteError(w, 409, "no simulated scanner")
			return
		}
		WriteJSON(w, 200, PresentResult{Decision: "pass", Reason: "pass", LatencyMS: 1.5})
	})
	path := serve(t, mux)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode: %v %v", fi.Mode(), err)
	}
	c := NewClient(path)
	ctx := context.Background()
	s, err := c.Status(ctx)
	if err != nil || s.Version != "v1" || s.Store.OutboxDepth != 3 {
		t.Fatalf("Status = %+v, %v", s, err)
	}
	res, err := c.Present(ctx, PresentRequest{Text: "SG1:X", Hold: time.Second})
	if err != nil || res.Decision != "pass" || res.LatencyMS != 1.5 {
		t.Fatalf("Present = %+v, %v", res, err)
	}
	if _, err := c.Present(ctx, PresentRequest{}); err == nil || !strings.Contains(err.Error(), "no simulated scanner") {
		t.Fatalf("error body not surfaced: %v", err)
	}
	// A second kiosk on the same data directory is refused, not silently
	// stealing the socket.
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), "another kiosk") {
		t.Fatalf("second Listen: %v", err)
	}
}

func TestClientWithoutDaemon(t *testing.T) {
	c := NewClient(filepath.Join(t.TempDir(), SocketName))
	_, err := c.Status(context.Background())
	if err == nil || !strings.Contains(err.Error(), "is scangated running?") {
		t.Fatalf("err = %v", err)
	}
}

func TestStaleSocketReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), SocketName)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"text":"SG1:ABC","hold":1000000000}`))
	f.Add([]byte(`{"image":"iVBORw0KGgo="}`))
	f.Add([]byte(`{"text":1}`))
	f.Add([]byte(`{"text":"a"} {}`))
	f.Add([]byte(`{"unknown":true}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/v1/present", bytes.NewReader(body))
		var req PresentRequest
		if err := DecodeRequest(r, &req); err != nil && !strings.HasPrefix(err.Error(), "bad request body") {
			t.Fatalf("unwrapped error %v", err)
		}
	})
}
