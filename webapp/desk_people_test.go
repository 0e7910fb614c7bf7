package webapp

import (
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

// People in now at the collector: an exit at one kiosk frees the place of
// an entry at another; a second exit, an exit of a card that did not come
// in that day, a not-entered pass and an undone pass free or take nothing.
func TestPeopleIn(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 12, 3, 9, m, 0, 0, time.UTC) }
	vs := []collector.Visit{
		{Time: at(0), Device: "entry", Ledger: "L", Seq: 1, Decision: wire.DecisionPass, Reason: "pass", CardID: "a"},
		{Time: at(1), Device: "entry", Ledger: "L", Seq: 2, Decision: wire.DecisionPass, Reason: "pass", CardID: "b"},
		{Time: at(2), Device: "entry", Ledger: "L", Seq: 3, Decision: wire.DecisionAlreadyIn, Reason: "already_checked_in", CardID: "a"},
		{Time: at(3), Device: "entry", Ledger: "L", Seq: 4, Decision: wire.DecisionFull, Reason: "venue_full", CardID: "c"},
		{Time: at(4), Device: "desk-v", Ledger: "desk", Seq: 1, Decision: wire.DecisionPass, Reason: "no phone", Source: "manual:u1"},
		{Time: at(5), Device: "entry", Ledger: "L", Seq: 5, Decision: wire.DecisionPass, Reason: "pass", CardID: "d"},
		{Time: at(6), Device: "entry", Ledger: "L", Seq: 6, Decision: wire.DecisionNotEntered, Reason: "pass", CardID: "d"},
	}
	if n, exits := peopleIn(vs, nil); n != 3 || exits {
		t.Fatalf("before any exit: %d in, exits %v; want 3 (a, b, the manual one), no exits", n, exits)
	}
	vs = append(vs,
		collector.Visit{Time: at(7), Device: "exit", Ledger: "M", Seq: 1, Decision: wire.DecisionExit, Reason: "exit", CardID: "a"},
		collector.Visit{Time: at(8), Device: "exit", Ledger: "M", Seq: 2, Decision: wire.DecisionExit, Reason: "already_exited", CardID: "a"},
		collector.Visit{Time: at(9), Device: "exit", Ledger: "M", Seq: 3, Decision: wire.DecisionExit, Reason: "exit", CardID: "yesterday"},
		collector.Visit{Time: at(10), Device: "exit", Ledger: "M", Seq: 4, Decision: wire.DecisionExit, Reason: "revoked", CardID: "b"},
		collector.Visit{Time: at(11), Device: "exit", Ledger: "M", Seq: 5, Decision: wire.DecisionExit, Reason: "exit", CardID: "b"},
	)
	if n, exits := peopleIn(vs, nil); n != 1 || !exits {
		t.Fatalf("after exits: %d in, exits %v; want 1 (the manual one)", n, exits)
	}
	if n, _ := peopleIn(vs, map[string]bool{"desk-v/desk/1": true}); n != 0 {
		t.Fatalf("undone manual pass still counts: %d", n)
	}
}
