package collectortest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

// AdminToken is the admin bearer token of a collector made by Start.
const AdminToken = "test-admin-token-0123456789"

// Collector is a real collector serving HTTP on a loopback port, backed by
// a SQLite file in the test's temporary directory.
type Collector struct {
	URL     string // http://127.0.0.1:PORT
	Server  *collector.Server
	Backend collector.Backend
	Key     ed25519.PrivateKey // the collector key; devices pin Key.Public()
	HTTP    *httptest.Server
}

// Options adjust Start. The zero value is fine.
type Options struct {
	Backend collector.Backend  // nil: a fresh SQLite file
	Now     func() time.Time   // nil: time.Now
	Logger  *slog.Logger       // nil: discard
	Key     ed25519.PrivateKey // nil: a new collector key
	KEK     *collector.KEK     // nil: a new key-encryption key (NoKEK: none)
	NoKEK   bool               // run without a key-encryption key
}

// NewKEK returns a random key-encryption key.
func NewKEK(t testing.TB) *collector.KEK {
	t.Helper()
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	k, err := collector.NewKEK(b[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Start runs a collector on loopback until the test ends.
func Start(t testing.TB, opts Options) *Collector {
	t.Helper()
	be := opts.Backend
	if be == nil {
		db, err := collector.OpenSQLite(filepath.Join(t.TempDir(), "collector.db"))
		if err != nil {
			t.Fatal(err)
		}
		be = db
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	key := opts.Key
	if key == nil {
		var err error
		if _, key, err = ed25519.GenerateKey(nil); err != nil {
			t.Fatal(err)
		}
	}
	kek := opts.KEK
	if kek == nil && !opts.NoKEK {
		kek = NewKEK(t)
	}
	srv, err := collector.New(collector.Config{Backend: be, Key: key, AdminToken: AdminToken, Logger: opts.Logger, Now: opts.Now, KEK: kek})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		be.Close()
	})
	return &Collector{URL: hs.URL, Server: srv, Backend: be, Key: key, HTTP: hs}
}

// PublicKey returns the key a device pins.
func (c *Collector) PublicKey() ed25519.PublicKey { return c.Key.Public().(ed25519.PublicKey) }

// Admin calls the admin API: body (if not nil) is sent as JSON, and a 2xx
// answer is decoded into out (if not nil); so is an error answer when out
// is a *wire.Error. It returns the status.
func (c *Collector) Admin(t testing.TB, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if _, isErr := out.(*wire.Error); out != nil && (resp.StatusCode/100 == 2 || isErr) {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

func (c *Collector) mustAdmin(t testing.TB, method, path string, body, out any) {
	t.Helper()
	if st := c.Admin(t, method, path, body, out); st/100 != 2 {
		t.Fatalf("%s %s: status %d", method, path, st)
	}
}

// CreateVenue creates a venue with the default policy.
func (c *Collector) CreateVenue(t testing.TB, id string) {
	t.Helper()
	c.mustAdmin(t, "POST", "/v1/admin/venues", collector.VenueRequest{ID: id, Name: "Venue " + id}, nil)
}

// EnrollToken returns a new one-time enrollment token for venue.
func (c *Collector) EnrollToken(t testing.TB, venue string) string {
	t.Helper()
	var tr collector.TokenResponse
	c.mustAdmin(t, "POST", "/v1/admin/venues/"+venue+"/enroll-tokens", collector.TokenRequest{}, &tr)
	return tr.Token
}

// CreateIssuer adds an issuer whose key the collector holds.
func (c *Collector) CreateIssuer(t testing.TB, id string) collector.Issuer {
	t.Helper()
	var is collector.Issuer
	c.mustAdmin(t, "POST", "/v1/admin/issuers", collector.IssuerRequest{ID: id, Name: "Issuer " + id}, &is)
	return is
}

// IssueCard issues a card of category for a holder and returns it.
func (c *Collector) IssueCard(t testing.TB, issuer, holder, name, category string) collector.CardResponse {
	t.Helper()
	var cr collector.CardResponse
	c.mustAdmin(t, "POST", "/v1/admin/cards", collector.CardRequest{Issuer: issuer, Holder: holder, Name: name, Category: category}, &cr)
	return cr
}

// RevokeCard revokes a card; the next bundle carries it.
func (c *Collector) RevokeCard(t testing.TB, cardID string) {
	t.Helper()
	c.mustAdmin(t, "POST", "/v1/admin/cards/"+cardID+"/revoke", nil, nil)
}

// RevokeDevice revokes a device; its next request is refused.
func (c *Collector) RevokeDevice(t testing.TB, id string) {
	t.Helper()
	c.mustAdmin(t, "POST", "/v1/admin/devices/"+id+"/revoke", nil, nil)
}
