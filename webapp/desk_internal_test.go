package webapp

import (
	"slices"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

// Only a refusal counts as refused; "did not enter" notes and undos are
// listed, never counted as check-ins.
func TestSummariseCounts(t *testing.T) {
	loc := time.UTC
	now := time.Date(2026, 12, 3, 10, 30, 0, 0, loc)
	at := func(h, m int) time.Time { return time.Date(2026, 12, 3, h, m, 0, 0, loc) }
	vs := []collector.Visit{
		{Time: at(8, 0), Device: "k", Ledger: "L", Seq: 1, Venue: "v", Decision: wire.DecisionPass, Reason: "pass"},
		{Time: at(8, 1), Device: "k", Ledger: "L", Seq: 2, Venue: "v", Decision: wire.DecisionAlreadyIn, Reason: "already_checked_in"},
		{Time: at(8, 2), Device: "k", Ledger: "L", Seq: 3, Venue: "v", Decision: wire.DecisionNotEntered, Reason: "pass"},
		{Time: at(10, 5), Device: "k", Ledger: "L", Seq: 4, Venue: "v", Decision: wire.DecisionFail, Reason: "revoked"},
		{Time: at(10, 6), Device: "k", Ledger: "L", Seq: 5, Venue: "v", Decision: wire.DecisionFault, Reason: "trust_data_stale"},
		{Time: at(10, 6), Device: "k", Ledger: "L", Seq: 8, Venue: "v", Decision: wire.DecisionFull, Reason: "venue_full"},
		{Time: at(10, 7), Device: "k", Ledger: "L", Seq: 6, Venue: "v", Decision: wire.DecisionPass, Reason: "typed", Source: "manual:u1"},
		{Time: at(10, 8), Device: "k", Ledger: "L", Seq: 7, Venue: "v", Decision: decisionUndo, Reason: undoReason("k/L/6", "mistake")},
	}
	d := summarise(vs, loc, now, "15:04")
	if d.Today != 5 || d.Hour != 3 {
		t.Errorf("today %d, hour %d; want 5 (pass, already, three refusals) and 3", d.Today, d.Hour)
	}
	want := []reasonCount{{"revoked", 1}, {"trust_data_stale", 1}, {"venue_full", 1}}
	if !slices.Equal(d.Refused, want) {
		t.Errorf("refused %v, want %v (already and not_entered are no refusals)", d.Refused, want)
	}
	if len(d.Rows) != 8 || !d.Rows[1].Manual || !d.Rows[1].Undone || !d.Rows[0].UndoEntry {
		t.Errorf("rows: %+v; want all seven, the kiosk's manual one marked manual and undone", d.Rows)
	}
}

// A typed name is always kept masked, however it was typed.
func TestMaskTyped(t *testing.T) {
	for in, want := range map[string]string{"孙秀兰": "孙*兰", " 孙*兰 ": "孙*兰", "王秀英*": "王***", "孙*": "孙*", "John Smith": "J*** S****"} {
		if got := maskTyped(in); got != want {
			t.Errorf("maskTyped(%q) = %q, want %q", in, got, want)
		}
	}
}
