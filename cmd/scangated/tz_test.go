package main

import (
	"os/exec"
	"strings"
	"testing"
)

// device.timezone must load on an image without /usr/share/zoneinfo: the
// daemon embeds Go's zone data.
func TestZoneDataEmbedded(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	if !strings.Contains("\n"+string(out), "\ntime/tzdata\n") {
		t.Fatal("scangated does not link time/tzdata")
	}
}
