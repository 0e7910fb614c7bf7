package door

import "time"

// Code is one decoded code, as the gate sees it. The scanner knows nothing
// of identity codes: Text is whatever the symbol or the wedge scanner held.
type Code struct {
	Text     string    // decoded text, byte-exact
	Source   string    // the configured source name, e.g. "camera0", "serial0"
	SeenAt   time.Time // when the frame was captured or the line ended
	FrameSeq uint64    // camera frame sequence; 0 for text sources
}
