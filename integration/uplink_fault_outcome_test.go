package integration_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/gate"
	"github.com/scangate/scangate/idcode"
)

// noTrust is a kiosk whose trust data is gone.
type noTrust struct{}

func (noTrust) Trust() *idcode.Trust { return nil }

// A refusal the device caused is stored, uploaded and held at the
// collector as outcome "fault" with its precise reason, beside the card
// refusals ("fail"), never as one of them.
func TestDeviceFaultRecordsReachTheCollector(t *testing.T) {
	tc := startCollector(t, nil)
	c := tc.C()
	c.CreateIssuer(t, "iss-1")
	card := c.IssueCard(t, "iss-1", "holder-1", "王*英", "elder")
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "kiosk.db"))
	g, err := gate.New(gate.Options{Ledger: ledger{st}, Trust: noTrust{}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{card.QR, "https://example.org/menu"} {
		g.Decide(context.Background(), door.Code{Text: text, Source: "camera", SeenAt: time.Now()})
	}
	d := runDevice(t, fastOptions(c.URL, tc.pub(), c.EnrollToken(t, venue), dir, st))
	d.waitDrained(t, 10*time.Second)
	vs := tc.visits(t)
	if len(vs) != 2 || vs[0].Decision != "fault" || vs[0].Reason != "trust_data_stale" || vs[0].CardID != card.CardID ||
		vs[1].Decision != "fail" || vs[1].Reason != "malformed" {
		t.Fatalf("at the collector: %+v", vs)
	}
}
