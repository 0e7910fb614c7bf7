package fonts

import (
	"image"
	"image/draw"
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
