package fonts

import (
	"errors"
	"image"
	"image/draw"
	"strings"
	"testing"

	"golang.org/x/image/math/fixed"
)

// Every rune the kiosk and the cards show must have a real glyph in the merged
// face: a missing one would draw as tofu at the door.
func TestFaceCoversKioskTexts(t *testing.T) {
	face, err := NewFace(16, 72, false)
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	for _, r := range "请通行无效码王*英已签到设备故障长者儿童陪同员工ABCxyz0123456789-:()" {
		dr, mask, _, adv, ok := face.Glyph(fixed.P(0, 20), r)
		if !ok || adv == 0 {
			t.Errorf("no glyph for %q", r)
			continue
		}
		if r != ' ' && inked(mask, dr) == 0 {
			t.Errorf("glyph for %q draws nothing", r)
		}
	}
}

func TestIsCJK(t *testing.T) {
	for r, want := range map[rune]bool{'A': false, '0': false, '*': false, '王': true, '请': true} {
		if got := IsCJK(r); got != want {
			t.Errorf("IsCJK(%q) = %v, want %v", r, got, want)
		}
	}
}

func inked(mask image.Image, r image.Rectangle) int {
	dst := image.NewAlpha(r)
	draw.Draw(dst, r, mask, mask.Bounds().Min, draw.Src)
	n := 0
	for _, a := range dst.Pix {
		if a > 0 {
			n++
		}
	}
	return n
}

// glyphMask draws r with face at a fixed dot into an alpha image of the
// given cell, for comparing glyphs pixel by pixel.
func glyphMask(t *testing.T, face interface {
	Glyph(fixed.Point26_6, rune) (image.Rectangle, image.Image, image.Point, fixed.Int26_6, bool)
}, r rune) *image.Alpha {
	t.Helper()
	cell := image.Rect(0, 0, 64, 64)
	dst := image.NewAlpha(cell)
	dr, mask, mp, _, _ := face.Glyph(fixed.P(4, 52), r)
	draw.DrawMask(dst, dr, image.Opaque, image.Point{}, mask, mp, draw.Over)
	return dst
}

// Rare characters of Chinese names draw real glyphs (not the empty box a
// missing character gets): 䶮 (Extension A) and 𠀀 (Extension B), in the
// face the cards and the framebuffer screen both use.
func TestFaceDrawsExtensionCharacters(t *testing.T) {
	if len(Extensions()) == 0 {
		t.Fatal("no extension fonts embedded: run `make fonts` (scripts/fonts.sh)")
	}
	face, err := NewFace(48, 72, false)
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	tofu := glyphMask(t, face, 0x10FFFD)
	for _, r := range []rune{'䶮', '𠀀', '𪚥', '㐀'} {
		if !Covers(r) {
			t.Errorf("Covers(%U) = false", r)
			continue
		}
		got := glyphMask(t, face, r)
		ink, same := 0, 0
		for i, a := range got.Pix {
			if a > 0x80 {
				ink++
				if tofu.Pix[i] > 0x80 {
					same++
				}
			}
		}
		if ink < 100 || same*2 > ink {
			t.Errorf("%q (%U): %d inked pixels, %d shared with the empty box", r, r, ink, same)
		}
	}
}

// A character no font has is named, with its code point.
func TestMissingNamesTheCharacter(t *testing.T) {
	name := "王\U0010FFFD英\U0010FFFD"
	if m := Missing(name); len(m) != 1 || m[0] != 0x10FFFD {
		t.Fatalf("Missing(%q) = %U", name, m)
	}
	err := CheckText(name)
	var me *MissingGlyphsError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "U+10FFFD") {
		t.Fatalf("CheckText = %v", err)
	}
	if err := CheckText("王秀英 Wang 䶮𠀀"); err != nil {
		t.Fatalf("CheckText of drawable text: %v", err)
	}
}

// The kiosk draws with the same face: an extension glyph keeps the Latin
// and CJK line metrics, so a screen line does not move for it.
func TestExtensionFontsKeepLineMetrics(t *testing.T) {
	face, err := NewFace(20, 72, false)
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	m := face.Metrics()
	if m.Height <= 0 || m.Ascent <= 0 {
		t.Fatalf("metrics %+v", m)
	}
	if _, adv, ok := face.GlyphBounds('𠀀'); !ok || adv <= 0 {
		t.Fatalf("GlyphBounds(𠀀) = %v, %v", adv, ok)
	}
}
