package lcd

import (
	"fmt"
	"image"
	"image/color"
	"sync"

	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/devices/v3/ssd1306"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// OLED is an SSD1306 128×64 monochrome display (address 0x3C) drawing the
// same CJK text as the framebuffer, thresholded to one bit per pixel.
type OLED struct {
	dev  display.Drawer
	text *TextRenderer

	mu   sync.Mutex
	gray *image.RGBA
	bits *image1bit.VerticalLSB
}

// NewOLED initialises the SSD1306 on bus.
func NewOLED(bus i2c.Bus) (*OLED, error) {
	dev, err := ssd1306.NewI2C(bus, &ssd1306.DefaultOpts)
	if err != nil {
		return nil, fmt.Errorf("lcd: ssd1306: %w", err)
	}
	return newOLED(dev), nil
}

func newOLED(dev display.Drawer) *OLED {
	r := dev.Bounds()
	return &OLED{
		dev: dev,
		// Bigger fractions than a framebuffer: at 64 px, smaller CJK is unreadable.
		text: NewTextRenderer(0.30, 0.20),
		gray: image.NewRGBA(r),
		bits: image1bit.NewVerticalLSB(r),
	}
}

// ShowText draws lines white on black; the panel has one colour, so bg is
// not shown.
func (o *OLED) ShowText(_ color.Color, lines []string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.text.Render(o.gray, color.Black, lines); err != nil {
		return err
	}
	Threshold(o.bits, o.gray)
	if err := o.dev.Draw(o.bits.Rect, o.bits, image.Point{}); err != nil {
		return fmt.Errorf("lcd: ssd1306 draw: %w", err)
	}
	return nil
}

// Threshold sets each bit of dst where src's green channel is at least
// half on: antialiased glyph edges become whole pixels or nothing.
func Threshold(dst *image1bit.VerticalLSB, src *image.RGBA) {
	b := dst.Rect.Intersect(src.Rect)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dst.SetBit(x, y, image1bit.Bit(src.Pix[src.PixOffset(x, y)+1] >= 0x80))
		}
	}
}

// Halt switches the panel off.
func (o *OLED) Halt() error { return o.dev.Halt() }
