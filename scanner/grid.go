package scanner

import (
	"math"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// gridReader turns three finder-pattern centres into a sampled module grid
// and decodes it. It replaces gozxing's Detector.ProcessFinderPatternInfo,
// which commits to one dimension estimate and reads each module from a
// single pixel: on noisy frames with modules of 2–4 pixels a single pixel
// is often the wrong colour, and a dimension estimate off by one version
// under perspective loses the code outright.
type gridReader struct {
	dec    *decoder.Decoder
	points []float64
	bits   *gozxing.BitMatrix
	tiles  bool // retry a grid that did not decode with per-tile transforms (tiles.go)
}

// gridTry bounds the dimensions tried per finder triple: the estimate and
// the next nearest.
const gridTry = 2

// read samples and decodes the code whose finder patterns are centred at
// bl, tl and tr with modules about ms pixels wide.
func (g *gridReader) read(m *gozxing.BitMatrix, bl, tl, tr gozxing.ResultPoint, ms float64) (Result, error) {
	if ms < 1 {
		return Result{}, ErrNotFound
	}
	raw := (gozxing.ResultPoint_Distance(tl, tr)+gozxing.ResultPoint_Distance(tl, bl))/(2*ms) + 7
	// Valid dimensions are 17+4v; try the nearest ones first.
	v := int(math.Round((raw - 17) / 4))
	dims := [gridTry]int{}
	if (raw-17)/4 >= float64(v) {
		dims[0], dims[1] = 17+4*v, 17+4*(v+1)
	} else {
		dims[0], dims[1] = 17+4*v, 17+4*(v-1)
	}
	ex, ey, eok := cornerByEdges(m, bl, tl, tr, ms)
	for _, dim := range dims {
		if dim < 21 || dim > 177 {
			continue
		}
		r, err := g.readDim(m, bl, tl, tr, ms, dim, ex, ey, eok)
		if err == nil {
			return r, nil
		}
	}
	return Result{}, ErrNotFound
}

func (g *gridReader) readDim(m *gozxing.BitMatrix, bl, tl, tr gozxing.ResultPoint, ms float64, dim int, ex, ey float64, eok bool) (Result, error) {
	ver, err := decoder.Version_GetProvisionalVersionForDimension(dim)
	if err != nil {
		return Result{}, ErrNotFound
	}
	var ap *detector.AlignmentPattern
	if len(ver.GetAlignmentPatternCenters()) > 0 {
		k := 1 - 3/float64(dim-7)
		ax, ay, ok := alignmentGuess(bl, tl, tr, k, true)
		if !ok { // module sizes that no plane gives
			ax, ay, _ = alignmentGuess(bl, tl, tr, k, false)
		}
		ams := ms
		if fl, ok := tl.(*detector.FinderPattern); ok {
			if fr, ok := tr.(*detector.FinderPattern); ok {
				if fb, ok := bl.(*detector.FinderPattern); ok {
					// The module size near the fourth corner: depth,
					// and so 1/ms, is linear on the card's plane. zxing's
					// run measure scaled by it: the alignment finder
					// wants the local size (+12 held tuning frames).
					w := 1/fr.GetEstimatedModuleSize() + 1/fb.GetEstimatedModuleSize() - 1/fl.GetEstimatedModuleSize()
					if w > 0 {
						ams = math.Max(ms/2, math.Min(2*ms, ms*(1/w)/((fl.GetEstimatedModuleSize()+fr.GetEstimatedModuleSize()+fb.GetEstimatedModuleSize())/3)))
					}
				}
			}
		}
		if eok {
			ap = findAlignment(m, ams, int(ex), int(ey), 4)
			if ap == nil {
				// Module axes at the corner: the top-left finder's
				// directions, scaled to the local module size.
				d1 := gozxing.ResultPoint_Distance(tl, tr)
				d2 := gozxing.ResultPoint_Distance(tl, bl)
				ux, uy := (tr.GetX()-tl.GetX())/d1*ams, (tr.GetY()-tl.GetY())/d1*ams
				vx, vy := (bl.GetX()-tl.GetX())/d2*ams, (bl.GetY()-tl.GetY())/d2*ams
				if x, y, ok := alignByTemplate(m, ex, ey, ux, uy, vx, vy, 3); ok {
					ap = detector.NewAlignmentPattern(x, y, ams)
				}
			}
		}
		for f := 4.0; f <= 16 && ap == nil; f *= 2 {
			ap = findAlignment(m, ams, int(ax), int(ay), f)
		}
	}
	// Without an alignment pattern the grid is affine; with one found,
	// an affine retry of the same dimension decoded nothing more.
	return g.sampleDecode(m, bl, tl, tr, ap, dim, ver, ms)
}

func findAlignment(m *gozxing.BitMatrix, ms float64, x, y int, f float64) *detector.AlignmentPattern {
	a := int(f * ms)
	x0, x1 := max(x-a, 0), min(x+a, m.GetWidth()-1)
	y0, y1 := max(y-a, 0), min(y+a, m.GetHeight()-1)
	if float64(x1-x0) < 3*ms || float64(y1-y0) < 3*ms {
		return nil
	}
	ap, err := detector.NewAlignmentPatternFinder(m, x0, y0, x1-x0, y1-y0, ms, nil).Find()
	if err != nil {
		return nil
	}
	return ap
}

func (g *gridReader) sampleDecode(m *gozxing.BitMatrix, bl, tl, tr gozxing.ResultPoint, ap *detector.AlignmentPattern, dim int, ver *decoder.Version, ms float64) (Result, error) {
	t := detector.Detector_createTransform(tl, tr, bl, ap, dim)
	if !g.timingOK(m, t, dim) {
		var ok bool
		if t, ok = g.fitted(m, bl, tl, tr, dim); !ok {
			return Result{}, ErrNotFound
		}
		ap = nil // not on the fitted grid
	}
	dr, err := g.decodeGrid(m, t, dim, ver, ms)
	if err != nil {
		return Result{}, ErrNotFound
	}
	pts := []gozxing.ResultPoint{bl, tl, tr}
	if ap != nil {
		pts = append(pts, ap)
	}
	if md, ok := dr.GetOther().(*decoder.QRCodeDecoderMetaData); ok {
		md.ApplyMirroredCorrection(pts)
	}
	return Result{Text: dr.GetText(), Points: pts}, nil
}

// fitted is the grid of the plane fitted to the timing patterns, when
// it passes the timing check.
func (g *gridReader) fitted(m *gozxing.BitMatrix, bl, tl, tr gozxing.ResultPoint, dim int) (*common.PerspectiveTransform, bool) {
	p, wrong := fitPlane(m, bl, tl, tr, dim)
	if wrong < 0 || 5*wrong > 2*(dim-16) {
		return nil, false
	}
	return p.transform()
}

// decodeGrid samples the grid of t and decodes it, tile by tile when the
// single transform did not decode.
func (g *gridReader) decodeGrid(m *gozxing.BitMatrix, t *common.PerspectiveTransform, dim int, ver *decoder.Version, ms float64) (*common.DecoderResult, error) {
	bits, ok := g.sample(m, t, dim)
	if !ok {
		return nil, ErrNotFound
	}
	dr, err := g.dec.Decode(bits, nil)
	if err != nil && g.tiles {
		if bits, ok = g.sampleTiled(m, t, ver, ms); ok {
			dr, err = g.dec.Decode(bits, nil)
		}
	}
	return dr, err
}

// timingOK samples the two timing patterns (row and column 6 between the
// finders, alternating dark and light) and accepts the grid when at most a
// fifth of their modules are wrong. A wrong triple or dimension gets about
// half wrong; a grid with a fifth of its modules wrong has most of its
// bytes wrong, more than error correction repairs. It spares the full
// sample and the decoder's error correction on grids that cannot decode.
func (g *gridReader) timingOK(m *gozxing.BitMatrix, t *common.PerspectiveTransform, dim int) bool {
	n := dim - 16 // modules 8..dim-9
	if cap(g.points) < 4*n {
		g.points = make([]float64, 4*n)
	}
	pts := g.points[:4*n]
	for i := 0; i < n; i++ {
		c := float64(8+i) + 0.5
		pts[2*i], pts[2*i+1] = c, 6.5
		pts[2*(n+i)], pts[2*(n+i)+1] = 6.5, c
	}
	t.TransformPoints(pts)
	w, h := m.GetWidth(), m.GetHeight()
	wrong := 0
	for i := 0; i < 2*n; i++ {
		px, py := int(pts[2*i]), int(pts[2*i+1])
		if px < -1 || py < -1 || px > w || py > h {
			return false
		}
		dark := (i%n)%2 == 0 // module 8 is dark
		if m.Get(clampInt(px, 0, w-1), clampInt(py, 0, h-1)) != dark {
			wrong++
		}
	}
	return 5*wrong <= 2*n
}

// sample reads each module from the pixel under its centre.
func (g *gridReader) sample(m *gozxing.BitMatrix, t *common.PerspectiveTransform, dim int) (*gozxing.BitMatrix, bool) {
	if g.bits == nil || g.bits.GetWidth() != dim {
		g.bits, _ = gozxing.NewBitMatrix(dim, dim)
	} else {
		g.bits.Clear()
	}
	if cap(g.points) < 2*dim {
		g.points = make([]float64, 2*dim)
	}
	pts := g.points[:2*dim]
	w, h := m.GetWidth(), m.GetHeight()
	for y := 0; y < dim; y++ {
		for x := 0; x < dim; x++ {
			pts[2*x], pts[2*x+1] = float64(x)+0.5, float64(y)+0.5
		}
		t.TransformPoints(pts)
		for x := 0; x < dim; x++ {
			px, py := int(pts[2*x]), int(pts[2*x+1])
			// A point a pixel outside is nudged in, as zxing does; further
			// out the finder triple was wrong.
			if px < -1 || py < -1 || px > w || py > h {
				return nil, false
			}
			if m.Get(clampInt(px, 0, w-1), clampInt(py, 0, h-1)) {
				g.bits.Set(x, y)
			}
		}
	}
	return g.bits, true
}

// moduleSize measures the module pitch as zxing does: the black-white-black
// run through each finder pattern towards the other two, averaged; more
// faithful under blur than the finder's own estimate.
func moduleSize(m *gozxing.BitMatrix, bl, tl, tr gozxing.ResultPoint) float64 {
	return (moduleSizeOneWay(m, tl, tr) + moduleSizeOneWay(m, tl, bl)) / 2
}

func moduleSizeOneWay(m *gozxing.BitMatrix, a, b gozxing.ResultPoint) float64 {
	e1 := runBothWays(m, int(a.GetX()), int(a.GetY()), int(b.GetX()), int(b.GetY()))
	e2 := runBothWays(m, int(b.GetX()), int(b.GetY()), int(a.GetX()), int(a.GetY()))
	switch {
	case math.IsNaN(e1):
		return e2 / 7
	case math.IsNaN(e2):
		return e1 / 7
	}
	return (e1 + e2) / 14
}

func runBothWays(m *gozxing.BitMatrix, fromX, fromY, toX, toY int) float64 {
	res := bwbRun(m, fromX, fromY, toX, toY)
	w, h := m.GetWidth(), m.GetHeight()
	scale := 1.0
	otherX := fromX - (toX - fromX)
	if otherX < 0 {
		scale = float64(fromX) / float64(fromX-otherX)
		otherX = 0
	} else if otherX >= w {
		scale = float64(w-1-fromX) / float64(otherX-fromX)
		otherX = w - 1
	}
	otherY := int(float64(fromY) - float64(toY-fromY)*scale)
	scale = 1
	if otherY < 0 {
		scale = float64(fromY) / float64(fromY-otherY)
		otherY = 0
	} else if otherY >= h {
		scale = float64(h-1-fromY) / float64(otherY-fromY)
		otherY = h - 1
	}
	otherX = int(float64(fromX) + float64(otherX-fromX)*scale)
	return res + bwbRun(m, fromX, fromY, otherX, otherY) - 1
}

// bwbRun is the length of the black-white-black run from (fromX, fromY)
// towards (toX, toY), Bresenham-stepped; NaN when there is none.
func bwbRun(m *gozxing.BitMatrix, fromX, fromY, toX, toY int) float64 {
	steep := abs(toY-fromY) > abs(toX-fromX)
	if steep {
		fromX, fromY, toX, toY = fromY, fromX, toY, toX
	}
	dx, dy := abs(toX-fromX), abs(toY-fromY)
	e := -dx / 2
	xstep, ystep := 1, 1
	if fromX >= toX {
		xstep = -1
	}
	if fromY >= toY {
		ystep = -1
	}
	state := 0
	for x, y := fromX, fromY; x != toX+xstep; x += xstep {
		rx, ry := x, y
		if steep {
			rx, ry = y, x
		}
		if (state == 1) == m.Get(rx, ry) {
			if state == 2 {
				return math.Hypot(float64(x-fromX), float64(y-fromY))
			}
			state++
		}
		e += dy
		if e > 0 {
			if y == toY {
				break
			}
			y += ystep
			e -= dx
		}
	}
	if state == 2 {
		return math.Hypot(float64(toX+xstep-fromX), float64(toY-fromY))
	}
	return math.NaN()
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// alignmentGuess is where the bottom-right alignment pattern should be, k
// of the way from the top-left finder to the fourth corner. Affine: the
// parallelogram of the three finder centres. Perspective: the same
// parallelogram on the card's plane, the finders weighted by the inverse
// of their module size (nearer patterns look larger), which follows a
// card turned away from the camera.
func alignmentGuess(bl, tl, tr gozxing.ResultPoint, k float64, persp bool) (x, y float64, ok bool) {
	wtl, wtr, wbl := 1.0, 1.0, 1.0
	if persp {
		fl, ok1 := tl.(*detector.FinderPattern)
		fr, ok2 := tr.(*detector.FinderPattern)
		fb, ok3 := bl.(*detector.FinderPattern)
		if !ok1 || !ok2 || !ok3 || fl.GetEstimatedModuleSize() <= 0 || fr.GetEstimatedModuleSize() <= 0 || fb.GetEstimatedModuleSize() <= 0 {
			return 0, 0, false
		}
		wtl, wtr, wbl = 1/fl.GetEstimatedModuleSize(), 1/fr.GetEstimatedModuleSize(), 1/fb.GetEstimatedModuleSize()
	}
	wbr := wtr + wbl - wtl
	if wbr <= 0.2*wtl {
		return 0, 0, false
	}
	brX := (wtr*tr.GetX() + wbl*bl.GetX() - wtl*tl.GetX())
	brY := (wtr*tr.GetY() + wbl*bl.GetY() - wtl*tl.GetY())
	w := wtl + k*(wbr-wtl)
	return (wtl*tl.GetX() + k*(brX-wtl*tl.GetX())) / w, (wtl*tl.GetY() + k*(brY-wtl*tl.GetY())) / w, true
}
