package kiosk

import (
	"image"

	"github.com/scangate/scangate/door"
)

// Hooks for the kiosk's external tests (kiosk_test): the simulated camera
// and the decision stream the status page reads.

// ShowSim puts img in front of the simulated camera.
func ShowSim(k *Kiosk, img *image.Gray) { k.hw.simCamera.Show(img) }

// SubscribeDecisions streams the kiosk's decisions until cancel is called.
func SubscribeDecisions(k *Kiosk) (<-chan door.Shown, func()) { return k.bus.subscribe() }
