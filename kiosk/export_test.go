package kiosk

import (
	"image"

	periphgpio "periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/scangate/scangate/door"
)

// Hooks for the kiosk's external tests (kiosk_test): the simulated camera
// and the decision stream the status page reads.

// ShowSim puts img in front of the simulated camera.
func ShowSim(k *Kiosk, img *image.Gray) { k.hw.simCamera.Show(img) }

// PressSimButton presses and releases the simulated [gpio] button.
func PressSimButton(k *Kiosk) {
	pin := k.hw.button.(*gpiotest.Pin)
	pin.EdgesChan <- periphgpio.High
	pin.EdgesChan <- periphgpio.Low
}

// SubscribeDecisions streams the kiosk's decisions until cancel is called.
func SubscribeDecisions(k *Kiosk) (<-chan door.Shown, func()) { return k.bus.subscribe() }

// IdleLines is what the door shows between cards right now.
func IdleLines(k *Kiosk) []string { return k.idleState().Message.Lines }
