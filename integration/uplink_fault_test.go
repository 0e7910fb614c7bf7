package integration_test

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/sync/faultproxy"
)

func isCheckins(head []byte) bool { return bytes.HasPrefix(head, []byte("POST /v1/checkins ")) }

// TestFaultMatrix runs one kiosk through every network fault in turn, with
// check-ins arriving during each, and then checks that every check-in
// arrived exactly once and the outbox is empty.
func TestFaultMatrix(t *testing.T) {
	tc := startCollector(t, nil)
	px := newProxy(t, tc.addr())
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "kiosk.db"))
	d := runDevice(t, fastOptions(px.URL(), tc.pub(), tc.C().EnrollToken(t, venue), dir, st))
	waitFor(t, 5*time.Second, "enrollment", func() bool { return d.up.Status().Enrolled })

	var rmu sync.Mutex
	rnd := rand.New(rand.NewPCG(1, 2))
	coin := func(p float64) bool {
		rmu.Lock()
		defer rmu.Unlock()
		return rnd.Float64() < p
	}
	intn := func(n int) int {
		rmu.Lock()
		defer rmu.Unlock()
		return rnd.IntN(n)
	}
	total := 0
	phases := []struct {
		name  string
		per   int
		under time.Duration // how long the fault lasts after the records are in
		set   func()
		clear func()
		check func(t *testing.T, before, after faultproxy.Stats)
	}{
		{name: "collector down", per: 600, under: 300 * time.Millisecond,
			set: func() { px.SetDown(true) }, clear: func() { px.SetDown(false) },
			check: func(t *testing.T, b, a faultproxy.Stats) {
				if a.Refused == b.Refused {
					t.Error("no connection was refused")
				}
			}},
		{name: "500s", per: 600, under: 300 * time.Millisecond,
			set: func() {
				px.SetPlan(func(int64, []byte) faultproxy.Fault { return faultproxy.Fault{Respond: faultproxy.Response500} })
			},
			check: func(t *testing.T, b, a faultproxy.Stats) {
				if a.Canned == b.Canned {
					t.Error("no 500 was answered")
				}
			}},
		{name: "slow responses", per: 600, under: 600 * time.Millisecond,
			set: func() {
				// 10 s at the real timeout of 20 s, scaled: some answers
				// come after the timeout, some just before it.
				px.SetPlan(func(n int64, _ []byte) faultproxy.Fault {
					if n%2 == 0 {
						return faultproxy.Fault{Delay: time.Second}
					}
					return faultproxy.Fault{Delay: 200 * time.Millisecond}
				})
			},
			check: func(t *testing.T, b, a faultproxy.Stats) {
				if a.Delayed == b.Delayed {
					t.Error("no answer was delayed")
				}
			}},
		{name: "cut mid-request", per: 600, under: 300 * time.Millisecond,
			set: func() {
				px.SetPlan(func(_ int64, head []byte) faultproxy.Fault {
					if isCheckins(head) && coin(0.6) {
						return faultproxy.Fault{CutRequestAfter: 1 + intn(3000)}
					}
					return faultproxy.Fault{}
				})
			},
			check: func(t *testing.T, b, a faultproxy.Stats) {
				if a.CutRequests == b.CutRequests {
					t.Error("no request was cut")
				}
			}},
		{name: "cut mid-response", per: 600, under: 300 * time.Millisecond,
			set: func() {
				px.SetPlan(func(_ int64, head []byte) faultproxy.Fault {
					if coin(0.6) {
						return faultproxy.Fault{CutResponse: true, CutResponseAfter: 1 + intn(200)}
					}
					return faultproxy.Fault{}
				})
			},
			check: func(t *testing.T, b, a faultproxy.Stats) {
				if a.CutResponses == b.CutResponses {
					t.Error("no response was cut")
				}
			}},
		{name: "ack lost after commit", per: 600, under: 300 * time.Millisecond,
			set: func() {
				px.SetPlan(func(_ int64, head []byte) faultproxy.Fault {
					if isCheckins(head) && coin(0.7) {
						return faultproxy.Fault{CutResponse: true}
					}
					return faultproxy.Fault{}
				})
			},
			check: func(t *testing.T, b, a faultproxy.Stats) {
				if a.CutResponses == b.CutResponses {
					t.Error("no ack was lost")
				}
			}},
		{name: "collector restarted", per: 600, under: 0,
			set: func() {
				tc.restart()
				px.SetTarget(tc.addr())
				px.CutAll()
			}},
		{name: "everything at random", per: 1500, under: 1500 * time.Millisecond,
			set: func() {
				px.SetPlan(func(_ int64, head []byte) faultproxy.Fault {
					if !coin(0.4) {
						return faultproxy.Fault{}
					}
					switch intn(6) {
					case 0:
						return faultproxy.Fault{Refuse: true}
					case 1:
						return faultproxy.Fault{Respond: faultproxy.Response500}
					case 2:
						return faultproxy.Fault{Delay: time.Second}
					case 3:
						return faultproxy.Fault{CutRequestAfter: 1 + intn(3000)}
					case 4:
						return faultproxy.Fault{CutResponse: true, CutResponseAfter: intn(200)}
					default:
						return faultproxy.Fault{CutResponse: true}
					}
				})
			}},
	}
	for _, ph := range phases {
		before := px.Stats()
		ph.set()
		record(t, st, ph.per, nil)
		total += ph.per
		time.Sleep(ph.under)
		if ph.clear != nil {
			ph.clear()
		}
		px.SetPlan(nil)
		start := time.Now()
		d.waitDrained(t, 20*time.Second)
		after := px.Stats()
		if ph.check != nil {
			ph.check(t, before, after)
		}
		t.Logf("%-22s %4d records, drained %v after the fault; proxy %+v", ph.name, ph.per, time.Since(start).Round(time.Millisecond), after)
	}
	checkExactlyOnce(t, tc, st, total)
	if s := d.up.Status(); s.Uploaded != uint64(total) || s.OutboxDepth != 0 {
		t.Fatalf("status after the matrix: %+v", s)
	}
}

// TestRetryAfter checks that a 503's Retry-After holds the uplink back
// longer than its own backoff would. The uplink waits on a fake clock that
// the test moves on: each gap is measured in the uplink's own time, so a
// slow host cannot make it pass or fail.
func TestRetryAfter(t *testing.T) {
	tc := startCollector(t, nil)
	px := newProxy(t, tc.addr())
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "kiosk.db"))
	fc := clock.NewFake(time.Now())
	opts := fastOptions(px.URL(), tc.pub(), tc.C().EnrollToken(t, venue), dir, st)
	opts.Clock = fc
	d := runDevice(t, opts)
	pump(t, fc, "enrollment", func() bool { return d.up.Status().Enrolled })
	var mu sync.Mutex
	var posts []time.Time
	px.SetPlan(func(_ int64, head []byte) faultproxy.Fault {
		if !isCheckins(head) {
			return faultproxy.Fault{}
		}
		mu.Lock()
		posts = append(posts, fc.Now())
		mu.Unlock()
		return faultproxy.Fault{Respond: faultproxy.Response503} // Retry-After: 1
	})
	record(t, st, 10, nil)
	pump(t, fc, "four refused uploads", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(posts) >= 4
	})
	px.SetPlan(nil)
	pump(t, fc, "the outbox drained", func() bool { return d.up.Status().OutboxDepth == 0 })
	mu.Lock()
	defer mu.Unlock()
	// Without Retry-After the backoff (10..150 ms) would retry at once.
	for i := 1; i < len(posts); i++ {
		if gap := posts[i].Sub(posts[i-1]); gap < time.Second {
			t.Fatalf("upload %d retried after %v despite Retry-After: 1", i, gap)
		}
	}
	checkExactlyOnce(t, tc, st, 10)
}

// pump moves the fake clock on in small steps until cond holds: the
// uplink's waits pass in fake time while its requests take real time.
func pump(t testing.TB, fc *clock.Fake, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (fake time %v)", what, fc.Now())
		}
		fc.Advance(20 * time.Millisecond)
		time.Sleep(time.Millisecond) // let the uplink's goroutine run
	}
}
