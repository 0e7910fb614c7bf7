package door_test

import (
	"slices"
	"testing"

	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/internal/constcheck"
)

func TestReasonsListsEveryConstant(t *testing.T) {
	declared, err := constcheck.Values(".", "Reason")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, r := range door.Reasons() {
		listed = append(listed, string(r))
	}
	slices.Sort(declared)
	slices.Sort(listed)
	if !slices.Equal(declared, listed) {
		t.Fatalf("door.Reasons() %v, declared %v", listed, declared)
	}
}
