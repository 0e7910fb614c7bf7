package wire

import (
	"testing"
	"time"
)

// A kiosk's relay sensor marks an admission not entered with a record of
// its own; the collector must take it like any other decision.
func TestNotEnteredRecordChecks(t *testing.T) {
	r := Record{Seq: 2, At: time.Unix(1_800_000_000, 0).UTC(), Source: "camera0", Decision: DecisionNotEntered, Reason: "pass", CardID: "ab"}
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
	r.Decision = "not_seen"
	if err := r.Check(); err == nil {
		t.Error("an unknown decision passed")
	}
}
