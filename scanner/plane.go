package scanner

import (
	"math"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// The card's plane from three finder centres and the timing patterns.
//
// A point of the module grid is an affine combination of the three finder
// centres on the card; in the frame it is that combination of their
// homogeneous image points, each weighted by its depth. So the three
// centres and two depth ratios (top-right's and bottom-left's against
// top-left's) fix the whole perspective grid, the fourth corner included,
// without an alignment pattern. The ratios are fitted to the two timing
// patterns, which lie between the finders: a card rest or a thumb over
// the bottom-right corner hides the alignment pattern, and a grid through
// a false one, or an affine grid under strong perspective, misplaces the
// timing patterns by a module or more in their middle.
type plane struct {
	h   [3][3]float64 // columns: top-left, a step to top-right, a step to bottom-left
	dim int
}

func newPlane(bl, tl, tr gozxing.ResultPoint, ztr, zbl float64, dim int) plane {
	p := plane{dim: dim}
	x0, y0 := tl.GetX(), tl.GetY()
	p.h = [3][3]float64{
		{x0, ztr*tr.GetX() - x0, zbl*bl.GetX() - x0},
		{y0, ztr*tr.GetY() - y0, zbl*bl.GetY() - y0},
		{1, ztr - 1, zbl - 1},
	}
	return p
}

// at maps module coordinates (u, v) (finder centres at 3.5 and dim-3.5)
// to the frame; ok is false behind the camera.
func (p *plane) at(u, v float64) (x, y float64, ok bool) {
	s := float64(p.dim - 7)
	a, b := (u-3.5)/s, (v-3.5)/s
	hz := p.h[2][0] + a*p.h[2][1] + b*p.h[2][2]
	if hz <= 1e-3 {
		return 0, 0, false
	}
	return (p.h[0][0] + a*p.h[0][1] + b*p.h[0][2]) / hz, (p.h[1][0] + a*p.h[1][1] + b*p.h[1][2]) / hz, true
}

// transform is the plane as zxing's transform from module coordinates.
func (p *plane) transform() (*common.PerspectiveTransform, bool) {
	d := float64(p.dim) - 3.5
	x2, y2, ok := p.at(d, d)
	if !ok {
		return nil, false
	}
	x0, y0, _ := p.at(3.5, 3.5)
	x1, y1, _ := p.at(d, 3.5)
	x3, y3, _ := p.at(3.5, d)
	return common.PerspectiveTransform_QuadrilateralToQuadrilateral(
		3.5, 3.5, d, 3.5, d, d, 3.5, d,
		x0, y0, x1, y1, x2, y2, x3, y3), true
}

// timingWrong counts the timing pattern modules the plane puts on the
// wrong colour: along row 6 when row, else along column 6; -1 when the
// pattern leaves the frame. It stops counting past limit.
func (p *plane) timingWrong(m *gozxing.BitMatrix, row bool, limit int) int {
	w, h := m.GetWidth(), m.GetHeight()
	wrong := 0
	for i := 8; i <= p.dim-9; i++ {
		u, v := float64(i)+0.5, 6.5
		if !row {
			u, v = v, u
		}
		x, y, ok := p.at(u, v)
		if !ok || x < -1 || y < -1 || x > float64(w) || y > float64(h) {
			return -1
		}
		if m.Get(clampInt(int(x), 0, w-1), clampInt(int(y), 0, h-1)) != (i%2 == 0) {
			if wrong++; wrong > limit {
				return wrong
			}
		}
	}
	return wrong
}

// planeSteps are the depth ratios tried: 0.65 to 1.55 in steps of 5%
// (a card turned 35° at the nearest distance a 300-pixel code is seen
// from changes its depth by about 30% across the code).
var planeSteps = func() []float64 {
	var s []float64
	for r := 0.65; r <= 1.56; r *= 1.05 {
		s = append(s, r)
	}
	return s
}()

// fitPlane fits the two depth ratios to the timing patterns, one at a
// time and each three times, from the ratios the finders' module sizes
// give, and returns the plane and how many of the timing
// modules it puts wrong (of 2·(dim-16)); -1 when none fits in the frame.
func fitPlane(m *gozxing.BitMatrix, bl, tl, tr gozxing.ResultPoint, dim int) (plane, int) {
	z := [2]float64{1, 1}                      // top-right, bottom-left
	if z0, ok := depthRatios(bl, tl, tr); ok { // +1 of 800 held tuning frames
		z = z0
	}
	first := 0 // the row's fit after the first pass
	for pass := 0; pass < 6; pass++ {
		k := pass % 2
		steps := planeSteps
		// Then refine around the fit in steps of 1%: a ratio moves both
		// patterns (the timing row is three modules off the line through
		// the finders, and how long three modules are depends on both), so
		// one refinement each leaves many grids a module off (a third: +1
		// of 800 held tuning frames; fitting both together on a 2D grid of
		// 8% steps: worse, the valley is narrower than a step).
		if pass >= 2 {
			var fine [11]float64
			for i := range fine {
				fine[i] = z[k] * math.Pow(1.01, float64(i-5))
			}
			steps = fine[:]
		}
		lo, hi, bw := -1, -1, -1
		for i, r := range steps {
			zz := z
			zz[k] = r
			p := newPlane(bl, tl, tr, zz[0], zz[1], dim)
			limit := p.dim
			if bw >= 0 {
				limit = bw
			}
			wr := p.timingWrong(m, k == 0, limit)
			switch {
			case wr < 0:
			case bw < 0 || wr < bw:
				lo, hi, bw = i, i, wr
			case wr == bw && hi == i-1: // the plateau of the best
				hi = i
			}
		}
		if bw < 0 {
			return plane{}, -1
		}
		z[k] = math.Sqrt(steps[lo] * steps[hi])
		// A grid the timing check will reject anyway (it allows 2n/5 of
		// one pattern's n modules wrong in both) is left early: most
		// triples on print and card backs (frames with no code 20% faster,
		// +0 of 800 held tuning frames; at 3n/10 and n/2: −1).
		n := dim - 16
		switch pass {
		case 0:
			if 5*bw > 2*n {
				return plane{}, -1
			}
			first = bw
		case 1:
			if 5*(first+bw) > 3*n {
				return plane{}, -1
			}
		}
	}
	p := newPlane(bl, tl, tr, z[0], z[1], dim)
	wr, wc := p.timingWrong(m, true, dim), p.timingWrong(m, false, dim)
	if wr < 0 || wc < 0 {
		return plane{}, -1
	}
	return p, wr + wc
}

// depthRatios are the depths of the top-right and bottom-left finders
// against the top-left one's, from their module sizes (nearer looks
// larger), clamped to the range fitPlane searches.
func depthRatios(bl, tl, tr gozxing.ResultPoint) ([2]float64, bool) {
	fl, ok1 := tl.(*detector.FinderPattern)
	fr, ok2 := tr.(*detector.FinderPattern)
	fb, ok3 := bl.(*detector.FinderPattern)
	if !ok1 || !ok2 || !ok3 || fr.GetEstimatedModuleSize() <= 0 || fb.GetEstimatedModuleSize() <= 0 {
		return [2]float64{}, false
	}
	c := func(r float64) float64 { return math.Max(0.65, math.Min(1.55, r)) }
	return [2]float64{c(fl.GetEstimatedModuleSize() / fr.GetEstimatedModuleSize()), c(fl.GetEstimatedModuleSize() / fb.GetEstimatedModuleSize())}, true
}
