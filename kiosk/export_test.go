package kiosk

import (
	"image"
	"time"

	"github.com/scangate/scangate/door"
)

// Hooks for the kiosk's external tests (kiosk_test): the simulated camera
// and the decision stream the status page reads.

// ShowSim puts img in front of the simulated camera.
func ShowSim(k *Kiosk, img *image.Gray) { k.hw.simCamera.Show(img) }

// Shown is a decision and when its feedback was requested.
type Shown struct {
	door.Decision
	ShownAt time.Time
}

// SubscribeDecisions streams the kiosk's decisions until cancel is called.
func SubscribeDecisions(k *Kiosk) (<-chan Shown, func()) {
	sub, unsub := k.bus.subscribe()
	out := make(chan Shown, 4)
	done := make(chan struct{})
	go func() {
		defer close(out)
		for {
			select {
			case d := <-sub:
				out <- Shown(d)
			case <-done:
				return
			}
		}
	}()
	return out, func() { close(done); unsub() }
}
