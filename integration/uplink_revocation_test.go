package integration_test

import (
	"context"
	"crypto/ed25519"
	"path/filepath"
	"testing"
	"time"

	"github.com/scangate/scangate/door"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/gate"
	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/trust"
)

// ledger records the gate's check-ins in the store, as the daemon does.
type ledger struct{ st *store.Store }

func (l ledger) Record(ctx context.Context, e door.Entry) (int64, error) {
	return l.st.RecordCheckin(ctx, store.Checkin{At: e.At, BootID: "boot-test", ClockSynced: e.Synced, Source: e.Source,
		Decision: e.Outcome.String(), Reason: string(e.Reason), CardID: e.CardID, Holder: e.Holder,
		Category: e.Category, Group: e.Group, Name: e.Name})
}

func (l ledger) AdmittedSince(ctx context.Context, cardID string, since time.Time) (bool, error) {
	_, ok, err := l.st.LastPass(ctx, cardID, since)
	return ok, err
}

func (l ledger) Pseudonym(text string) string { return l.st.Pseudonym(text) }

// TestRevocationReachesDevice: a card revoked at the collector is refused
// at the door of an online kiosk within the poll interval (≤ 30 s in
// production, so well within a minute; 200 ms here).
func TestRevocationReachesDevice(t *testing.T) {
	tc := startCollector(t, nil)
	c := tc.C()
	c.CreateIssuer(t, "iss-1")
	card := c.IssueCard(t, "iss-1", "holder-1", "王*英", "elder")
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "kiosk.db"))
	src, err := trust.New(context.Background(), st, trust.Options{Pinned: []ed25519.PublicKey{tc.pub()}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	fake := clock.NewSkewed(0)
	cs := clock.NewSync(func() bool { return false }, fake.Now)
	g, err := gate.New(gate.Options{Ledger: ledger{st}, Trust: src, Clock: fake, Sync: cs, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	opts := fastOptions(c.URL, tc.pub(), c.EnrollToken(t, venue), dir, st)
	opts.Trust, opts.Clock, opts.Sync = src, fake, cs
	opts.ApplyPolicy = g.SetPolicy
	d := runDevice(t, opts)
	waitFor(t, 5*time.Second, "trust data from the bundle", func() bool { tr := src.Trust(); return tr != nil && tr.Revoked != nil })
	if _, ok := cs.SinceSync(); !ok {
		t.Fatal("the collector's signed time did not confirm the clock")
	}
	if dec := g.Decide(context.Background(), door.Code{Text: card.QR, Source: "camera", SeenAt: fake.Now()}); dec.Outcome != door.Pass {
		t.Fatalf("before revocation: %v %v", dec.Outcome, dec.Reason)
	}

	c.RevokeCard(t, card.CardID)
	revoked := time.Now()
	fake.Set(fake.Now().Add(time.Hour)) // past the duplicate window: a new decision, not "already in"
	waitFor(t, 5*time.Second, "the revocation at the door", func() bool {
		dec := g.Decide(context.Background(), door.Code{Text: card.QR, Source: "camera", SeenAt: fake.Now()})
		return dec.Outcome == door.Fail && dec.Reason == door.ReasonRevoked
	})
	took := time.Since(revoked)
	if polls := took / opts.PollInterval; polls > 3 {
		t.Fatalf("revocation took %v, %d poll intervals", took, polls)
	}
	t.Logf("revocation refused at the door %v after it was made (poll interval %v)", took.Round(time.Millisecond), opts.PollInterval)
	d.waitDrained(t, 5*time.Second)
}
