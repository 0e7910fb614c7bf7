package display_test

import (
	"github.com/scangate/scangate/display"
	"github.com/scangate/scangate/drivers/gpio"
	"github.com/scangate/scangate/drivers/lcd"
)

// The drivers implement the display's interfaces without importing it;
// these assertions catch a signature drifting on either side.
var (
	_ display.Lights = (*gpio.Outputs)(nil)
	_ display.Buzzer = (*gpio.Outputs)(nil)
	_ display.Screen = (*lcd.HD44780)(nil)
	_ display.Screen = (*lcd.Framebuffer)(nil)
	_ display.Screen = (*lcd.OLED)(nil)
	_ display.Lights = (*display.Terminal)(nil)
	_ display.Buzzer = (*display.Terminal)(nil)
	_ display.Screen = (*display.Terminal)(nil)
	_ display.Screen = (*display.Recorder)(nil)
)
