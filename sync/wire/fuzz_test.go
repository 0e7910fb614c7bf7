package wire

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"testing"
)

func FuzzReadBatch(f *testing.F) {
	plain, _ := json.Marshal(sampleBatch(2))
	gz, _ := EncodeBatch(sampleBatch(2))
	f.Add(plain, false)
	f.Add(gz, true)
	f.Add([]byte(`{"version":1,"device":"d","records":[{"seq":1}]}`), false)
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, true)
	purged := sampleBatch(2)
	purged.Floor, purged.Purged = 9, []SeqRange{{1, 3}, {5, 9}}
	for i := range purged.Records {
		purged.Records[i].Seq += 9
	}
	withPurged, _ := json.Marshal(purged)
	f.Add(withPurged, false)
	f.Add([]byte(`{"version":1,"device":"d","floor":4,"purged":[{"lo":3,"hi":4},{"lo":1,"hi":2}],"records":[]}`), false)
	healthy := sampleBatch(1)
	h := sampleHealth()
	healthy.Health = &h
	withHealth, _ := json.Marshal(healthy)
	f.Add(withHealth, false)
	f.Add([]byte(`{"version":1,"device":"d","health":{"slot":"Z","outbox_depth":-3},"records":[{"seq":1,"at":"2026-01-01T00:00:00Z","decision":"pass","reason":"pass"}]}`), false)
	f.Fuzz(func(t *testing.T, body []byte, gzipped bool) {
		enc := ""
		if gzipped {
			enc = "gzip"
		}
		b, err := ReadBatch(bytes.NewReader(body), enc)
		if err != nil {
			if s := statusOf(t, err); s < 400 || s > 499 {
				t.Fatalf("status %d for malformed input", s)
			}
			return
		}
		if len(b.Records) == 0 || len(b.Records) > MaxBatchRecords || b.Device == "" {
			t.Fatalf("accepted invalid batch %+v", b)
		}
		for _, r := range b.Records {
			if r.Seq == 0 || r.Reason == "" {
				t.Fatalf("accepted invalid record %+v", r)
			}
		}
		if b.Health != nil && b.Health.Check() != nil {
			t.Fatalf("accepted invalid health %+v", b.Health)
		}
		for i, r := range b.Purged {
			if r.Lo == 0 || r.Lo > r.Hi || r.Hi > b.Floor || i > 0 && r.Lo <= b.Purged[i-1].Hi {
				t.Fatalf("accepted invalid purged ranges %+v (floor %d)", b.Purged, b.Floor)
			}
		}
	})
}

func FuzzDecodeEnroll(f *testing.F) {
	pub, _, _ := ed25519.GenerateKey(nil)
	good, _ := json.Marshal(Enroll{Version: Version, Token: "tok", PublicKey: pub})
	f.Add(good)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEnroll(b)
		if err == nil && (len(e.PublicKey) != 32 || e.Token == "") {
			t.Fatalf("accepted %+v", e)
		}
	})
}

func FuzzDecodeEnrollResp(f *testing.F) {
	pub, _, _ := ed25519.GenerateKey(nil)
	good, _ := json.Marshal(EnrollResp{DeviceID: "dev-1", Venue: "v", VenueName: "图书馆", CollectorKey: pub})
	f.Add(good)
	f.Add([]byte(`{"device_id":"d","venue":"v","collector_key":"AAAA"}`))
	f.Add([]byte(`{"device_id":"","venue":"v"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEnrollResp(b)
		if err == nil && (e.DeviceID == "" || e.Venue == "" || len(e.CollectorKey) != 32) {
			t.Fatalf("accepted %+v", e)
		}
	})
}

func FuzzDecodeAck(f *testing.F) {
	f.Add([]byte(`{"device":"d","ack_seq":5,"server_time":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"device":"d","ack_seq":-1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeAck(b)
		if err == nil && a.Device == "" {
			t.Fatalf("accepted %+v", a)
		}
		e, err := DecodeError(b)
		if err == nil && e == nil {
			t.Fatal("nil error value without error")
		}
	})
}

func FuzzOpenBundle(f *testing.F) {
	pub, key, _ := ed25519.GenerateKey(nil)
	good, _ := SignBundle(sampleBundle(), key)
	f.Add(good)
	f.Add([]byte(`{"bundle":{},"signature":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := OpenBundle(b, pub)
		if err == nil && got.Version != Version {
			t.Fatalf("accepted %+v", got)
		}
	})
}

func FuzzParseRequestAuth(f *testing.F) {
	f.Add("dev", "1767225600000", "00112233445566778899aabbccddeeff", "AAAA")
	f.Add("", "-1", "", "")
	f.Fuzz(func(t *testing.T, dev, ts, nonce, sig string) {
		h := http.Header{}
		h.Set(HeaderDevice, dev)
		h.Set(HeaderTime, ts)
		h.Set(HeaderNonce, nonce)
		h.Set(HeaderSignature, sig)
		a, err := ParseRequestAuth(h)
		if err == nil && (len(a.Signature) != ed25519.SignatureSize || len(a.Nonce) != 32) {
			t.Fatalf("accepted %+v", a)
		}
	})
}

func sampleBundle() Bundle {
	return Bundle{Version: Version, Device: "d", Venue: "v", Revision: "r", Policy: DefaultPolicy()}
}
