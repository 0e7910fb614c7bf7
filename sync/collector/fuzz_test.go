package collector_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

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
	f.Fuzz(func(t *testing.T, body []byte, gzipped bool) {
		before, _ := c.Backend.Device(t.Context(), d.id)
		req := d.request(t, "POST", "/v1/checkins", body, time.Now())
		if gzipped {
			req.Header.Set("Content-Encoding", "gzip")
		}
		rec := httptest.NewRecorder()
		c.Server.ServeHTTP(rec, req)
		after, _ := c.Backend.Device(t.Context(), d.id)
		switch {
		case rec.Code >= 500:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		case rec.Code == http.StatusOK:
			a, err := wire.DecodeAck(rec.Body.Bytes())
			if err != nil || a.AckSeq != after.AckSeq {
				t.Fatalf("ack %s vs stored %d: %v", rec.Body, after.AckSeq, err)
			}
		default:
			if after.AckSeq != before.AckSeq {
				t.Fatalf("refused body (%d) moved the ack %d -> %d", rec.Code, before.AckSeq, after.AckSeq)
			}
			var e wire.Error
			if json.NewDecoder(bytes.NewReader(rec.Body.Bytes())).Decode(&e) != nil || e.Code == "" {
				t.Fatalf("error body %q", rec.Body)
			}
		}
	})
}
