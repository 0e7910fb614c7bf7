package wire

import (
	"testing"
	"time"
)

// A kiosk's staff desk takes back a check-in with an undo record of its
// own; the collector must take it like any other decision.
func TestUndoRecordChecks(t *testing.T) {
	r := Record{Seq: 3, At: time.Unix(1_800_000_000, 0).UTC(), Source: "manual:s1", Decision: DecisionUndo,
		Reason: "undo d-1/0a1b2c3d4e5f6071/2: wrong person"}
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
}
