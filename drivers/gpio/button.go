package gpio

import (
	"context"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// pollEdge bounds each WaitForEdge: periph's real lines wait forever on 0
// and its gpiotest pins on -1, so only a finite positive timeout behaves
// the same on both, and it lets the watch notice a cancelled context.
const pollEdge = 100 * time.Millisecond

// WatchButton calls pressed once per press (a High level after an edge,
// read through any active-low inversion) until ctx is done. Presses closer
// than debounce to the previous one are ignored as contact bounce.
func WatchButton(ctx context.Context, pin gpio.PinIn, debounce time.Duration, pressed func()) {
	var last time.Time
	wasHigh := pin.Read() == gpio.High
	for ctx.Err() == nil {
		if !pin.WaitForEdge(pollEdge) {
			continue
		}
		high := pin.Read() == gpio.High
		if high && !wasHigh && time.Since(last) >= debounce {
			last = time.Now()
			pressed()
		}
		wasHigh = high
	}
}
