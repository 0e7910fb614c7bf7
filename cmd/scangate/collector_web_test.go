//go:build !kiosk

package main

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scangate/scangate/cards"
	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/internal/promtest"
	"github.com/scangate/scangate/registry"
	"github.com/scangate/scangate/sync/collector"
)

// TestCollectorWebPages: `scangate collector` serves the web pages beside
// the API on one listener; user-create makes the first administrator;
// card-issue --out prints the card the collector signed.
func TestCollectorWebPages(t *testing.T) {
	f := newCollectorFiles(t)
	url, stop, _ := startCollector(t, f.args("--kek-file", f.kek)...)
	defer stop()
	// /metrics is the collector's, not a web page.
	if f := promtest.Scrape(t, url+"/metrics"); len(f["scangate_collector_batches_total"].GetMetric()) != 1 {
		t.Fatalf("/metrics of the command: no scangate_collector_batches_total in %d families", len(f))
	}
	admin := func(args ...string) (int, string) {
		t.Helper()
		var out, errb bytes.Buffer
		st := run(append([]string{"collector", "admin", "--url", url, "--admin-token-file", f.token}, args...), &out, &errb)
		return st, out.String() + errb.String()
	}
	if st, o := admin("issuer-add", "city", "--name", "鼓楼区社区中心"); st != 0 {
		t.Fatalf("issuer-add: %d %s", st, o)
	}
	pdf := filepath.Join(f.dir, "wang.pdf")
	if st, o := admin("card-issue", "city", "h-1", "--name", "王秀英", "--category", "elder", "--out", pdf); st != 0 || !strings.Contains(o, "SG2:") {
		t.Fatalf("card-issue --out pdf: %d %s", st, o)
	}
	if b, _ := os.ReadFile(pdf); !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("%s is not a PDF", pdf)
	}
	pngPath := filepath.Join(f.dir, "wang.png")
	if st, o := admin("card-issue", "city", "h-1", "--name", "王秀英", "--category", "elder", "--out", pngPath); st != 0 {
		t.Fatalf("card-issue --out png: %d %s", st, o)
	}
	b, _ := os.ReadFile(pngPath)
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() != cards.WidthPx {
		t.Fatalf("card PNG: %v", err)
	}
	if st, o := admin("card-issue", "city", "h-1", "--name", "王秀英", "--category", "elder", "--out", filepath.Join(f.dir, "x.txt")); st != 2 {
		t.Fatalf("card-issue --out x.txt: %d %s, want 2", st, o)
	}

	pw := filepath.Join(f.dir, "pw")
	os.WriteFile(pw, []byte("first admin password\n"), 0o600)
	create := func(login string) (int, string) {
		var out, errb bytes.Buffer
		st := run([]string{"collector", "admin", "user-create", login, "--db", f.db, "--password-file", pw}, &out, &errb)
		return st, out.String() + errb.String()
	}
	if st, o := create("admin"); st != 0 || !strings.Contains(o, " admin admin") {
		t.Fatalf("user-create: %d %s", st, o)
	}
	if st, o := create("admin"); st != 1 || !strings.Contains(o, "already exists") {
		t.Fatalf("user-create twice: %d %s, want 1", st, o)
	}
	be, err := collector.OpenSQLite(f.db)
	if err != nil {
		t.Fatal(err)
	}
	st, err := registry.OpenSQLite(context.Background(), be.DB(), clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	if _, u, err := st.Login(context.Background(), "admin", "first admin password", "test", 60e9); err != nil || u.Role != registry.RoleAdmin {
		t.Fatalf("first administrator cannot sign in: %v", err)
	}
	be.Close()

	resp, err := http.Get(url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "登录") {
		t.Fatalf("GET /login: %d", resp.StatusCode)
	}
	resp, err = http.Get(url + "/v1/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("the API behind the pages: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
