package scanner

import (
	"math"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	"github.com/makiuchi-d/gozxing/qrcode/detector"

	"github.com/scangate/scangate/camsim"
)

// tiltedCode renders a version-7-or-up code through a strong perspective
// and returns its binarized image, the transform from module coordinates
// (quiet zone excluded) to pixels and the symbol's dimension.
func tiltedCode(t *testing.T) (*gozxing.BitMatrix, *common.PerspectiveTransform, int) {
	t.Helper()
	const mod = 4
	img, err := camsim.QR(strings.Repeat("SG1:tilted-card-", 10), mod)
	if err != nil {
		t.Fatal(err)
	}
	n := img.Bounds().Dx()/mod - 8 // modules without the quiet zone
	if n < 45 {
		t.Fatalf("dimension %d: want version 7 or up", n)
	}
	const w, h = 400, 360
	// Module square → a quadrilateral of a card turned away on both axes:
	// the right side much shorter than the left, the bottom than the top.
	N := float64(n)
	toPix := common.PerspectiveTransform_QuadrilateralToQuadrilateral(
		0, 0, N, 0, N, N, 0, N,
		40, 30, 330, 80, 300, 280, 30, 330)
	toMod := common.PerspectiveTransform_QuadrilateralToQuadrilateral(
		40, 30, 330, 80, 300, 280, 30, 330,
		0, 0, N, 0, N, N, 0, N)
	m, _ := gozxing.NewBitMatrix(w, h)
	p := make([]float64, 2)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p[0], p[1] = float64(x)+0.5, float64(y)+0.5
			toMod.TransformPoints(p)
			sx, sy := int((p[0]+4)*mod), int((p[1]+4)*mod)
			if sx < 0 || sy < 0 || sx >= img.Bounds().Dx() || sy >= img.Bounds().Dy() {
				continue
			}
			if img.Pix[sy*img.Stride+sx] < 128 {
				m.Set(x, y)
			}
		}
	}
	return m, toPix, n
}

func project(tr *common.PerspectiveTransform, mx, my float64) (float64, float64) {
	p := []float64{mx, my}
	tr.TransformPoints(p)
	return p[0], p[1]
}

// finderAt is the finder pattern centred on module (mx, my), with the
// module size there.
func finderAt(tr *common.PerspectiveTransform, mx, my float64) *detector.FinderPattern {
	x, y := project(tr, mx, my)
	x1, y1 := project(tr, mx+1, my)
	return detector.NewFinderPattern(x, y, math.Hypot(x1-x, y1-y), 3)
}

func TestCornerByEdges(t *testing.T) {
	m, tr, n := tiltedCode(t)
	N := float64(n)
	tl, trf, bl := finderAt(tr, 3.5, 3.5), finderAt(tr, N-3.5, 3.5), finderAt(tr, 3.5, N-3.5)
	wantX, wantY := project(tr, N-6.5, N-6.5)
	x1, y1 := project(tr, N-5.5, N-6.5)
	localMS := math.Hypot(x1-wantX, y1-wantY)
	ms := moduleSize(m, bl, tl, trf)

	x, y, ok := cornerByEdges(m, bl, tl, trf, ms)
	if !ok {
		t.Fatal("edges not traced on a clean tilted code")
	}
	edgeErr := math.Hypot(x-wantX, y-wantY) / localMS
	if edgeErr > 1 {
		t.Errorf("edges' corner %.1f modules from the alignment pattern, want ≤ 1", edgeErr)
	}
	// The finder centres alone miss it under this perspective: the reason
	// for the edges.
	ax, ay, _ := alignmentGuess(bl, tl, trf, 1-3/(N-7), false)
	affErr := math.Hypot(ax-wantX, ay-wantY) / localMS
	t.Logf("bottom-right alignment pattern: edges %.2f modules off, parallelogram %.1f", edgeErr, affErr)
	if affErr < 2*edgeErr || affErr < 2 {
		t.Errorf("parallelogram guess %.1f modules off, edges %.1f: the test's perspective is too weak", affErr, edgeErr)
	}

	empty, _ := gozxing.NewBitMatrix(400, 360)
	if _, _, ok := cornerByEdges(empty, bl, tl, trf, ms); ok {
		t.Error("edges traced on a blank image")
	}
}

func TestAlignByTemplate(t *testing.T) {
	m, tr, n := tiltedCode(t)
	N := float64(n)
	wantX, wantY := project(tr, N-6.5, N-6.5)
	// Module axes at the pattern.
	ux, uy := project(tr, N-5.5, N-6.5)
	vx, vy := project(tr, N-6.5, N-5.5)
	ux, uy, vx, vy = ux-wantX, uy-wantY, vx-wantX, vy-wantY
	ms := math.Hypot(ux, uy)

	// Start two modules off.
	x, y, ok := alignByTemplate(m, wantX+2*ux, wantY+2*vy, ux, uy, vx, vy, 3)
	if !ok {
		t.Fatal("alignment pattern not found two modules from the start")
	}
	if d := math.Hypot(x-wantX, y-wantY) / ms; d > 0.5 {
		t.Errorf("found %.2f modules from the alignment pattern's centre, want ≤ 0.5", d)
	}
	empty, _ := gozxing.NewBitMatrix(400, 360)
	if _, _, ok := alignByTemplate(empty, wantX, wantY, ux, uy, vx, vy, 3); ok {
		t.Error("alignment pattern found on a blank image")
	}
	// Near the image's corner, where the template would reach outside.
	if _, _, ok := alignByTemplate(m, 1, 1, ux, uy, vx, vy, 0.2); ok {
		t.Error("alignment pattern found with the template outside the image")
	}
}
