package lcd

import (
	"bytes"
	"image/color"
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

func TestOLEDShowText(t *testing.T) {
	rec := &i2ctest.Record{}
	o, err := NewOLED(rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Ops) != 1 || rec.Ops[0].Addr != 0x3c || rec.Ops[0].W[0] != 0x00 {
		t.Fatalf("init: %v", rec.Ops)
	}
	rec.Ops = nil
	if err := o.ShowText(red, []string{"无效码", "Invalid", "已过期", "Expired"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "oled_fail.png", o.bits)
	// The panel received the thresholded image, page by page: a command
	// setting page and column, then 0x40 and the page's bytes.
	var sent []byte
	for _, op := range rec.Ops {
		if op.W[0] == 0x40 {
			sent = append(sent, op.W[1:]...)
		}
	}
	if len(sent) == 0 || !bytes.Contains(o.bits.Pix, sent[:16]) {
		t.Errorf("data sent to the panel (%d bytes) is not the rendered image", len(sent))
	}
	lit := 0
	for _, b := range o.bits.Pix {
		for ; b != 0; b &= b - 1 {
			lit++
		}
	}
	if lit < 300 || lit > 128*64/2 {
		t.Errorf("%d pixels lit: text missing or background drawn", lit)
	}
}

func TestThreshold(t *testing.T) {
	r := NewTextRenderer(0.5, 0.3)
	o := newOLEDForTest()
	if err := r.Render(o.gray, color.Black, []string{"王*英"}); err != nil {
		t.Fatal(err)
	}
	Threshold(o.bits, o.gray)
	for y := 0; y < 64; y++ {
		for x := 0; x < 128; x++ {
			want := o.gray.RGBAAt(x, y).G >= 0x80
			if bool(o.bits.BitAt(x, y)) != want {
				t.Fatalf("bit %d,%d = %v, want %v", x, y, o.bits.BitAt(x, y), want)
			}
		}
	}
}

func newOLEDForTest() *OLED {
	o, _ := NewOLED(&i2ctest.Record{})
	o.bits = image1bit.NewVerticalLSB(o.bits.Rect)
	return o
}
