package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scangate/scangate/control"
)

func TestSelfTestDecisions(t *testing.T) {
	if err := selfTestDecisions(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// fakeKiosk serves status on a real unix socket in dir; each status read
// advances the camera's frame count by step.
func fakeKiosk(t *testing.T, dir string, health string, step uint64) {
	t.Helper()
	var frames atomic.Uint64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		n := frames.Add(step)
		control.WriteJSON(w, 200, control.Status{Ready: true, Store: control.StoreStatus{Health: health},
			Sources: []control.SourceStatus{{Name: "camera0", Kind: "camera", State: "streaming", Frames: n}}})
	})
	l, err := control.Listen(filepath.Join(dir, control.SocketName))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
}

func TestSelftestAgainstKiosk(t *testing.T) {
	for _, tc := range []struct {
		name   string
		health string
		step   uint64
		code   int
		want   string
	}{
		{"proven", "ok", 30, 0, "camera frames arriving"},
		{"camera stalled", "ok", 0, 1, "camera camera0: no frames arriving"},
		{"store read-only", "read_only", 30, 1, "store read_only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fakeKiosk(t, dir, tc.health, tc.step)
			var out, errOut bytes.Buffer
			code := runSelftest([]string{"--data", dir, "--wait", "0s", "--window", "10ms"}, &out, &errOut)
			if code != tc.code || !strings.Contains(out.String()+errOut.String(), tc.want) {
				t.Fatalf("exit %d, want %d; output %q %q, want %q", code, tc.code, out.String(), errOut.String(), tc.want)
			}
		})
	}
}

func TestSelftestNoKiosk(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := runSelftest([]string{"--data", t.TempDir(), "--wait", "0s"}, &out, &errOut); code != 1 {
		t.Fatalf("exit %d without a kiosk, want 1 (%s)", code, errOut.String())
	}
}
