package scanner

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decoders registered for LoadFrame
	_ "image/jpeg"
	_ "image/png"
	"os"

	"github.com/scangate/scangate/door"

	_ "golang.org/x/image/webp"
)

// ErrNotFound reports that no code was found in a frame.
var ErrNotFound = errors.New("scanner: no code found")

// LoadFrame reads a PNG, JPEG, GIF, WebP or PGM file into a packed 8-bit
// luminance frame, the form the camera delivers. Transparent pixels are
// composited on white, as a printed card would be.
func LoadFrame(path string) (door.Frame, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return door.Frame{}, fmt.Errorf("scanner: read image: %w", err)
	}
	f, err := FrameFromBytes(data)
	if err != nil {
		return door.Frame{}, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// FrameFromBytes decodes an image file held in memory into a frame.
func FrameFromBytes(data []byte) (door.Frame, error) {
	if len(data) >= 2 && data[0] == 'P' && (data[1] == '5' || data[1] == '2') {
		pix, w, h, err := parsePGM(data)
		if err != nil {
			return door.Frame{}, err
		}
		return door.Frame{Y: pix, Width: w, Height: h, Stride: w}, nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return door.Frame{}, fmt.Errorf("scanner: decode image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > 1<<14 || cfg.Height > 1<<14 {
		return door.Frame{}, fmt.Errorf("scanner: image size %dx%d not supported", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return door.Frame{}, fmt.Errorf("scanner: decode image: %w", err)
	}
	return FrameFromImage(img), nil
}

// FrameFromImage converts an image to a packed luminance frame. Gray and
// YCbCr images give their Y plane directly; others are converted once.
func FrameFromImage(img image.Image) door.Frame {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.Gray:
		return door.Frame{Y: m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], Width: w, Height: h, Stride: m.Stride}
	case *image.YCbCr:
		return door.Frame{Y: m.Y[m.YOffset(b.Min.X, b.Min.Y):], Width: w, Height: h, Stride: m.YStride}
	}
	pix := make([]byte, w*h)
	for y := 0; y < h; y++ {
		row := pix[y*w : (y+1)*w]
		for x := range row {
			r, g, bl, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			// BT.601 luma of premultiplied colour, then composite on white.
			l := (19595*r + 38470*g + 7471*bl + 1<<15) >> 16
			l += 0xffff - a
			row[x] = byte(l >> 8)
		}
	}
	return door.Frame{Y: pix, Width: w, Height: h, Stride: w}
}

// DecodeFile decodes the QR code in an image file (PNG, JPEG, PGM, ...)
// with the same decoder and settings as the camera pipeline.
func DecodeFile(path string) (string, error) {
	f, err := LoadFrame(path)
	if err != nil {
		return "", err
	}
	return NewDecoder().Decode(f)
}
