package scanner

import (
	"errors"
	"fmt"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/scangate/scangate/drivers/camera"
)

// Decoder finds and decodes one QR code in a luminance frame. It keeps its
// buffers between frames, so it is not safe for concurrent use; give each
// decoding goroutine its own.
type Decoder struct {
	reader gozxing.Reader
	lum    frameLuminance
}

// NewDecoder returns a decoder with the settings the daemon uses.
func NewDecoder() *Decoder {
	return &Decoder{reader: qrcode.NewQRCodeReader()}
}

// Decode returns the text of the QR code in f, or ErrNotFound.
func (d *Decoder) Decode(f camera.Frame) (string, error) {
	if err := checkFrame(f); err != nil {
		return "", err
	}
	d.lum.f = f
	defer func() { d.lum.f = camera.Frame{} }()
	text, err := d.try(&d.lum)
	if err == nil {
		return text, nil
	}
	text, err2 := d.try(d.lum.Invert())
	if err2 == nil {
		return text, nil
	}
	return "", err
}

func (d *Decoder) try(src gozxing.LuminanceSource) (string, error) {
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return "", fmt.Errorf("scanner: %w", err)
	}
	res, err := d.reader.Decode(bmp, nil)
	if err != nil {
		var nf gozxing.NotFoundException
		if errors.As(err, &nf) {
			return "", ErrNotFound
		}
		return "", fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return res.GetText(), nil
}
