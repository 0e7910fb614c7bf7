package gate

import (
	"testing"

	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/idcode"
)

// Every verdict idcode can give has its own door reason: a new idcode
// reason fails here until it is mapped (idcode's own test keeps
// idcode.Reasons complete).
func TestEveryVerdictMapsToItsOwnReason(t *testing.T) {
	seen := map[door.Reason]idcode.Reason{}
	known := map[door.Reason]bool{}
	for _, r := range door.Reasons() {
		known[r] = true
	}
	for _, v := range idcode.Reasons() {
		r, ok := verdictReason(v)
		if !ok || !known[r] {
			t.Errorf("verdict %q maps to %q (known %v)", v, r, ok)
		}
		if prev, dup := seen[r]; dup {
			t.Errorf("verdicts %q and %q both map to %q", prev, v, r)
		}
		seen[r] = v
	}
	if _, ok := verdictReason("brand_new"); ok {
		t.Error("an unknown verdict mapped as known")
	}
}
