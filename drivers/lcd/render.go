package lcd

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"

	"github.com/scangate/scangate/fonts"
)

// TextRenderer draws screen lines large and centred with the embedded CJK
// and Latin fonts: the first line (the verdict, "请通行") biggest, the rest
// smaller, all shrunk to fit the width and, together, the height.
type TextRenderer struct {
	// First and Rest are line heights as fractions of the image height.
	First, Rest float64

	mu    sync.Mutex
	faces map[int]font.Face // by pixel size
}

// NewTextRenderer returns a renderer with proportions for a screen of at
// least a few hundred pixels; small screens want bigger fractions.
func NewTextRenderer(first, rest float64) *TextRenderer {
	return &TextRenderer{First: first, Rest: rest, faces: map[int]font.Face{}}
}

func (r *TextRenderer) face(px int) (font.Face, error) {
	if f, ok := r.faces[px]; ok {
		return f, nil
	}
	// At 72 dpi a point is a pixel.
	f, err := fonts.NewFace(float64(px), 72, true)
	if err != nil {
		return nil, fmt.Errorf("lcd: font: %w", err)
	}
	r.faces[px] = f
	return f, nil
}

// TextColor is white on dark backgrounds and black on light ones (amber).
func TextColor(bg color.Color) color.Color {
	cr, cg, cb, _ := bg.RGBA()
	// Rec. 601 luma on 16-bit channels.
	if 299*cr+587*cg+114*cb > 1000*0x8000 {
		return color.Black
	}
	return color.White
}

// Render fills dst with bg and draws lines on it.
func (r *TextRenderer) Render(dst draw.Image, bg color.Color, lines []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := dst.Bounds()
	draw.Draw(dst, b, image.NewUniform(bg), image.Point{}, draw.Src)
	if len(lines) == 0 {
		return nil
	}
	maxW := float64(b.Dx()) * 0.92
	sizes := make([]float64, len(lines))
	var total float64
	for i, l := range lines {
		want := r.Rest
		if i == 0 {
			want = r.First
		}
		px := want * float64(b.Dy())
		f, err := r.face(int(px))
		if err != nil {
			return err
		}
		if w := float64(font.MeasureString(f, l).Ceil()); w > maxW {
			px *= maxW / w
		}
		sizes[i] = px
		total += px * 1.2
	}
	if limit := float64(b.Dy()) * 0.96; total > limit {
		for i := range sizes {
			sizes[i] *= limit / total
		}
		total = limit
	}
	src := image.NewUniform(TextColor(bg))
	y := float64(b.Min.Y) + (float64(b.Dy())-total)/2
	for i, l := range lines {
		px := int(math.Max(6, math.Floor(sizes[i])))
		f, err := r.face(px)
		if err != nil {
			return err
		}
		m := f.Metrics()
		w := font.MeasureString(f, l)
		lineH := sizes[i] * 1.2
		// Centre the line's ascent+descent in its slot.
		textH := float64((m.Ascent + m.Descent).Ceil())
		base := y + (lineH-textH)/2 + float64(m.Ascent.Ceil())
		d := font.Drawer{Dst: dst, Src: src, Face: f, Dot: fixed.Point26_6{
			X: fixed.I(b.Min.X) + (fixed.I(b.Dx())-w)/2,
			Y: fixed.I(int(math.Round(base))),
		}}
		d.DrawString(l)
		y += lineH
	}
	return nil
}
