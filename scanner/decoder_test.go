package scanner

import (
	"image"
	"math/rand/v2"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"

	"github.com/scangate/scangate/camsim"
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

// TestTimingCheck: the timing-pattern check passes the grid of a clean code
// and refuses the same finders read one version too large or too small.
func TestTimingCheck(t *testing.T) {
	const text = "SG1:TIMING-0123456789-ABCDEFGHIJ"
	f := cleanFrame(t, text, 4, 120, 40)
	var b hybridBinarizer
	var s finderScan
	m := b.binarize(f)
	tris := triples(s.find(m), nil, lens{})
	if len(tris) == 0 {
		t.Fatal("no finder triple in a clean frame")
	}
	qr, err := camsim.QR(text, 1)
	if err != nil {
		t.Fatal(err)
	}
	dim := qr.Bounds().Dx() - 8 // without the quiet zone
	g := gridReader{dec: decoder.NewDecoder()}
	tr := tris[0]
	for _, c := range []struct {
		dim  int
		want bool
	}{{dim, true}, {dim + 4, false}, {dim - 4, false}} {
		tf := detector.Detector_createTransform(tr.tl, tr.tr, tr.bl, nil, c.dim)
		if got := g.timingOK(m, tf, c.dim); got != c.want {
			t.Errorf("dimension %d (code %d): timing check %v, want %v", c.dim, dim, got, c.want)
		}
	}
	r, err := g.read(m, tr.bl, tr.tl, tr.tr, moduleSize(m, tr.bl, tr.tl, tr.tr))
	if err != nil || r.Text != text {
		t.Fatalf("read %q, %v; want %q", r.Text, err, text)
	}
}
