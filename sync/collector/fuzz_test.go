package collector_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
	"github.com/scangate/scangate/sync/wire"
)

// FuzzCheckins posts arbitrary, correctly signed bodies from an enrolled
// device: the collector answers 200 only for a valid batch and never 5xx,
// and its ack never goes past what was acknowledged.
func FuzzCheckins(f *testing.F) {
	c := collectortest.Start(f, collectortest.Options{})
	c.CreateVenue(f, "v1")
	d := mustEnroll(f, c, "v1")
	good, _ := wire.EncodeBatch(d.batch(records(1, 2)))
	plain, _ := json.Marshal(d.batch(records(3)))
	f.Add(good, true)
	f.Add(plain, false)
	f.Add(gzipBytes([]byte(`{"version":1,"device":"`+d.id+`","records":[{"seq":1}]}`)), true)
	f.Add([]byte{0x1f, 0x8b}, true)
	led := d.batch(records(5, 6))
	led.Ledger, led.Floor = "L2", 4
	led.Recoveries = []wire.Recovery{{At: time.Now().UTC(), Ledger: "", Salvaged: 3, Lost: -1}}
	ledGz, _ := wire.EncodeBatch(led)
	f.Add(ledGz, true)
	ledPlain, _ := json.Marshal(led)
	f.Add(ledPlain, false)
	f.Add([]byte(`{"version":1,"device":"`+d.id+`","ledger":"x","floor":9223372036854775807,"records":[{"seq":1}]}`), false)
	f.Fuzz(func(t *testing.T, body []byte, gzipped bool) {
		before, _ := c.Backend.Ledgers(t.Context(), d.id)
		req := d.request(t, "POST", "/v1/checkins", body, time.Now())
		if gzipped {
			req.Header.Set("Content-Encoding", "gzip")
		}
		rec := httptest.NewRecorder()
		c.Server.ServeHTTP(rec, req)
		after, _ := c.Backend.Ledgers(t.Context(), d.id)
		switch {
		case rec.Code >= 500:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		case rec.Code == http.StatusOK:
			a, err := wire.DecodeAck(rec.Body.Bytes())
			if err != nil || a.AckSeq != ackOf(after, a.Ledger) || a.AckSeq < ackOf(before, a.Ledger) {
				t.Fatalf("ack %s vs stored %d (before %d): %v", rec.Body, ackOf(after, a.Ledger), ackOf(before, a.Ledger), err)
			}
		default:
			if !slices.Equal(after, before) {
				t.Fatalf("refused body (%d) moved the acks %+v -> %+v", rec.Code, before, after)
			}
			var e wire.Error
			if json.NewDecoder(bytes.NewReader(rec.Body.Bytes())).Decode(&e) != nil || e.Code == "" {
				t.Fatalf("error body %q", rec.Body)
			}
		}
	})
}

func ackOf(ls []collector.Ledger, ledger string) uint64 {
	for _, l := range ls {
		if l.Ledger == ledger {
			return l.AckSeq
		}
	}
	return 0
}

// FuzzParseKEK: a key-encryption key file is 32 bytes in one of three
// spellings; anything else is refused, never a panic, and an accepted key
// seals and opens.
func FuzzParseKEK(f *testing.F) {
	f.Add(bytes.Repeat([]byte{7}, 32))
	f.Add([]byte(strings.Repeat("ab", 32) + "\n"))
	f.Add([]byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))))
	f.Add([]byte("short"))
	f.Add([]byte(strings.Repeat("zz", 32)))
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := collector.ParseKEK(b)
		if err != nil {
			return
		}
		sealed, err := k.Seal("iss", priv)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := k.Open("iss", sealed); err != nil || !got.Equal(priv) {
			t.Fatalf("seal/open: %v", err)
		}
		if _, err := k.Open("other", sealed); err == nil {
			t.Fatal("a sealed key opened under another issuer id")
		}
	})
}
