package kiosk

import (
	"context"
	"time"

	"github.com/scangate/scangate/drivers/gpio"
)

// buttonDebounce ignores contact bounce and a hand resting on the button.
const buttonDebounce = 300 * time.Millisecond

// watchButton gives [gpio] button its job: a press repeats the last
// message (screen, lights and sound, voice) for someone who missed or did
// not understand it. Nothing is decided or recorded.
func (k *Kiosk) watchButton(ctx context.Context) {
	if k.hw.button == nil {
		return
	}
	gpio.WatchButton(ctx, k.hw.button, buttonDebounce, func() {
		if !k.display.Repeat() {
			k.log.Debug("kiosk: button pressed, nothing to repeat")
			return
		}
		k.log.Info("kiosk: button pressed, last message repeated")
	})
}
