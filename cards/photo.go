package cards

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // holder photos arrive as JPEG or PNG
	_ "image/png"

	"golang.org/x/image/draw"
)

// maxPhotoPixels bounds the decoded photo so a mistaken 100-megapixel file
// fails clearly instead of exhausting memory on a small machine.
const maxPhotoPixels = 40_000_000

// preparePhoto decodes a JPEG or PNG photo, crops it to the aspect of box
// (keeping the upper middle, where a face usually is) and scales it to box's
// size in 300 dpi pixels.
func preparePhoto(data []byte, box image.Rectangle) (*image.RGBA, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("cards: photo is not a JPEG or PNG image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPhotoPixels {
		return nil, fmt.Errorf("cards: photo is %d×%d pixels; use one under %d megapixels", cfg.Width, cfg.Height, maxPhotoPixels/1_000_000)
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("cards: decode %s photo: %w", format, err)
	}
	sb := src.Bounds()
	bw, bh := box.Dx(), box.Dy()
	// Crop to the box aspect: cut the sides of wide photos evenly, and take
	// tall photos from a fifth of the spare height down, keeping the head.
	crop := sb
	if sb.Dx()*bh > sb.Dy()*bw {
		w := sb.Dy() * bw / bh
		crop.Min.X += (sb.Dx() - w) / 2
		crop.Max.X = crop.Min.X + w
	} else {
		h := sb.Dx() * bh / bw
		crop.Min.Y += (sb.Dy() - h) / 5
		crop.Max.Y = crop.Min.Y + h
	}
	dst := image.NewRGBA(image.Rect(0, 0, bw, bh))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, crop, draw.Src, nil)
	return dst, nil
}
