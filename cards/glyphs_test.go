package cards

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"strings"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"

	"github.com/scangate/scangate/fonts"
)

// nameCells returns, for each character of a one-line name on card c,
// the dot it is drawn at and the cell it occupies, computed with the
// layout the renderers use.
func nameCells(t *testing.T, c Card) (style textStyle, dots []fixed.Point26_6, cells []image.Rectangle) {
	t.Helper()
	m := newMeasurer()
	defer m.close()
	q, err := EncodeQR(c.QRText)
	if err != nil {
		t.Fatal(err)
	}
	lines, st := fitName(m, c.Name, nameColumn(q))
	if len(lines) != 1 {
		t.Fatalf("name %q wraps: %q", c.Name, lines)
	}
	x := float64(marginPx + photoW + gutterPx)
	y := float64(photoTop) + 22 + st.size*0.92 + 10
	prefix := ""
	for _, r := range c.Name {
		x0 := x + m.width(prefix, textStyle{size: st.size})
		x1 := x + m.width(prefix+string(r), textStyle{size: st.size})
		dots = append(dots, fixed.P(int(x0), int(y)))
		cells = append(cells, image.Rect(int(x0), int(y-st.size*0.9), int(x1)+int(emboldenPx(st.size))+1, int(y+st.size*0.2)))
		prefix += string(r)
	}
	return st, dots, cells
}

// tofu is what a character no font has would draw at dot: the CJK font's
// empty box.
func tofu(t *testing.T, st textStyle, dot fixed.Point26_6) *image.Alpha {
	t.Helper()
	face, err := fonts.NewFace(st.size, 72, st.bold)
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	dst := image.NewAlpha(image.Rect(0, 0, WidthPx, HeightPx))
	d := font.Drawer{Dst: dst, Src: image.Opaque, Face: face, Dot: dot}
	d.DrawString("\U0010FFFD")
	return dst
}

// glyphProblems lists the cells of img that do not hold a glyph: no ink,
// or the empty box.
func glyphProblems(t *testing.T, img image.Image, c Card) []string {
	t.Helper()
	var out []string
	st, dots, cells := nameCells(t, c)
	for i, r := range []rune(c.Name) {
		box := tofu(t, st, dots[i])
		ink, onBox, boxInk := 0, 0, 0
		for y := cells[i].Min.Y; y < cells[i].Max.Y; y++ {
			for x := cells[i].Min.X; x < cells[i].Max.X; x++ {
				cr, cg, cb, _ := img.At(x, y).RGBA()
				dark := (cr+cg+cb)/3 < 0x8000
				inBox := box.AlphaAt(x, y).A > 0x80
				if inBox {
					boxInk++
				}
				if dark {
					ink++
					if inBox {
						onBox++
					}
				}
			}
		}
		if ink < 200 || boxInk > 0 && onBox*10 > boxInk*8 {
			out = append(out, fmt.Sprintf("%q (%U): %d dark pixels in its cell %v, %d of the empty box's %d covered: not a printed glyph",
				r, r, ink, cells[i], onBox, boxInk))
		}
	}
	return out
}

// Rare characters of Chinese names print as themselves on the PNG and the
// PDF: 䶮 (CJK Extension A) and 𠀀 (Extension B), beside a common one.
func TestRareCharactersPrint(t *testing.T) {
	if len(fonts.Extensions()) == 0 {
		t.Fatal("no extension fonts embedded: run `make fonts` (scripts/fonts.sh)")
	}
	c := testCard(t, "王䶮𠀀", "elder")
	img, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range glyphProblems(t, img, c) {
		t.Errorf("PNG: %s", p)
	}
	var buf bytes.Buffer
	if err := WritePDF(&buf, c); err != nil {
		t.Fatal(err)
	}
	for _, p := range glyphProblems(t, rasterise(t, buf.Bytes()), c) {
		t.Errorf("PDF: %s", p)
	}
	// The check is not vacuous: a blank name area fails it, and so does
	// one with the empty box drawn where the rare characters are.
	blank := image.NewRGBA(img.Bounds())
	draw.Draw(blank, blank.Bounds(), image.White, image.Point{}, draw.Src)
	if len(glyphProblems(t, blank, c)) != 3 {
		t.Error("the glyph check passes a blank card")
	}
	st, dots, _ := nameCells(t, c)
	boxed := image.NewRGBA(img.Bounds())
	draw.Draw(boxed, boxed.Bounds(), image.White, image.Point{}, draw.Src)
	for _, d := range dots {
		draw.DrawMask(boxed, boxed.Bounds(), image.Black, image.Point{}, tofu(t, st, d), image.Point{}, draw.Over)
	}
	if len(glyphProblems(t, boxed, c)) != 3 {
		t.Error("the glyph check passes empty boxes")
	}
}

// A character no font has stops the card with an error naming it and its
// code point, in every output; nothing is drawn.
func TestMissingGlyphStopsTheCard(t *testing.T) {
	c := testCard(t, "王\U0010FFFD英", "elder")
	for name, write := range map[string]func() error{
		"png":   func() error { return WritePNG(&bytes.Buffer{}, c) },
		"pdf":   func() error { return WritePDF(&bytes.Buffer{}, c) },
		"sheet": func() error { return WriteSheetPDF(&bytes.Buffer{}, []Card{testCard(t, "李明", "child"), c}) },
	} {
		err := write()
		var me *fonts.MissingGlyphsError
		if !errors.As(err, &me) || len(me.Runes) != 1 || me.Runes[0] != 0x10FFFD || !strings.Contains(err.Error(), "U+10FFFD") {
			t.Errorf("%s: %v; want the missing character named", name, err)
		}
	}
}
