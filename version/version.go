// Package version holds the build's version string, set by the Makefile
// through -ldflags so every binary and the status page report the same.
package version

import "runtime"

// Version is the release, overwritten at link time:
// -X github.com/scangate/scangate/version.Version=...
var Version = "dev"

// String is the one-line form printed by `scangate version`.
func String() string {
	return "scangate " + Version + " " + runtime.GOOS + "/" + runtime.GOARCH + " " + runtime.Version()
}
