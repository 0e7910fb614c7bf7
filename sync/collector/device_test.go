package collector_test

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector/collectortest"
	"github.com/scangate/scangate/sync/wire"
)

// testDevice is a minimal kiosk: it signs its requests as the uplink does.
type testDevice struct {
	id     string
	venue  string
	key    ed25519.PrivateKey
	url    string
	client *http.Client
}

func newKey(t testing.TB) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// request builds a signed request; mutate may change it after signing.
func (d *testDevice) request(t testing.TB, method, path string, body []byte, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, d.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := wire.SignRequest(req, d.id, d.key, body, at); err != nil {
		t.Fatal(err)
	}
	return req
}

func (d *testDevice) send(t testing.TB, req *http.Request) (int, []byte, http.Header) {
	t.Helper()
	c := d.client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

func enroll(t testing.TB, url, token string, key ed25519.PrivateKey) (int, wire.EnrollResp, []byte) {
	t.Helper()
	body, _ := json.Marshal(wire.Enroll{Version: wire.Version, Token: token, PublicKey: key.Public().(ed25519.PublicKey), Hardware: "rpi4"})
	d := &testDevice{key: key, url: url}
	st, b, _ := d.send(t, d.request(t, "POST", "/v1/enroll", body, time.Now()))
	var er wire.EnrollResp
	if st == http.StatusOK {
		if err := json.Unmarshal(b, &er); err != nil {
			t.Fatal(err)
		}
	}
	return st, er, b
}

func mustEnroll(t testing.TB, c *collectortest.Collector, venue string) *testDevice {
	t.Helper()
	key := newKey(t)
	st, er, b := enroll(t, c.URL, c.EnrollToken(t, venue), key)
	if st != http.StatusOK {
		t.Fatalf("enroll: %d %s", st, b)
	}
	return &testDevice{id: er.DeviceID, venue: er.Venue, key: key, url: c.URL}
}

func records(seqs ...uint64) []wire.Record {
	var out []wire.Record
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Microsecond)
	for _, s := range seqs {
		out = append(out, wire.Record{Seq: s, At: at.Add(time.Duration(s) * time.Second), BootID: "boot-1", MonoNS: int64(s) * 1e9,
			ClockSynced: true, Source: "camera", Decision: wire.DecisionPass, Reason: "pass",
			CardID: randomCardID(), Holder: "h", Category: "elder", Name: "王*英"})
	}
	return out
}

func gz(t testing.TB, b wire.CheckinBatch) []byte {
	t.Helper()
	body, err := wire.EncodeBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// post sends a gzip batch and returns the status and, on 200, the ack.
func (d *testDevice) post(t testing.TB, body []byte) (int, uint64, []byte) {
	t.Helper()
	req := d.request(t, "POST", "/v1/checkins", body, time.Now())
	req.Header.Set("Content-Encoding", "gzip")
	st, b, _ := d.send(t, req)
	if st != http.StatusOK {
		return st, 0, b
	}
	a, err := wire.DecodeAck(b)
	if err != nil {
		t.Fatalf("ack %s: %v", b, err)
	}
	if a.Device != d.id {
		t.Fatalf("ack for %q, want %q", a.Device, d.id)
	}
	return st, a.AckSeq, b
}

func (d *testDevice) batch(recs []wire.Record) wire.CheckinBatch {
	return wire.CheckinBatch{Version: wire.Version, Device: d.id, Records: recs}
}

func (d *testDevice) bundle(t testing.TB, etag string) (int, []byte, string) {
	t.Helper()
	req := d.request(t, "GET", "/v1/devices/"+d.id+"/bundle", nil, time.Now())
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	st, b, h := d.send(t, req)
	return st, b, h.Get("ETag")
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func ioNopCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

// randomCardID returns a card id as cards carry them: 16 random bytes, hex.
func randomCardID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
