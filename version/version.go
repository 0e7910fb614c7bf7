// Package version holds the build's version string, set by the Makefile
// through -ldflags so every binary and the status page report the same.
package version

import (
	"os"
	"runtime"
	"strings"
)

// Version is the release, overwritten at link time:
// -X github.com/scangate/scangate/version.Version=...
var Version = "dev"

// String is the one-line form printed by `scangate version`.
func String() string {
	return "scangate " + Version + " " + runtime.GOOS + "/" + runtime.GOARCH + " " + runtime.Version()
}

// CmdlinePath is where the kernel tells the booted slot; a variable for
// tests.
var CmdlinePath = "/proc/cmdline"

// BootedSlot is the root slot the boot script started ("A" or "B", from
// rauc.slot= on the kernel command line), or "" when not booted from a
// slot (a development machine, the simulator).
func BootedSlot() string {
	b, err := os.ReadFile(CmdlinePath)
	if err != nil {
		return ""
	}
	return SlotOf(string(b))
}

// SlotOf reads rauc.slot= from a kernel command line; the last one wins,
// as the kernel's own parameters do.
func SlotOf(cmdline string) string {
	slot := ""
	for _, f := range strings.Fields(cmdline) {
		if v, ok := strings.CutPrefix(f, "rauc.slot="); ok && len(v) <= 16 {
			slot = v
		}
	}
	return slot
}
