//go:build kiosk

package main

import (
	"maps"
	"slices"
	"testing"
)

// The kiosk image's CLI carries the kiosk's commands and nothing of the
// administrators' (issuing, keys, the collector).
func TestKioskBuildCommands(t *testing.T) {
	got := slices.Sorted(maps.Keys(commands))
	want := []string{"cameras", "decode", "hash-password", "present", "selftest", "status", "verify", "version"}
	if !slices.Equal(got, want) {
		t.Fatalf("kiosk build commands %v, want %v", got, want)
	}
}
