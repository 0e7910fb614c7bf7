package kiosk_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/kiosk"
	"github.com/scangate/scangate/kiosk/kiosktest"
)

// Housekeeping runs on the kiosk's clock, beside the door: the WAL is
// checkpointed once the door has been idle for 5 s of that clock, not
// before, and no real time needs to pass for it.
func TestIdleCheckpointOnTheKiosksClock(t *testing.T) {
	dir := t.TempDir()
	is := kiosktest.NewIssuer(t, t.TempDir())
	text, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	clk := clock.NewFake(time.Now())
	r := kiosktest.StartWith(t, kiosk.Options{Config: config.Default(), DataDir: dir, TrustFile: is.TrustPath, Clock: clk})
	if res := r.Present(t, control.PresentRequest{Text: text}); res.Decision != "pass" {
		t.Fatalf("card: %+v", res)
	}
	wal := filepath.Join(dir, kiosk.DBName+"-wal")
	walSize := func() int64 {
		fi, err := os.Stat(wal)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	if walSize() == 0 {
		t.Fatal("the check-in left nothing in the WAL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Housekeeping's ticker and the door loop's are armed.
	if err := clk.BlockUntil(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for range 3 { // 3 s of the kiosk's clock: not idle long enough
		clk.Advance(time.Second)
	}
	time.Sleep(50 * time.Millisecond) // let housekeeping run its turn, if it (wrongly) would
	if walSize() == 0 {
		t.Fatal("checkpointed before the door was idle for 5 s")
	}
	kiosktest.WaitFor(t, 5*time.Second, "the idle checkpoint", func() bool {
		clk.Advance(time.Second)
		return walSize() == 0
	})
}
