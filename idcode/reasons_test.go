package idcode_test

import (
	"testing"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/internal/constcheck"
)

func TestReasonsListsEveryConstant(t *testing.T) {
	var listed []string
	for _, r := range idcode.Reasons() {
		listed = append(listed, string(r))
	}
	missing, extra, err := constcheck.Listed(".", "Reason", listed)
	if err != nil || len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("idcode.Reasons() misses %v, lists unknown %v (%v)", missing, extra, err)
	}
}
