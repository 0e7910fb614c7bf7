package idcode_test

import (
	"slices"
	"testing"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/internal/constcheck"
)

func TestReasonsListsEveryConstant(t *testing.T) {
	declared, err := constcheck.Values(".", "Reason")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, r := range idcode.Reasons() {
		listed = append(listed, string(r))
	}
	slices.Sort(declared)
	slices.Sort(listed)
	if !slices.Equal(declared, listed) {
		t.Fatalf("idcode.Reasons() %v, declared %v", listed, declared)
	}
}
