package collector_test

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
	"github.com/scangate/scangate/sync/wire"
)

var (
	ingestDevices = flag.Int("ingest.devices", 1000, "BenchmarkIngest: simulated devices")
	ingestBatch   = flag.Int("ingest.batch", 250, "BenchmarkIngest: records per batch")
	ingestWorkers = flag.Int("ingest.workers", 64, "BenchmarkIngest: concurrent uploads")
)

// ingestEnv is a collector with enrolled devices, kept across the runs of
// one sub-benchmark so enrollment is paid once.
type ingestEnv struct {
	c       *collectortest.Collector
	devs    []*testDevice
	nextSeq []uint64
	client  *http.Client
	sent    uint64 // batches sent so far, over all runs
}

func newIngestEnv(b *testing.B, be collector.Backend) *ingestEnv {
	c := collectortest.Start(b, collectortest.Options{Backend: be})
	c.CreateVenue(b, "v1")
	tr := &http.Transport{MaxIdleConnsPerHost: *ingestWorkers, MaxConnsPerHost: *ingestWorkers}
	b.Cleanup(tr.CloseIdleConnections)
	env := &ingestEnv{c: c, client: &http.Client{Transport: tr}}
	for range *ingestDevices {
		d := mustEnroll(b, c, "v1")
		d.client = env.client
		env.devs = append(env.devs, d)
		env.nextSeq = append(env.nextSeq, 1)
	}
	return env
}

// run sends n batches round-robin over the devices with ingestWorkers
// uploads in flight, and reports check-ins/s and request latency.
func (env *ingestEnv) run(b *testing.B, n int) {
	type job struct {
		dev  *testDevice
		body []byte
		last uint64
	}
	jobs := make([]job, n)
	for i := range jobs {
		k := int(env.sent+uint64(i)) % len(env.devs)
		d := env.devs[k]
		seqs := make([]uint64, *ingestBatch)
		for j := range seqs {
			seqs[j] = env.nextSeq[k]
			env.nextSeq[k]++
		}
		// Like the uplink's: the batch names the boot it was sent in and
		// the monotonic time of sending (the collector anchors the boot).
		batch := d.batch(records(seqs...))
		batch.BootID, batch.MonoNS = "boot-1", int64(time.Hour)+int64(seqs[0])*1e9
		jobs[i] = job{d, gz(b, batch), seqs[len(seqs)-1]}
	}
	env.sent += uint64(n)
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	cpu0 := processCPU()
	start := time.Now()
	for range *ingestWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				j := jobs[i]
				t0 := time.Now()
				req := gzReq(b, j.dev, j.body, t0)
				resp, err := j.dev.client.Do(req)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				resp.Body.Close()
				lat[i] = time.Since(t0)
				if resp.StatusCode != http.StatusOK {
					failed.Store(fmt.Sprintf("status %d", resp.StatusCode))
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	b.StopTimer()
	if f := failed.Load(); f != nil {
		b.Fatalf("upload failed: %v", f)
	}
	// Every device's ack must have reached its last seq: nothing lost.
	for k, d := range env.devs {
		if env.nextSeq[k] == 1 {
			continue
		}
		got, err := env.c.Backend.Device(b.Context(), d.id)
		if err != nil || got.AckSeq != env.nextSeq[k]-1 {
			b.Fatalf("device %d ack %d, want %d (%v)", k, got.AckSeq, env.nextSeq[k]-1, err)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(n**ingestBatch)/elapsed.Seconds(), "checkins/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	// Check-ins per CPU-second of this process (collector and simulated
	// devices together; PostgreSQL's own processes not counted): a figure
	// that holds when other work shares the machine.
	b.ReportMetric(float64(n**ingestBatch)/cpu.Seconds(), "checkins/cpu-s")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIngest measures collector ingest over loopback HTTP from many
// simulated devices (flags -ingest.devices, -ingest.batch,
// -ingest.workers). One op is one batch. Enrollment is done once per
// backend, before timing.
func BenchmarkIngest(b *testing.B) {
	sq := newIngestEnv(b, newSQLite(b))
	b.Run("sqlite", func(b *testing.B) { sq.run(b, b.N) })
	if os.Getenv("SCANGATE_TEST_PG_DSN") == "" {
		b.Log("postgres skipped: set SCANGATE_TEST_PG_DSN")
		return
	}
	pg := newIngestEnv(b, newPostgres(b))
	b.Run("postgres", func(b *testing.B) { pg.run(b, b.N) })
}

// BenchmarkInsertCheckins measures a backend alone, without HTTP, with
// -ingest.workers batches of -ingest.batch records in flight from
// -ingest.devices devices. One op is one batch.
func BenchmarkInsertCheckins(b *testing.B) {
	run := func(b *testing.B, be collector.Backend) {
		ctx := context.Background()
		if err := be.CreateVenue(ctx, collector.Venue{ID: "v1", Policy: wire.DefaultPolicy()}); err != nil {
			b.Fatal(err)
		}
		now := time.Now()
		devs := make([]collector.Device, *ingestDevices)
		for i := range devs {
			tok := fmt.Sprint("t", i)
			if err := be.CreateEnrollToken(ctx, collector.EnrollToken{Hash: tok, Venue: "v1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				b.Fatal(err)
			}
			pub, _, _ := ed25519.GenerateKey(nil)
			d, err := be.Enroll(ctx, tok, collector.Device{ID: fmt.Sprintf("dev-%016x", i), PublicKey: pub}, now)
			if err != nil {
				b.Fatal(err)
			}
			devs[i] = d
		}
		next := make([]uint64, len(devs))
		sent := 0
		b.Run("run", func(b *testing.B) {
			jobs := make([][]collector.Checkin, b.N)
			for i := range jobs {
				k := (sent + i) % len(devs)
				for _, r := range records(seqRange(next[k]+1, *ingestBatch)...) {
					jobs[i] = append(jobs[i], collector.Checkin{Device: devs[k].ID, Venue: "v1", Received: now, Record: r})
				}
				next[k] += uint64(*ingestBatch)
			}
			b.ResetTimer()
			start, cpu0 := time.Now(), processCPU()
			var wg sync.WaitGroup
			var idx atomic.Int64
			for range *ingestWorkers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(idx.Add(1) - 1)
						if i >= len(jobs) {
							return
						}
						k := (sent + i) % len(devs)
						if _, err := be.InsertBatch(ctx, devs[k], collector.Batch{Records: jobs[i]}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N**ingestBatch)/time.Since(start).Seconds(), "checkins/s")
			b.ReportMetric(float64(b.N**ingestBatch)/(processCPU()-cpu0).Seconds(), "checkins/cpu-s")
			sent += b.N
		})
	}
	b.Run("sqlite", func(b *testing.B) { run(b, newSQLite(b)) })
	if os.Getenv("SCANGATE_TEST_PG_DSN") != "" {
		b.Run("postgres", func(b *testing.B) { run(b, newPostgres(b)) })
	}
}

func seqRange(from uint64, n int) []uint64 {
	s := make([]uint64, n)
	for i := range s {
		s[i] = from + uint64(i)
	}
	return s
}
