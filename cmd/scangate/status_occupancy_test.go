package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/scangate/scangate/control"
)

// With exits or a capacity the console says who is inside; without, nothing.
func TestPrintStatusOccupancy(t *testing.T) {
	var b bytes.Buffer
	printStatus(&b, control.Status{Occupancy: &control.OccupancyStatus{PeopleIn: 37, Capacity: 40, Exits: []string{"serial0"}}})
	if !strings.Contains(b.String(), "people:   37 in now of capacity 40, exits serial0") {
		t.Errorf("status lacks the people line:\n%s", b.String())
	}
	b.Reset()
	printStatus(&b, control.Status{})
	if strings.Contains(b.String(), "people:") {
		t.Errorf("a kiosk without exits or capacity shows people:\n%s", b.String())
	}
}
