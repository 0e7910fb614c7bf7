package scanner

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// TestFitPlane fits the plane of a code turned away on both axes from its
// three finder centres and timing patterns alone: every module centre,
// the far corner included, lands within 0.4 of a module of where the
// perspective puts it, where the affine grid of zxing without an
// alignment pattern is off by modules.
func TestFitPlane(t *testing.T) {
	m, toPix, n := tiltedCode(t)
	tl, tr, bl := finderAt(toPix, 3.5, 3.5), finderAt(toPix, float64(n)-3.5, 3.5), finderAt(toPix, 3.5, float64(n)-3.5)
	p, wrong := fitPlane(m, bl, tl, tr, n)
	if wrong < 0 || wrong > (n-16)/10 {
		t.Fatalf("fitted plane puts %d of %d timing modules wrong", wrong, 2*(n-16))
	}
	affine := detector.Detector_createTransform(tl, tr, bl, nil, n)
	var worst, worstAffine float64
	for v := 0; v < n; v++ {
		for u := 0; u < n; u++ {
			mx, my := float64(u)+0.5, float64(v)+0.5
			wx, wy := project(toPix, mx, my)
			mod := moduleAt(toPix, mx, my)
			x, y, ok := p.at(mx, my)
			if !ok {
				t.Fatalf("module (%d, %d) behind the camera", u, v)
			}
			worst = math.Max(worst, math.Hypot(x-wx, y-wy)/mod)
			ax, ay := project(affine, mx, my)
			worstAffine = math.Max(worstAffine, math.Hypot(ax-wx, ay-wy)/mod)
		}
	}
	t.Logf("worst module off by %.2f modules fitted, %.2f affine", worst, worstAffine)
	if worst > 0.4 {
		t.Errorf("fitted plane: a module centre is %.2f modules off", worst)
	}
	if worstAffine < 1 {
		t.Errorf("the affine grid is within %.2f modules: the test code is not tilted enough to tell", worstAffine)
	}
	tf, ok := p.transform()
	if !ok {
		t.Fatal("no transform from the fitted plane")
	}
	cx, cy := project(tf, float64(n)-3.5, float64(n)-3.5)
	wx, wy := project(toPix, float64(n)-3.5, float64(n)-3.5)
	if d := math.Hypot(cx-wx, cy-wy) / moduleAt(toPix, float64(n)-3.5, float64(n)-3.5); d > 0.4 {
		t.Errorf("transform's far corner %.2f modules off", d)
	}
}

// TestFitPlaneNoise: on noise no plane passes the timing check.
func TestFitPlaneNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m, _ := gozxing.NewBitMatrix(400, 360)
	for y := 0; y < 360; y++ {
		for x := 0; x < 400; x++ {
			if rng.IntN(2) == 0 {
				m.Set(x, y)
			}
		}
	}
	tl := detector.NewFinderPattern(60, 50, 4, 3)
	tr := detector.NewFinderPattern(300, 70, 3.5, 3)
	bl := detector.NewFinderPattern(50, 300, 3.8, 3)
	for _, dim := range []int{45, 57, 65} {
		if _, wrong := fitPlane(m, bl, tl, tr, dim); wrong >= 0 && 5*wrong <= 2*(dim-16) {
			t.Errorf("dimension %d: a plane on noise passes the timing check (%d of %d wrong)", dim, wrong, 2*(dim-16))
		}
	}
}

// moduleAt is the module's size in pixels at (mx, my).
func moduleAt(tr interface{ TransformPoints([]float64) }, mx, my float64) float64 {
	p := []float64{mx, my, mx + 1, my, mx, my + 1}
	tr.TransformPoints(p)
	return (math.Hypot(p[2]-p[0], p[3]-p[1]) + math.Hypot(p[4]-p[0], p[5]-p[1])) / 2
}
