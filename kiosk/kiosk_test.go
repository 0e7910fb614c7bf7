package kiosk

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/cards"
	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/store"
)

// issuer is a test issuer with its trust files on disk.
type issuer struct {
	key       ed25519.PrivateKey
	trustPath string
	revPath   string
}

func newIssuer(t testing.TB, dir string, revoked ...string) *issuer {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	tl, err := idcode.SignTrustList(idcode.TrustList{Version: 1, IssuedAt: now.Add(-time.Hour), Expires: now.AddDate(1, 0, 0),
		Issuers: []idcode.Issuer{{ID: "lib", PublicKey: key.Public().(ed25519.PublicKey)}}}, key)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := idcode.SignRevocations(idcode.RevocationList{Version: 1, IssuedAt: now.Add(-time.Hour), Expires: now.AddDate(1, 0, 0), CardIDs: revoked}, key)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: key, trustPath: filepath.Join(dir, "trust.json"), revPath: filepath.Join(dir, "revocations.json")}
	if err := os.WriteFile(is.trustPath, tl, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(is.revPath, rl, 0o644); err != nil {
		t.Fatal(err)
	}
	return is
}

func (is *issuer) card(t testing.TB, name, category string, expires time.Time) (text, id string) {
	t.Helper()
	cid, err := idcode.NewCardID()
	if err != nil {
		t.Fatal(err)
	}
	c := idcode.Claims{Issuer: "lib", Subject: "h", IssuedAt: time.Now().Add(-time.Hour).Truncate(time.Second),
		Expires: expires.Truncate(time.Second), CardID: cid, Name: idcode.MaskName(name), Category: category}
	text, err = idcode.Sign(c, is.key)
	if err != nil {
		t.Fatal(err)
	}
	return text, (&idcode.Card{Claims: c}).CardIDHex()
}

// cardPNG prints the card as `scangate issue` would.
func cardPNG(t testing.TB, name, category, text string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := cards.WritePNG(&buf, cards.Card{Name: name, Category: category, IssuerID: "lib", IssuerName: "lib",
		Expires: time.Now().AddDate(1, 0, 0), Number: "0000-0000", QRText: text}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type running struct {
	k      *Kiosk
	client *control.Client
	cancel context.CancelFunc
	done   chan error
	term   *syncBuffer
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

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func start(t testing.TB, dataDir string, cfg config.Config, trustFile string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1), term: &syncBuffer{}}
	ready := make(chan *Kiosk, 1)
	go func() {
		r.done <- Run(ctx, Options{Config: cfg, DataDir: dataDir, Sim: true, TrustFile: trustFile,
			Terminal: r.term, Logger: quiet(), Ready: func(k *Kiosk) { ready <- k }})
	}()
	select {
	case r.k = <-ready:
	case err := <-r.done:
		t.Fatalf("kiosk did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("kiosk not ready within 10 s")
	}
	r.client = control.NewClient(filepath.Join(dataDir, control.SocketName))
	t.Cleanup(r.stop)
	return r
}

func (r *running) stop() {
	r.cancel()
	<-r.done
	r.done <- nil // later stops return at once
}

func (r *running) present(t testing.TB, req control.PresentRequest) control.PresentResult {
	t.Helper()
	if req.Hold == 0 {
		req.Hold = 300 * time.Millisecond
	}
	res, err := r.client.Present(context.Background(), req)
	if err != nil {
		t.Fatalf("present: %v", err)
	}
	return res
}

func TestSimulatedKioskAtTheDoor(t *testing.T) {
	dir := t.TempDir()
	is := newIssuer(t, t.TempDir())
	revokedText, revokedID := is.card(t, "张伟", "companion", time.Now().AddDate(1, 0, 0))
	is = newIssuerWithRevoked(t, is, revokedID)
	valid, _ := is.card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	expired, _ := is.card(t, "李明", "child", time.Now().Add(-time.Minute))
	forger := newIssuer(t, t.TempDir())
	forged, _ := forger.card(t, "赵强", "elder", time.Now().AddDate(1, 0, 0))

	r := start(t, dir, config.Default(), is.trustPath)
	for _, tc := range []struct {
		name, text, decision, reason string
		image                        bool
	}{
		{"valid card on camera", valid, "pass", "pass", true},
		{"expired card on camera", expired, "fail", "expired", true},
		{"revoked card on camera", revokedText, "fail", "revoked", true},
		{"forged card on camera", forged, "fail", "unknown_issuer", true},
		{"valid card again by serial", valid, "already", "already_checked_in", false},
		{"not a scangate code", "https://example.org/menu", "fail", "malformed", false},
	} {
		req := control.PresentRequest{Text: tc.text}
		if tc.image {
			req = control.PresentRequest{Image: cardPNG(t, "王秀英", "elder", tc.text)}
		}
		res := r.present(t, req)
		if res.Decision != tc.decision || res.Reason != tc.reason {
			t.Errorf("%s: got %s/%s, want %s/%s", tc.name, res.Decision, res.Reason, tc.decision, tc.reason)
		}
		time.Sleep(600 * time.Millisecond) // the card leaves the view and the reader re-arms
	}

	st, err := r.client.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Ready || !st.Sim || st.Store.Health != "ok" || st.Store.Checkins != 6 || st.Trust.ListVersion != 1 || st.Trust.RevocationVersion != 2 || st.Trust.Stale {
		t.Errorf("status: %+v", st)
	}
	if len(st.Last) != 6 || st.Last[0].Name != "王*英" {
		t.Errorf("last decisions: %+v", st.Last)
	}
	for _, d := range st.Last {
		if strings.Contains(d.Name, "秀") {
			t.Errorf("status shows an unmasked name: %q", d.Name)
		}
	}
	// The door showed it: green light and the Chinese welcome on the screen.
	if out := r.term.String(); !strings.Contains(out, "请通行") || !strings.Contains(out, "已过期") {
		t.Errorf("terminal feedback lacks the texts:\n%s", out)
	}

	// Shutdown drains and closes the database; every decision is on disk.
	r.stop()
	sto, err := store.Open(filepath.Join(dir, DBName), store.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer sto.Close()
	ob, err := sto.OutboxStats(context.Background())
	if err != nil || ob.Depth != 6 || ob.LastSeq != 6 {
		t.Fatalf("outbox after restart: %+v %v", ob, err)
	}
	if _, err := os.Stat(filepath.Join(dir, control.SocketName)); !os.IsNotExist(err) {
		t.Errorf("control socket left behind: %v", err)
	}
}

func newIssuerWithRevoked(t testing.TB, is *issuer, revoked ...string) *issuer {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	rl, err := idcode.SignRevocations(idcode.RevocationList{Version: 2, IssuedAt: now.Add(-time.Hour), Expires: now.AddDate(1, 0, 0), CardIDs: revoked}, is.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(is.revPath, rl, 0o644); err != nil {
		t.Fatal(err)
	}
	return is
}

func TestHoldingACardIsOneCheckin(t *testing.T) {
	dir := t.TempDir()
	is := newIssuer(t, t.TempDir())
	valid, _ := is.card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	cfg := config.Default()
	cfg.Scanner.Reread = config.Duration{Duration: time.Hour}
	r := start(t, dir, cfg, is.trustPath)
	res := r.present(t, control.PresentRequest{Image: cardPNG(t, "王秀英", "elder", valid), Hold: 2 * time.Second})
	if res.Decision != "pass" {
		t.Fatalf("first: %+v", res)
	}
	time.Sleep(2200 * time.Millisecond)
	st, err := r.client.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Store.Checkins != 1 || st.Sources[0].Frames < 30 {
		t.Fatalf("held 2 s: %d check-ins over %d frames, want 1 over ≥ 30", st.Store.Checkins, st.Sources[0].Frames)
	}
}

func TestPresentRefusedOutsideSimAndBadInput(t *testing.T) {
	dir := t.TempDir()
	is := newIssuer(t, t.TempDir())
	r := start(t, dir, config.Default(), is.trustPath)
	for _, req := range []control.PresentRequest{{}, {Image: []byte("not an image")}, {Image: []byte{1}, Text: "x"}} {
		if _, err := r.client.Present(context.Background(), req); err == nil {
			t.Errorf("present %+v accepted", req)
		}
	}
	// A bad presentation changed nothing.
	st, _ := r.client.Status(context.Background())
	if st.Store.Checkins != 0 {
		t.Errorf("check-ins after refused presentations: %d", st.Store.Checkins)
	}
	// A second kiosk on the same data directory refuses to start.
	err := Run(context.Background(), Options{Config: config.Default(), DataDir: dir, Sim: true, Terminal: io.Discard, Logger: quiet()})
	if err == nil {
		t.Fatal("second kiosk on the same data directory started")
	}
}

func TestNoTrustRefusesAsStale(t *testing.T) {
	dir := t.TempDir()
	is := newIssuer(t, t.TempDir())
	valid, _ := is.card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	r := start(t, dir, config.Default(), "")
	if res := r.present(t, control.PresentRequest{Text: valid}); res.Decision != "fail" || res.Reason != "trust_data_stale" {
		t.Fatalf("without trust data: %+v", res)
	}
}
