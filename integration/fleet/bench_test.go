package fleet

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/pgtest"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

var (
	fleetDevices = flag.Int("fleet.devices", 200, "BenchmarkFleetIngest: simulated devices")
	fleetBatch   = flag.Int("fleet.batch", 250, "BenchmarkFleetIngest: records per batch")
	fleetWorkers = flag.Int("fleet.workers", 64, "BenchmarkFleetIngest: concurrent uploads")
)

// benchDevice signs its requests as the uplink does.
type benchDevice struct {
	id  string
	key ed25519.PrivateKey
	seq uint64
}

func (d *benchDevice) post(c *http.Client, base string, body []byte) (int, error) {
	req, err := http.NewRequest("POST", base+"/v1/checkins", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Encoding", "gzip")
	if err := wire.SignRequest(req, d.id, d.key, body, time.Now()); err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func benchEnroll(b *testing.B, base string) *benchDevice {
	var tr collector.TokenResponse
	admin(b, base, "POST", "/v1/admin/venues/v1/enroll-tokens", collector.TokenRequest{}, &tr)
	_, key, _ := ed25519.GenerateKey(nil)
	body, _ := json.Marshal(wire.Enroll{Version: wire.Version, Token: tr.Token, PublicKey: key.Public().(ed25519.PublicKey)})
	req, _ := http.NewRequest("POST", base+"/v1/enroll", bytes.NewReader(body))
	if err := wire.SignRequest(req, "", key, body, time.Now()); err != nil {
		b.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var er wire.EnrollResp
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&er) != nil {
		b.Fatalf("enroll: %d", resp.StatusCode)
	}
	return &benchDevice{id: er.DeviceID, key: key}
}

// BenchmarkFleetIngest measures ingest over loopback HTTP into one and
// into two collector processes on the same PostgreSQL, requests spread
// round-robin over the processes as a balancer would (no proxy in the
// way). One op is one batch of -fleet.batch records; the flags set the
// devices and the uploads in flight. On a machine with few cores the
// processes, PostgreSQL and the load generator share them: compare the
// two figures from one run, not across machines.
func BenchmarkFleetIngest(b *testing.B) {
	for _, procs := range []int{1, 2} {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) {
			dsn := pgtest.SchemaDSN(b)
			f := startFleet(b, dsn, procs)
			addrs := f.addrs()
			base := "http://" + addrs[0]
			admin(b, base, "POST", "/v1/admin/venues", collector.VenueRequest{ID: "v1", Name: "Hall"}, nil)
			devs := make([]*benchDevice, *fleetDevices)
			for i := range devs {
				devs[i] = benchEnroll(b, "http://"+addrs[i%len(addrs)])
			}
			type job struct {
				d    *benchDevice
				body []byte
			}
			jobs := make([]job, b.N)
			at := time.Now().UTC().Add(-time.Hour)
			for i := range jobs {
				d := devs[i%len(devs)]
				recs := make([]wire.Record, *fleetBatch)
				for j := range recs {
					d.seq++
					recs[j] = wire.Record{Seq: d.seq, At: at.Add(time.Duration(d.seq) * time.Millisecond), BootID: "boot-1", MonoNS: int64(d.seq) * 1e6,
						ClockSynced: true, Source: "camera", Decision: wire.DecisionPass, Reason: "pass",
						CardID: fmt.Sprintf("%016x%016x", i, j), Holder: "h", Category: "elder", Name: "王*英"}
				}
				body, err := wire.EncodeBatch(wire.CheckinBatch{Version: wire.Version, Device: d.id, Ledger: "bench", BootID: "boot-1", MonoNS: int64(time.Hour), Records: recs})
				if err != nil {
					b.Fatal(err)
				}
				jobs[i] = job{d, body}
			}
			tr := &http.Transport{MaxIdleConnsPerHost: *fleetWorkers, MaxConnsPerHost: *fleetWorkers}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			lat := make([]time.Duration, b.N)
			var next atomic.Int64
			var failed atomic.Value
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range *fleetWorkers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1) - 1)
						if i >= len(jobs) {
							return
						}
						t0 := time.Now()
						st, err := jobs[i].d.post(client, "http://"+addrs[i%len(addrs)], jobs[i].body)
						lat[i] = time.Since(t0)
						if err != nil || st != http.StatusOK {
							failed.Store(fmt.Sprintf("status %d, %v", st, err))
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if f := failed.Load(); f != nil {
				b.Fatalf("upload failed: %v", f)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(b.N**fleetBatch)/elapsed.Seconds(), "checkins/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
