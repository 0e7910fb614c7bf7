package webapp

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png" // photos arrive as JPEG or PNG

	"golang.org/x/image/draw"
)

// The card's photo box in 300 dpi pixels (cards/layout.go: photoW ×
// photoH, the 35:45 passport aspect). A photo is stored at exactly this
// size, so the registry keeps no more of a face than the card prints.
const (
	photoW = 192
	photoH = 246
	// maxPhotoPixels bounds the decoded upload (a phone takes 12-50 MP).
	maxPhotoPixels = 60_000_000
)

// FitPhoto decodes an uploaded JPEG or PNG, crops it to the card's photo
// box aspect (sides evenly; tall photos from a fifth of the spare height
// down, where the head is) and scales it to the box. It returns a JPEG.
func FitPhoto(data []byte) ([]byte, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: the photo is not a JPEG or PNG image", errBadForm)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxPhotoPixels {
		return nil, fmt.Errorf("%w: the photo is %d×%d pixels; use one under %d megapixels", errBadForm, cfg.Width, cfg.Height, maxPhotoPixels/1_000_000)
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: the photo does not decode: %v", errBadForm, err)
	}
	sb := src.Bounds()
	crop := sb
	if sb.Dx()*photoH > sb.Dy()*photoW {
		w := max(sb.Dy()*photoW/photoH, 1)
		crop.Min.X += (sb.Dx() - w) / 2
		crop.Max.X = crop.Min.X + w
	} else {
		h := max(sb.Dx()*photoH/photoW, 1)
		crop.Min.Y += (sb.Dy() - h) / 5
		crop.Max.Y = crop.Min.Y + h
	}
	if crop.Dx() < 1 || crop.Dy() < 1 {
		return nil, fmt.Errorf("%w: the photo is too narrow to crop", errBadForm)
	}
	dst := image.NewRGBA(image.Rect(0, 0, photoW, photoH))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, crop, draw.Src, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 90}); err != nil {
		return nil, fmt.Errorf("webapp: encode photo: %w", err)
	}
	return out.Bytes(), nil
}
