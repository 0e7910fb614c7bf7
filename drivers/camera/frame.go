package camera

import "time"

// Frame is one captured luminance (Y) plane. Row y starts at Y[y*Stride];
// Stride may exceed Width (driver padding). Y aliases the driver's mapped
// buffer: it is valid only until the release func returned with the frame
// is called, and must not be written.
type Frame struct {
	Y             []byte
	Width, Height int
	Stride        int
	Seq           uint64    // driver sequence number; gaps mean dropped frames
	At            time.Time // capture time
}
