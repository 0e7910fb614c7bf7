package store_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/scangate/scangate/store"
)

// The gate records a decision, then the uplink drains and acknowledges it.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "scangate")
	defer os.RemoveAll(dir)
	s, err := store.Open(filepath.Join(dir, "scangate.db"), store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	boot, _ := store.CurrentBootID()
	mono, _ := store.SinceBoot()
	seq, err := s.RecordCheckin(ctx, store.Checkin{
		At: time.Now(), BootID: boot, Mono: mono, ClockSynced: true,
		Source: "camera0", Decision: store.DecisionPass, Reason: "pass",
		CardID: "3f9a1c", Holder: "h-1", Category: "elder", Name: "王*英",
	})
	if err != nil {
		// errors.Is(err, store.ErrFull) etc.: show "device fault".
		log.Fatal(err)
	}
	// Only now may the door signal pass.

	recs, _ := s.Outbox(ctx, 500, 256<<10)
	n, _ := s.Ack(ctx, recs[len(recs)-1].Seq)
	fmt.Println(seq, len(recs), n, s.Health().State)
	// Output: 1 1 1 ok
}
