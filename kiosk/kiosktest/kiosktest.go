// Package kiosktest runs a real kiosk on simulated hardware for tests: an
// issuer with trust files on disk, cards it signs, and the daemon itself
// (kiosk.Run with --sim) driven over its control socket.
package kiosktest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/cards"
	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/kiosk"
)

// Quiet is a logger that drops everything.
func Quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Issuer is a test issuer with its trust files (v1 lists) in a directory.
type Issuer struct {
	Key       ed25519.PrivateKey
	TrustPath string // trust.json
	RevPath   string // revocations.json
}

// NewIssuer makes a key and writes its self-signed trust list and a
// revocation list of revoked into dir, issued an hour ago.
func NewIssuer(t testing.TB, dir string, revoked ...string) *Issuer {
	t.Helper()
	return NewIssuerAt(t, dir, time.Now().Add(-time.Hour), revoked...)
}

// NewIssuerAt is NewIssuer with lists issued at issued (v1 both).
func NewIssuerAt(t testing.TB, dir string, issued time.Time, revoked ...string) *Issuer {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	is := &Issuer{Key: key, TrustPath: filepath.Join(dir, "trust.json"), RevPath: filepath.Join(dir, "revocations.json")}
	is.WriteLists(t, dir, 1, issued, revoked...)
	return is
}

// WriteLists writes the issuer's trust list and a revocation list of
// revoked, both version v and issued at issued, as trust.json and
// revocations.json into dir (what `scangate trust renew` writes).
func (is *Issuer) WriteLists(t testing.TB, dir string, v int64, issued time.Time, revoked ...string) {
	t.Helper()
	issued = issued.UTC().Truncate(time.Second)
	tl, err := idcode.SignTrustList(idcode.TrustList{Version: v, IssuedAt: issued, Expires: issued.AddDate(1, 0, 0),
		Issuers: []idcode.Issuer{{ID: "lib", PublicKey: is.Public()}}}, is.Key)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := idcode.SignRevocations(idcode.RevocationList{Version: v, IssuedAt: issued, Expires: issued.AddDate(1, 0, 0),
		CardIDs: revoked}, is.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "trust.json"), tl, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "revocations.json"), rl, 0o644); err != nil {
		t.Fatal(err)
	}
}

// PublicPEM writes the issuer's public key (issuer.pub) into dir and
// returns its path, for trust.list_keys.
func (is *Issuer) PublicPEM(t testing.TB, dir string) string {
	t.Helper()
	b, err := idcode.MarshalPublicKey(is.Public())
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "issuer.pub")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Revoke replaces the revocation list with a v2 that lists ids.
func (is *Issuer) Revoke(t testing.TB, ids ...string) {
	t.Helper()
	is.writeRevocations(t, 2, ids)
}

func (is *Issuer) writeRevocations(t testing.TB, version int64, ids []string) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	rl, err := idcode.SignRevocations(idcode.RevocationList{Version: version, IssuedAt: now.Add(-time.Hour),
		Expires: now.AddDate(1, 0, 0), CardIDs: ids}, is.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(is.RevPath, rl, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Public is the issuer's public key.
func (is *Issuer) Public() ed25519.PublicKey { return is.Key.Public().(ed25519.PublicKey) }

// Card signs a card and returns its QR text and card id (hex).
func (is *Issuer) Card(t testing.TB, name, category string, expires time.Time) (text, id string) {
	t.Helper()
	cid, err := idcode.NewCardID()
	if err != nil {
		t.Fatal(err)
	}
	c := idcode.Claims{Issuer: "lib", Subject: "h", IssuedAt: time.Now().Add(-time.Hour).Truncate(time.Second),
		Expires: expires.Truncate(time.Second), CardID: cid, Name: idcode.MaskName(name), Category: category}
	text, err = idcode.Sign(c, is.Key)
	if err != nil {
		t.Fatal(err)
	}
	return text, (&idcode.Card{Claims: c}).CardIDHex()
}

// CardPNG prints the card as `scangate issue` would.
func CardPNG(t testing.TB, name, category, text string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := cards.WritePNG(&buf, cards.Card{Name: name, Category: category, IssuerID: "lib", IssuerName: "lib",
		Expires: time.Now().AddDate(1, 0, 0), Number: "0000-0000", QRText: text}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Running is a kiosk started by Start.
type Running struct {
	K      *kiosk.Kiosk
	Client *control.Client
	Term   *SyncBuffer // what the simulated LEDs, buzzer and screen drew
	// AtReady is the kiosk's status at the moment it declared itself
	// ready, before any background work (the uplink) ran.
	AtReady control.Status

	cancel context.CancelFunc
	done   chan error
}

// SyncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Start runs a simulated kiosk on dataDir until the test ends (or Stop).
// trustFile is --trust ("" for none).
func Start(t testing.TB, dataDir string, cfg config.Config, trustFile string) *Running {
	t.Helper()
	return StartWith(t, kiosk.Options{Config: cfg, DataDir: dataDir, TrustFile: trustFile})
}

// StartWith runs a simulated kiosk with opts (Sim, Terminal, Logger and
// Ready are filled in) until the test ends (or Stop).
func StartWith(t testing.TB, opts kiosk.Options) *Running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{cancel: cancel, done: make(chan error, 1), Term: &SyncBuffer{}}
	ready := make(chan struct{})
	opts.Sim, opts.Terminal, opts.Logger = true, r.Term, Quiet()
	opts.Ready = func(k *kiosk.Kiosk) {
		r.K, r.AtReady = k, k.Status(context.Background())
		close(ready)
	}
	go func() { r.done <- kiosk.Run(ctx, opts) }()
	select {
	case <-ready:
	case err := <-r.done:
		t.Fatalf("kiosk did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("kiosk not ready within 10 s")
	}
	r.Client = control.NewClient(filepath.Join(opts.DataDir, control.SocketName))
	t.Cleanup(r.Stop)
	return r
}

// Stop stops the kiosk and waits until it closed its database. Later
// calls return at once.
func (r *Running) Stop() {
	r.cancel()
	<-r.done
	r.done <- nil
}

// Present shows a card to the simulated camera or scanner and returns the
// decision (a hold of 300 ms unless req says otherwise).
func (r *Running) Present(t testing.TB, req control.PresentRequest) control.PresentResult {
	t.Helper()
	if req.Hold == 0 {
		req.Hold = 300 * time.Millisecond
	}
	res, err := r.Client.Present(context.Background(), req)
	if err != nil {
		t.Fatalf("present: %v", err)
	}
	return res
}

// Status is the kiosk's status over the control socket.
func (r *Running) Status(t testing.TB) control.Status {
	t.Helper()
	st, err := r.Client.Status(context.Background())
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	return st
}

// WaitFor polls cond every 100 ms until it holds, failing the test after d.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
