//go:build race

package scanner

// raceEnabled: the race detector slows decoding about tenfold; the
// single-goroutine corpus tests then run in plain go test only.
const raceEnabled = true
