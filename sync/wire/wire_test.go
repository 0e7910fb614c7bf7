package wire

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func sampleBatch(n int) CheckinBatch {
	b := CheckinBatch{Version: Version, Device: "dev-1", BootID: "boot-a", MonoNS: 5e9}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		b.Records = append(b.Records, Record{
			Seq: uint64(i), At: at.Add(time.Duration(i) * time.Second), BootID: "boot-a", MonoNS: int64(i) * 1e9,
			ClockSynced: true, Source: "camera", Decision: DecisionPass, Reason: "pass",
			CardID: "00112233445566778899aabbccddeeff", Holder: "h-1", Category: "elder", Name: "王*英",
		})
	}
	return b
}

func statusOf(t *testing.T, err error) int {
	t.Helper()
	var we *Error
	if !errors.As(err, &we) {
		t.Fatalf("error %v is not a *wire.Error", err)
	}
	return we.Status
}

func TestBatchRoundTrip(t *testing.T) {
	in := sampleBatch(3)
	gz, err := EncodeBatch(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ReadBatch(bytes.NewReader(gz), "gzip")
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Records) != 3 || out.Records[2].Seq != 3 || out.Records[0].Name != "王*英" || !out.Records[1].At.Equal(in.Records[1].At) {
		t.Fatalf("round trip changed the batch: %+v", out)
	}
}

func TestBatchRefusals(t *testing.T) {
	good, _ := json.Marshal(sampleBatch(1))
	bomb := func() []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(bytes.Repeat([]byte(" "), 10<<20))
		zw.Close()
		return buf.Bytes()
	}()
	if len(bomb) > MaxCompressedBatchBytes {
		t.Fatalf("bomb is %d bytes compressed; want it under the compressed cap", len(bomb))
	}
	for _, tc := range []struct {
		name   string
		body   []byte
		enc    string
		status int
	}{
		{"gzip bomb", bomb, "gzip", http.StatusRequestEntityTooLarge},
		{"oversize plain", bytes.Repeat([]byte(" "), MaxBatchBytes+1), "", http.StatusRequestEntityTooLarge},
		{"oversize compressed", bytes.Repeat([]byte{1}, MaxCompressedBatchBytes+1), "gzip", http.StatusRequestEntityTooLarge},
		{"not gzip", good, "gzip", http.StatusBadRequest},
		{"unknown field", bytes.Replace(good, []byte(`"device"`), []byte(`"evil":1,"device"`), 1), "", http.StatusBadRequest},
		{"unknown record field", bytes.Replace(good, []byte(`"seq"`), []byte(`"x":1,"seq"`), 1), "", http.StatusBadRequest},
		{"trailing", append(append([]byte{}, good...), []byte(`{}`)...), "", http.StatusBadRequest},
		{"version", bytes.Replace(good, []byte(`"version":1`), []byte(`"version":2`), 1), "", http.StatusBadRequest},
		{"seq zero", bytes.Replace(good, []byte(`"seq":1`), []byte(`"seq":0`), 1), "", http.StatusBadRequest},
		{"bad decision", bytes.Replace(good, []byte(`"decision":"pass"`), []byte(`"decision":"maybe"`), 1), "", http.StatusBadRequest},
		{"no records", []byte(`{"version":1,"device":"d","records":[]}`), "", http.StatusBadRequest},
		{"purged above floor", bytes.Replace(good, []byte(`"records"`), []byte(`"purged":[{"lo":1,"hi":1}],"records"`), 1), "", http.StatusBadRequest},
		{"purged empty range", bytes.Replace(good, []byte(`"records"`), []byte(`"floor":0,"purged":[{"lo":0,"hi":0}],"records"`), 1), "", http.StatusBadRequest},
		{"encoding", good, "br", http.StatusUnsupportedMediaType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadBatch(bytes.NewReader(tc.body), tc.enc)
			if err == nil {
				t.Fatal("accepted")
			}
			if s := statusOf(t, err); s != tc.status {
				t.Fatalf("status %d, want %d (%v)", s, tc.status, err)
			}
		})
	}
}

// Purged ranges travel with a batch when they lie at or below its floor,
// ascending and apart.
func TestBatchPurgedRanges(t *testing.T) {
	b := sampleBatch(1)
	b.Records[0].Seq, b.Floor = 20, 19
	b.Purged = []SeqRange{{1, 4}, {9, 19}}
	gz, err := EncodeBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadBatch(bytes.NewReader(gz), "gzip")
	if err != nil || len(got.Purged) != 2 || got.Purged[1] != (SeqRange{9, 19}) {
		t.Fatalf("round trip: %+v, %v", got.Purged, err)
	}
	for _, bad := range [][]SeqRange{{{9, 19}, {1, 4}}, {{1, 4}, {4, 6}}, {{3, 2}}, {{1, 20}}} {
		b.Purged = bad
		if err := b.Check(); err == nil {
			t.Errorf("ranges %v accepted", bad)
		}
	}
	b.Records[0].Seq, b.Floor = 1000, 999
	b.Purged = make([]SeqRange, MaxPurgedRanges+1)
	for i := range b.Purged {
		b.Purged[i] = SeqRange{uint64(2*i + 1), uint64(2*i + 1)}
	}
	if err := b.Check(); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Error("more than MaxPurgedRanges accepted")
	}
}

func TestTooManyRecords(t *testing.T) {
	b := sampleBatch(MaxBatchRecords + 1)
	if _, err := EncodeBatch(b); err == nil {
		t.Fatal("EncodeBatch accepted 501 records")
	}
	plain, _ := json.Marshal(b)
	if len(plain) > MaxBatchBytes {
		t.Skip("501 records exceed the byte cap first")
	}
	if _, err := DecodeBatch(plain); err == nil || statusOf(t, err) != http.StatusRequestEntityTooLarge {
		t.Fatalf("DecodeBatch(501 records) = %v", err)
	}
}

func TestSignRequest(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	body := []byte("hello")
	now := time.Now()
	req, _ := http.NewRequest("POST", "http://c.example/v1/checkins?x=1", nil)
	if err := SignRequest(req, "dev-1", key, body, now); err != nil {
		t.Fatal(err)
	}
	a, err := ParseRequestAuth(req.Header)
	if err != nil {
		t.Fatal(err)
	}
	if a.Device != "dev-1" || !a.Fresh(now.Add(time.Minute)) || a.Fresh(now.Add(SignatureWindow+time.Second)) {
		t.Fatalf("auth %+v", a)
	}
	if !a.Verify("POST", "/v1/checkins?x=1", body, pub) {
		t.Fatal("signature does not verify")
	}
	for _, bad := range []struct{ m, uri, body string }{
		{"GET", "/v1/checkins?x=1", "hello"},
		{"POST", "/v1/checkins?x=2", "hello"},
		{"POST", "/v1/checkins?x=1", "hellO"},
	} {
		if a.Verify(bad.m, bad.uri, []byte(bad.body), pub) {
			t.Fatalf("signature verified for %+v", bad)
		}
	}
	other, _, _ := ed25519.GenerateKey(nil)
	if a.Verify("POST", "/v1/checkins?x=1", body, other) {
		t.Fatal("signature verified with another key")
	}
	req.Header.Set(HeaderNonce, "xyz")
	if _, err := ParseRequestAuth(req.Header); err == nil {
		t.Fatal("bad nonce accepted")
	}
}

func TestBundleSignature(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	b := Bundle{Version: Version, Device: "d", Venue: "v", Revision: "r1", TrustList: []byte("{}"), Policy: DefaultPolicy(), ServerTime: time.Now().UTC()}
	data, err := SignBundle(b, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenBundle(data, pub)
	if err != nil {
		t.Fatal(err)
	}
	if got.Venue != "v" || got.Policy.DuplicateWindow != Duration(10*time.Minute) || string(got.TrustList) != "{}" {
		t.Fatalf("bundle changed: %+v", got)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	if _, err := OpenBundle(data, other); err == nil {
		t.Fatal("bundle opened with another key")
	}
	tampered := strings.Replace(string(data), `"signature":"`, `"signature":"A`, 1)
	if _, err := OpenBundle([]byte(tampered), pub); err == nil {
		t.Fatal("tampered bundle opened")
	}
}

func TestDecodeEnroll(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	good, _ := json.Marshal(Enroll{Version: Version, Token: "tok", PublicKey: pub, Hardware: "rpi4"})
	if e, err := DecodeEnroll(good); err != nil || e.Token != "tok" {
		t.Fatalf("DecodeEnroll = %+v, %v", e, err)
	}
	for _, bad := range []string{
		`{"version":1,"token":"","public_key":"` + strings.Repeat("A", 44) + `"}`,
		`{"version":1,"token":"t","public_key":"AAAA"}`,
		`{"version":1,"token":"t","public_key":"` + strings.Repeat("A", 43) + `=","admin":true}`,
	} {
		if _, err := DecodeEnroll([]byte(bad)); err == nil {
			t.Fatalf("accepted %s", bad)
		}
	}
}
