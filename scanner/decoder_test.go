package scanner

import (
	"image"
	"math/rand/v2"
	"testing"

	"github.com/makiuchi-d/gozxing"
)

// TestRotatedMatchesPixelTurn checks the word-transposing turn against the
// definition, pixel by pixel, on regions that do not fall on word edges.
func TestRotatedMatchesPixelTurn(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m, _ := gozxing.NewBitMatrix(203, 141)
	for y := 0; y < m.GetHeight(); y++ {
		for x := 0; x < m.GetWidth(); x++ {
			if rng.IntN(2) == 0 {
				m.Set(x, y)
			}
		}
	}
	d := NewDecoder()
	for _, r := range []image.Rectangle{
		image.Rect(0, 0, 203, 141), image.Rect(5, 7, 70, 100), image.Rect(33, 1, 203, 140),
		image.Rect(31, 32, 64, 65), image.Rect(100, 50, 101, 51),
	} {
		rot := d.rotated(m, r)
		w, h := r.Dx(), r.Dy()
		if rot.GetWidth() != h || rot.GetHeight() != w {
			t.Fatalf("%v: turned size %d×%d, want %d×%d", r, rot.GetWidth(), rot.GetHeight(), h, w)
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if rot.Get(y, w-1-x) != m.Get(r.Min.X+x, r.Min.Y+y) {
					t.Fatalf("%v: pixel (%d, %d) turned wrong", r, x, y)
				}
			}
		}
	}
}
