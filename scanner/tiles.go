package scanner

import (
	"math"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// Tiled sampling, the idea of zxing-cpp 3's detector (read, not copied):
// a code of version 7 and up has a grid of alignment patterns; under
// strong perspective, a bent card or lens distortion one transform
// through the finders and the last alignment pattern drifts by a module
// in the middle of a version-12 symbol. Each alignment pattern is looked
// for near where its found neighbours predict it, and every tile between
// four neighbouring centres is sampled with its own transform.

// tileMax bounds the alignment-pattern grid (version 40 has 7×7).
const tileMax = 7

// sampleTiled samples the code with per-tile transforms; t is the single
// transform that located it. It returns false when too few alignment
// patterns were found for the tiles to be better than t.
func (g *gridReader) sampleTiled(m *gozxing.BitMatrix, t *common.PerspectiveTransform, ver *decoder.Version, ms float64) (*gozxing.BitMatrix, bool) {
	apM := ver.GetAlignmentPatternCenters()
	n := len(apM)
	if n < 3 || n > tileMax {
		return nil, false
	}
	dim := ver.GetDimensionForVersion()
	var px, py [tileMax][tileMax]float64
	var ok [tileMax][tileMax]bool
	project := func(i, j int) (float64, float64) {
		p := []float64{float64(apM[i]) + 0.5, float64(apM[j]) + 0.5}
		t.TransformPoints(p)
		return p[0], p[1]
	}
	found := 0
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			if (i == 0 && j == 0) || (i == n-1 && j == 0) || (i == 0 && j == n-1) {
				// Finder corners: t is anchored at their centres.
				px[i][j], py[i][j] = project(i, j)
				ok[i][j] = true
				continue
			}
			var gx, gy float64
			if i > 0 && j > 0 {
				// A parallelogram of the three neighbours already placed.
				gx = px[i-1][j] + px[i][j-1] - px[i-1][j-1]
				gy = py[i-1][j] + py[i][j-1] - py[i-1][j-1]
			} else {
				gx, gy = project(i, j)
			}
			px[i][j], py[i][j] = gx, gy
			// Within 3 modules of the prediction: a data blob further off
			// would pull the tile away (2: −1 tuning; 5: +0).
			ap := findAlignment(m, ms, int(gx), int(gy), 4)
			if ap == nil {
				// Module axes from the single transform at this point.
				q := []float64{float64(apM[i]) + 0.5, float64(apM[j]) + 0.5, float64(apM[i]) + 1.5, float64(apM[j]) + 0.5, float64(apM[i]) + 0.5, float64(apM[j]) + 1.5}
				t.TransformPoints(q)
				if x, y, ok := alignByTemplate(m, gx, gy, q[2]-q[0], q[3]-q[1], q[4]-q[0], q[5]-q[1], 2); ok {
					ap = detector.NewAlignmentPattern(x, y, ms)
				}
			}
			if ap != nil && math.Hypot(ap.GetX()-gx, ap.GetY()-gy) < 3*ms {
				px[i][j], py[i][j] = ap.GetX(), ap.GetY()
				ok[i][j] = true
				found++
			} else if i > 0 && j > 0 {
				// Not found: trust the single transform there rather than a
				// guess built on guesses.
				px[i][j], py[i][j] = project(i, j)
			}
		}
	}
	// The alignment patterns other than the corners: tiles are worth it
	// only when most were found.
	if 2*found < n*n-3 {
		return nil, false
	}
	if g.bits == nil || g.bits.GetWidth() != dim {
		g.bits, _ = gozxing.NewBitMatrix(dim, dim)
	} else {
		g.bits.Clear()
	}
	w, h := m.GetWidth(), m.GetHeight()
	pt := make([]float64, 2)
	for tj := 0; tj < n-1; tj++ {
		y0, y1 := apM[tj], apM[tj+1]
		if tj == 0 {
			y0 = 0
		}
		if tj == n-2 {
			y1 = dim
		}
		for ti := 0; ti < n-1; ti++ {
			x0, x1 := apM[ti], apM[ti+1]
			if ti == 0 {
				x0 = 0
			}
			if ti == n-2 {
				x1 = dim
			}
			a, b := float64(apM[ti])+0.5, float64(apM[ti+1])+0.5
			c, d := float64(apM[tj])+0.5, float64(apM[tj+1])+0.5
			tt := common.PerspectiveTransform_QuadrilateralToQuadrilateral(
				a, c, b, c, b, d, a, d,
				px[ti][tj], py[ti][tj], px[ti+1][tj], py[ti+1][tj],
				px[ti+1][tj+1], py[ti+1][tj+1], px[ti][tj+1], py[ti][tj+1])
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					pt[0], pt[1] = float64(x)+0.5, float64(y)+0.5
					tt.TransformPoints(pt)
					ix, iy := int(pt[0]), int(pt[1])
					if ix < -1 || iy < -1 || ix > w || iy > h {
						return nil, false
					}
					if m.Get(clampInt(ix, 0, w-1), clampInt(iy, 0, h-1)) {
						g.bits.Set(x, y)
					}
				}
			}
		}
	}
	return g.bits, true
}
