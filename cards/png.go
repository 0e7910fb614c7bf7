package cards

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// Render draws one card as a 300 dpi image of WidthPx × HeightPx pixels.
// QR modules are exact squares (QR.Module pixels) of pure black and white.
func Render(c Card) (*image.RGBA, error) {
	cat, err := c.check()
	if err != nil {
		return nil, err
	}
	var photo *image.RGBA
	if c.Photo != nil {
		if photo, err = preparePhoto(c.Photo, image.Rect(0, 0, photoW, photoH)); err != nil {
			return nil, err
		}
	}
	m := newMeasurer()
	defer m.close()
	img, _, err := renderChecked(&c, cat, photo, m)
	return img, err
}

// renderChecked draws the card as a raster and returns it with the QR it
// carries, choosing the QR's mask so that gozxing reads the whole card.
func renderChecked(c *Card, cat Category, photo *image.RGBA, m *measurer) (*image.RGBA, *QR, error) {
	var img *image.RGBA
	var drawErr error
	q, err := encodeQR(c.QRText, func(q *QR) error {
		img = image.NewRGBA(image.Rect(0, 0, WidthPx, HeightPx))
		if drawErr = drawCard(&rasterCanvas{img: img, m: m}, m, c, cat, q, photo); drawErr != nil {
			return nil // no mask changes the layout: stop trying
		}
		return readsIn(img, c.QRText)
	})
	if err != nil {
		return nil, nil, err
	}
	if drawErr != nil {
		return nil, nil, drawErr
	}
	return img, q, nil
}

// WritePNG renders one card and writes it as a PNG that declares 300 dpi, so
// printing software sizes it to 85.6 × 54 mm by itself.
func WritePNG(w io.Writer, c Card) error {
	img, err := Render(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("cards: encode PNG: %w", err)
	}
	if _, err := w.Write(withPHYs(buf.Bytes(), DPI)); err != nil {
		return fmt.Errorf("cards: write PNG: %w", err)
	}
	return nil
}

// withPHYs inserts a pHYs chunk (PNG spec §11.3.5.3) after IHDR: Go's
// encoder writes none, and without it printers guess 72 or 96 dpi.
func withPHYs(p []byte, dpi int) []byte {
	const ihdrEnd = 8 + 4 + 4 + 13 + 4 // signature, IHDR length, type, data, CRC
	ppm := uint32(math.Round(float64(dpi) / 0.0254))
	chunk := make([]byte, 0, 21)
	chunk = binary.BigEndian.AppendUint32(chunk, 9)
	chunk = append(chunk, "pHYs"...)
	chunk = binary.BigEndian.AppendUint32(chunk, ppm)
	chunk = binary.BigEndian.AppendUint32(chunk, ppm)
	chunk = append(chunk, 1) // unit: metre
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := make([]byte, 0, len(p)+len(chunk))
	out = append(out, p[:ihdrEnd]...)
	out = append(out, chunk...)
	return append(out, p[ihdrEnd:]...)
}

type rasterCanvas struct {
	img *image.RGBA
	m   *measurer
}

func (r *rasterCanvas) fill(rect image.Rectangle, c color.RGBA) {
	draw.Draw(r.img, rect, image.NewUniform(c), image.Point{}, draw.Src)
}

func (r *rasterCanvas) stroke(rect image.Rectangle, c color.RGBA, w float64) {
	n := int(math.Round(w))
	u := image.NewUniform(c)
	for _, e := range []image.Rectangle{
		image.Rect(rect.Min.X, rect.Min.Y, rect.Max.X, rect.Min.Y+n),
		image.Rect(rect.Min.X, rect.Max.Y-n, rect.Max.X, rect.Max.Y),
		image.Rect(rect.Min.X, rect.Min.Y, rect.Min.X+n, rect.Max.Y),
		image.Rect(rect.Max.X-n, rect.Min.Y, rect.Max.X, rect.Max.Y),
	} {
		draw.Draw(r.img, e, u, image.Point{}, draw.Src)
	}
}

func (r *rasterCanvas) text(x, y float64, s string, st textStyle) {
	face, err := r.m.face(st.size, st.bold)
	if err != nil {
		return
	}
	d := font.Drawer{Dst: r.img, Src: image.NewUniform(st.colour), Face: face}
	for _, rn := range splitRuns(s) {
		start := fixed.Point26_6{X: fixed.Int26_6(x * 64), Y: fixed.Int26_6(y * 64)}
		d.Dot = start
		d.DrawString(rn.text)
		end := d.Dot
		if st.bold && rn.cjk {
			// The CJK font has no bold face: overprint shifted copies.
			for dx := 0.5; dx <= emboldenPx(st.size); dx += 0.5 {
				d.Dot = fixed.Point26_6{X: start.X + fixed.Int26_6(dx*64), Y: start.Y}
				d.DrawString(rn.text)
			}
		}
		x = float64(end.X) / 64
	}
}

func (r *rasterCanvas) photo(rect image.Rectangle, img *image.RGBA) error {
	draw.Draw(r.img, rect, img, image.Point{}, draw.Src)
	return nil
}

func (r *rasterCanvas) qr(x, y int, q *QR) {
	side := q.SidePx()
	r.fill(image.Rect(x, y, x+side, y+side), white)
	black := image.NewUniform(color.RGBA{0, 0, 0, 0xff})
	mp := q.Module()
	ox, oy := x+QuietZone*mp, y+QuietZone*mp
	for my := 0; my < q.Size; my++ {
		for mx := 0; mx < q.Size; mx++ {
			if q.Dark(mx, my) {
				px, py := ox+mx*mp, oy+my*mp
				draw.Draw(r.img, image.Rect(px, py, px+mp, py+mp), black, image.Point{}, draw.Src)
			}
		}
	}
}
