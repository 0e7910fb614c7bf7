package scanner

import (
	"math"

	"github.com/makiuchi-d/gozxing"
)

// The bottom-right corner from the finders' edges, the idea of zxing-cpp
// 3's detector (read, not copied): the side of the bottom-left finder that
// faces the top-left one lies on the symbol's row dim-7 (outer edge) and
// dim-6 (inner edge of its ring); the top-right finder's side facing the
// top-left one lies on those columns. A line stays a line under
// perspective, so the two pairs of traced edges meet at the modules
// (dim-7, dim-7) and (dim-6, dim-6), and their midpoint is the
// bottom-right alignment pattern's centre however the card is turned.
// The three finder centres alone (a parallelogram, or one weighted by
// module size) miss it by several modules on a card tilted 30° on both
// axes.

// edgeLine is a line fitted through traced edge points: a point on it and
// its unit direction.
type edgeLine struct {
	px, py, dx, dy float64
}

// cornerByEdges returns the estimated centre of the bottom-right alignment
// pattern from the edges of the bl and tr finder patterns facing tl; ok is
// false when an edge could not be traced.
func cornerByEdges(m *gozxing.BitMatrix, bl, tl, tr gozxing.ResultPoint, ms float64) (x, y float64, ok bool) {
	if !(ms >= 1) { // NaN when zxing's run measure found no run
		return 0, 0, false
	}
	// Each edge fitted alone; when the two corners disagree, each
	// finder's outer and inner edge get one direction fitted to both
	// (parallel in the symbol, nearly so in the frame).
	var pts [4]edgePoints
	for i, f := range [2]gozxing.ResultPoint{bl, tr} {
		var ok1, ok2 bool
		pts[i], ok1 = traceEdge(m, f.GetX(), f.GetY(), tl.GetX(), tl.GetY(), ms, true)
		pts[2+i], ok2 = traceEdge(m, f.GetX(), f.GetY(), tl.GetX(), tl.GetY(), ms, false)
		if !ok1 || !ok2 {
			return 0, 0, false
		}
	}
	for _, pooled := range [2]bool{false, true} {
		var lines [4]edgeLine
		for i := range pts {
			p := pts[i]
			cxx, cyy, cxy := p.cxx, p.cyy, p.cxy
			if pooled {
				q := pts[i^2]
				cxx, cyy, cxy = cxx+q.cxx, cyy+q.cyy, cxy+q.cxy
			}
			ang := 0.5 * math.Atan2(2*cxy, cxx-cyy)
			lines[i] = edgeLine{p.mx, p.my, math.Cos(ang), math.Sin(ang)}
		}
		ox, oy, ok1 := intersect(lines[0], lines[1])
		ix, iy, ok2 := intersect(lines[2], lines[3])
		if !ok1 || !ok2 {
			continue
		}
		// The two corners are a module apart; far more means a traced
		// edge ran along something else.
		if math.Hypot(ox-ix, oy-iy) > 4*ms {
			continue
		}
		x, y = (ox+ix)/2, (oy+iy)/2
		ok = true
		break
	}
	if !ok {
		return 0, 0, false
	}
	w, h := float64(m.GetWidth()), float64(m.GetHeight())
	if x < 0 || y < 0 || x >= w || y >= h {
		return 0, 0, false
	}
	return x, y, true
}

// traceEdge walks from the finder centre (cx, cy) towards (tx, ty) to the
// finder's ring (outer: its outer edge, else its inner edge), then follows
// that edge sideways pixel by pixel, and fits a line to the points.
func traceEdge(m *gozxing.BitMatrix, cx, cy, tx, ty, ms float64, outer bool) (edgePoints, bool) {
	ux, uy := tx-cx, ty-cy
	d := math.Hypot(ux, uy)
	if d < 7*ms {
		return edgePoints{}, false
	}
	ux, uy = ux/d, uy/d
	vx, vy := -uy, ux
	w, h := m.GetWidth(), m.GetHeight()
	black := func(x, y float64) (bool, bool) {
		ix, iy := int(math.Floor(x)), int(math.Floor(y))
		if ix < 0 || iy < 0 || ix >= w || iy >= h {
			return false, false
		}
		return m.Get(ix, iy), true
	}
	// The edge along the centre ray: black stone, white ring, black ring,
	// white outside; the inner edge is the second change, the outer the
	// third.
	want := 3
	if !outer {
		want = 2
	}
	const step = 0.5
	// The ray's colours at half-pixel steps, runs shorter than a third of
	// a module (noise, JPEG) merged into their neighbours.
	var buf [256]bool
	ns := int(6 * ms / step)
	if ns > len(buf) {
		ns = len(buf)
	}
	ray := buf[:ns]
	for k := range ray {
		b, in := black(cx+float64(k)*step*ux, cy+float64(k)*step*uy)
		if !in {
			return edgePoints{}, false
		}
		ray[k] = b
	}
	if !ray[0] {
		return edgePoints{}, false
	}
	minRun := max(1, int(ms/3/step))
	changes, t0 := 0, 0.0
	for k, run := 1, 1; k < ns; k++ {
		if ray[k] == ray[k-1] {
			run++
			continue
		}
		// A change counts when the new colour holds for minRun samples.
		hold := true
		for j := k; j < min(ns, k+minRun); j++ {
			if ray[j] != ray[k] {
				hold = false
				break
			}
		}
		if !hold {
			ray[k] = ray[k-1]
			run++
			continue
		}
		changes++
		run = 1
		if changes == want {
			t0 = (float64(k) - 0.5) * step
			break
		}
	}
	if changes != want || t0 < 1.5*ms || t0 > 5.5*ms {
		return edgePoints{}, false
	}
	// Inside the edge: black for the outer edge (the ring), white for the
	// inner one (the white ring).
	inside := outer
	span := 3 * ms
	if !outer {
		span = 2 * ms
	}
	var sx, sy, sxx, syy, sxy, n float64
	add := func(x, y float64) {
		sx, sy, sxx, syy, sxy, n = sx+x, sy+y, sxx+x*x, syy+y*y, sxy+x*y, n+1
	}
	add(cx+t0*ux, cy+t0*uy)
	for _, dir := range [2]float64{-1, 1} {
		t, miss := t0, 0
		for s := 1.0; s <= span; s++ {
			bx, by := cx+s*dir*vx, cy+s*dir*vy
			// The change nearest the last one, within 2 px along u.
			found := false
			for k := 0; k <= 8 && !found; k++ {
				dt := float64((k+1)/2) * step
				if k%2 == 1 {
					dt = -dt
				}
				tt := t + dt
				a, ina := black(bx+(tt-step/2)*ux, by+(tt-step/2)*uy)
				b, inb := black(bx+(tt+step/2)*ux, by+(tt+step/2)*uy)
				if ina && inb && a == inside && b != inside {
					t, found = tt, true
				}
			}
			if !found {
				if miss++; miss > 2 {
					break
				}
				continue
			}
			miss = 0
			add(bx+t*ux, by+t*uy)
		}
	}
	if n < 1.5*ms {
		return edgePoints{}, false
	}
	mx, my := sx/n, sy/n
	return edgePoints{mx, my, sxx - n*mx*mx, syy - n*my*my, sxy - n*mx*my}, true
}

// edgePoints are traced edge points: their mean and scatter about it.
type edgePoints struct {
	mx, my, cxx, cyy, cxy float64
}

// intersect returns where two lines cross; false when they are nearly
// parallel.
func intersect(a, b edgeLine) (x, y float64, ok bool) {
	den := a.dx*b.dy - a.dy*b.dx
	if math.Abs(den) < 0.2 { // closer than about 12°: not a QR corner
		return 0, 0, false
	}
	t := ((b.px-a.px)*b.dy - (b.py-a.py)*b.dx) / den
	return a.px + t*a.dx, a.py + t*a.dy, true
}

// alignByTemplate looks for an alignment pattern (a dark module in a light
// ring in a dark ring, 5×5 modules) within r modules of (x, y), the
// modules' axes in the frame being (ux, uy) and (vx, vy) pixels a module:
// each position is scored by the 25 module centres of the pattern, and the
// centroid of the best positions is returned. gozxing's finder wants runs
// within half a module of the size it was given; at 2 px a module, with
// blur and JPEG, it misses most patterns that are there.
func alignByTemplate(m *gozxing.BitMatrix, x, y, ux, uy, vx, vy, r float64) (float64, float64, bool) {
	w, h := m.GetWidth(), m.GetHeight()
	msz := math.Max(math.Hypot(ux, uy), math.Hypot(vx, vy))
	if !(msz >= 1) {
		return 0, 0, false
	}
	// The template's sample offsets in pixels, and the colour each wants.
	var offs [25][2]float64
	var want [25]bool
	k := 0
	for j := -2; j <= 2; j++ {
		for i := -2; i <= 2; i++ {
			offs[k] = [2]float64{float64(i)*ux + float64(j)*vx, float64(i)*uy + float64(j)*vy}
			ri := max(abs(i), abs(j))
			want[k] = ri != 1
			k++
		}
	}
	rad := int(r * msz)
	best, n := -1, 0
	var sx, sy float64
	for py := int(y) - rad; py <= int(y)+rad; py++ {
		for px := int(x) - rad; px <= int(x)+rad; px++ {
			score := 0
			for k, o := range offs {
				qx, qy := int(float64(px)+0.5+o[0]), int(float64(py)+0.5+o[1])
				if qx < 0 || qy < 0 || qx >= w || qy >= h {
					score = -100
					break
				}
				if m.Get(qx, qy) == want[k] {
					score++
				}
			}
			switch {
			case score > best:
				best, n, sx, sy = score, 1, float64(px), float64(py)
			case score == best:
				n++
				sx += float64(px)
				sy += float64(py)
			}
		}
	}
	if best < 22 {
		return 0, 0, false
	}
	return sx/float64(n) + 0.5, sy/float64(n) + 0.5, true
}
