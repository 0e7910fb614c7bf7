package uplink

import (
	"testing"

	"github.com/scangate/scangate/sync/wire"
)

// The venue's capacity reaches the gate's policy.
func TestVenuePolicyCarriesCapacity(t *testing.T) {
	p := wire.DefaultPolicy()
	p.Capacity = 80
	if got := venuePolicy(p); got.Capacity != 80 {
		t.Fatalf("capacity %d, want 80", got.Capacity)
	}
}

// An exit or a full-venue refusal uploads as itself, never as a fault.
func TestRepairKeepsExitAndFull(t *testing.T) {
	for _, d := range []string{wire.DecisionExit, wire.DecisionFull} {
		w := wire.Record{Decision: d, Reason: "exit"}
		repair(&w)
		if w.Decision != d {
			t.Errorf("%s repaired to %s", d, w.Decision)
		}
	}
}
