package door

import "time"

// Frame is one captured luminance (Y) plane. Row y starts at Y[y*Stride];
// Stride may exceed Width (driver padding). Y may alias a driver's mapped
// buffer: it is valid only until the frame is released, and must not be
// written.
type Frame struct {
	Y             []byte
	Width, Height int
	Stride        int
	Seq           uint64    // driver sequence number; gaps mean dropped frames
	At            time.Time // capture time
}
