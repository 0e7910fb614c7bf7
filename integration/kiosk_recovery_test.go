package integration_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scangate/scangate/kiosk"
	"github.com/scangate/scangate/kiosk/kiosktest"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
)

// switchable is a reverse proxy to the collector that can be unplugged, as
// a venue's network is.
type switchable struct {
	*httptest.Server
	down atomic.Bool
}

func newSwitchable(t *testing.T, target string) *switchable {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	s := &switchable{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.down.Load() {
			http.Error(w, "unplugged", http.StatusServiceUnavailable)
			return
		}
		p.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// visitsByCard counts the collector's records per card id.
func visitsByCard(t *testing.T, c *collectortest.Collector) map[string]int {
	t.Helper()
	from, to := time.Now().Add(-24*time.Hour), time.Now().Add(time.Hour)
	q := "?from=" + url.QueryEscape(from.Format(time.RFC3339)) + "&to=" + url.QueryEscape(to.Format(time.RFC3339))
	var vs []collector.Visit
	c.Admin(t, "GET", "/v1/admin/venues/lib-7/visits"+q, nil, &vs)
	n := map[string]int{}
	for _, v := range vs {
		n[v.CardID]++
	}
	return n
}

// After the kiosk's database is lost (deleted — which is also an SD card
// replaced with the device key and enrollment file copied over —, garbage,
// a corrupt page),
// every check-in made afterwards reaches the collector exactly once, the
// queued check-ins that could be read are salvaged and arrive once too, and
// nothing the collector already held is overwritten or duplicated.
func TestCheckinsAfterDatabaseLossReachCollectorOnce(t *testing.T) {
	for _, damage := range []string{"deleted", "garbage", "corrupt page"} {
		t.Run(damage, func(t *testing.T) {
			c := collectortest.Start(t, collectortest.Options{})
			c.CreateVenue(t, "lib-7")
			c.CreateIssuer(t, "iss-1")
			var cards []collector.CardResponse
			for i := range 10 {
				cards = append(cards, c.IssueCard(t, "iss-1", fmt.Sprintf("holder-%d", i), "王秀英", "elder"))
			}
			net := newSwitchable(t, c.URL)
			dir := t.TempDir()
			cfg := config.Default()
			cfg.Uplink = config.Uplink{Enabled: true, URL: net.URL, EnrollToken: c.EnrollToken(t, "lib-7"),
				CollectorKey: base64.StdEncoding.EncodeToString(c.PublicKey()), PollInterval: config.Duration{Duration: time.Second}}
			want := map[string]int{}
			pass := func(r *kiosktest.Running, card collector.CardResponse) {
				t.Helper()
				if res := r.Present(t, control.PresentRequest{Text: card.QR}); res.Decision != "pass" {
					t.Fatalf("card %s: %+v", card.CardID, res)
				}
				want[card.CardID]++
			}
			waitTrusted := func(r *kiosktest.Running) {
				t.Helper()
				kiosktest.WaitFor(t, 15*time.Second, "enrolled with trust data", func() bool {
					st, err := r.Client.Status(context.Background())
					return err == nil && st.Uplink != nil && st.Uplink.Enrolled && !st.Trust.Stale
				})
			}
			r := kiosktest.Start(t, dir, cfg, "")
			waitTrusted(r)
			for _, card := range cards[:4] {
				pass(r, card)
			}
			kiosktest.WaitFor(t, 15*time.Second, "first check-ins uploaded", func() bool { return len(visitsByCard(t, c)) == 4 })

			// Offline: check-ins queue up, then the database is damaged.
			net.down.Store(true)
			pass(r, cards[4])
			r.Stop()
			path := filepath.Join(dir, kiosk.DBName)
			queued := addQueued(t, path, 120)
			lostCard := "" // a queued check-in on the page that is damaged
			switch damage {
			case "deleted":
				for _, sfx := range []string{"", "-wal", "-shm"} {
					os.Remove(path + sfx)
				}
				queued, want = nil, without(want, cards[4].CardID)
			case "garbage":
				os.WriteFile(path, bytes.Repeat([]byte("not a database "), 4000), 0o600)
				os.Remove(path + "-wal")
				queued, want = nil, without(want, cards[4].CardID)
			case "corrupt page":
				lostCard = queued[60]
				corruptPageHolding(t, path, []byte(lostCard+"h-queued"))
			}

			net.down.Store(false)
			r = kiosktest.Start(t, dir, cfg, "")
			waitTrusted(r)
			for _, card := range cards[5:] {
				pass(r, card)
			}
			st, _ := r.Client.Status(context.Background())
			if len(st.Store.Recoveries) != map[bool]int{true: 0, false: 1}[damage == "deleted"] {
				t.Errorf("status recoveries %+v", st.Store.Recoveries)
			}
			kiosktest.WaitFor(t, 20*time.Second, "outbox drained and the new check-ins at the collector", func() bool {
				st, _ := r.Client.Status(context.Background())
				got := visitsByCard(t, c)
				for _, card := range cards[5:] {
					if got[card.CardID] == 0 {
						return false
					}
				}
				return st.Store.OutboxDepth == 0
			})
			got := visitsByCard(t, c)
			for id, n := range want {
				if got[id] != n {
					t.Errorf("card %s: %d at the collector, want %d", id, got[id], n)
				}
			}
			lost := 0
			for _, id := range queued {
				switch got[id] {
				case 0:
					lost++
				case 1:
				default:
					t.Errorf("queued %s: %d at the collector", id, got[id])
				}
			}
			for id, n := range got {
				if want[id] == 0 && !isQueued(queued, id) {
					t.Errorf("card %s: %d at the collector, never made", id, n)
				}
			}
			if damage == "corrupt page" {
				rs := st.Store.Recoveries
				if got[lostCard] != 0 || lost == 0 || lost > 60 || len(rs) != 1 || rs[0].Lost < int64(lost) ||
					rs[0].Salvaged+rs[0].Lost != int64(len(queued)+1) {
					t.Errorf("%d of %d queued lost at the collector, status says %+v", lost, len(queued), rs)
				}
			}
			t.Logf("%s: %d queued, %d lost with the damage, %d made after, each at the collector once",
				damage, len(queued), lost, len(cards[5:]))
		})
	}
}

// addQueued stores n queued check-ins in the stopped kiosk's database, as
// a long offline spell would, and returns their card ids in seq order.
func addQueued(t *testing.T, path string, n int) []string {
	t.Helper()
	st, err := store.Open(path, store.Options{Logger: kiosktest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ids []string
	for i := range n {
		id := fmt.Sprintf("%032x", 0xfeed0000+i)
		if _, err := st.RecordCheckin(context.Background(), store.Checkin{At: time.Now(), Source: "serial0",
			Decision: "pass", Reason: "valid", CardID: id, Holder: "h-queued", Category: "elder"}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func corruptPageHolding(t *testing.T, path string, needle []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, needle)
	if i < 0 {
		t.Fatalf("%q not in the database file", needle)
	}
	page := i / 4096
	copy(b[page*4096:(page+1)*4096], bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 1024))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func without(m map[string]int, id string) map[string]int {
	delete(m, id)
	return m
}

func isQueued(ids []string, id string) bool {
	for _, q := range ids {
		if q == id {
			return true
		}
	}
	return false
}
