package constcheck

import (
	"slices"
	"testing"
)

// A list that leaves a constant out, or names one that is not declared,
// is caught (door's reasons as the sample).
func TestListedCatchesGaps(t *testing.T) {
	missing, extra, err := Listed("../../door", "Reason", []string{"pass", "bogus"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(missing, "revoked") || slices.Contains(missing, "pass") || !slices.Equal(extra, []string{"bogus"}) {
		t.Fatalf("missing %v, extra %v", missing, extra)
	}
}
