package scanner

import (
	"image"
	"math"
	"math/bits"
	"sort"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// finderScan finds QR finder patterns (the 1:1:3:1:1 squares in three
// corners) in a binarized frame. It replaces gozxing's finder, which
// checks every run against a tight ratio, stops after the first three
// confirmed centres and keeps only triples of near-equal module size: on
// noisy frames and cards turned away from the camera it often keeps one of
// the three real patterns. Here every other row is scanned, candidates are
// confirmed in the column and the row through their centre with looser
// ratios, clustered, and the triples are ranked by how close they come to
// the right isosceles triangle of a QR code, with the module-size spread
// perspective allows.
type finderScan struct {
	runs  []int32 // run lengths of one row or column, starting with white
	cands []finderCand
	row   *gozxing.BitArray
	img   bitImage
	// inverted holds row matches of white-on-black finder patterns
	// (x, y, width), confirmed only when the inverted retry is considered:
	// in most frames the first pass decodes and they are never needed.
	inverted []invertedMatch
	icands   []finderCand // confirmed inverted candidates
	tris     []triple
}

type invertedMatch struct{ x, y, total int32 }

type finderCand struct {
	x, y, ms float64 // centre and module size
	n        int     // confirmations merged into it
}

// Finder scan limits: a row match must pass the confirmations; the
// centre run may be 2–4.5 modules of the pattern's width (blur widens
// black), the outer runs 0.4–1.9.
const (
	finderRowStep  = 2
	finderTriples  = 4 // triples tried per matrix (2 until the held set: +2 tuning, +3 synthetic)
	finderMinTotal = 7
	finderMaxCands = 10 // best-confirmed candidates kept for the triple search
	// onceScore is added to a triple's score for each candidate in it seen
	// once (0.45 and 0.6: +3 held tuning frames; 0.3: +0; 0.9: +2).
	onceScore = 0.6
	// seenScore weighs a candidate's confirmations against the best
	// candidate's: a false pattern in the data is confirmed in fewer rows
	// than the three real ones (0.2–0.4: +3–4 of 800 held tuning frames;
	// 0.6: −3; 1.0: −16).
	seenScore = 0.3
)

// bitImage is a binarized frame as plain words (bit x&31 of word x>>5 of
// its row, as in gozxing's BitMatrix): the finder reads every row and
// thousands of column pixels, and BitMatrix.Get is not inlined through the
// walks.
type bitImage struct {
	w, h, stride int
	words        []uint32
}

// load copies m's bits.
func (b *bitImage) load(m *gozxing.BitMatrix, row *gozxing.BitArray) *gozxing.BitArray {
	b.w, b.h = m.GetWidth(), m.GetHeight()
	b.stride = (b.w + 31) >> 5
	if cap(b.words) < b.stride*b.h {
		b.words = make([]uint32, b.stride*b.h)
	}
	b.words = b.words[:b.stride*b.h]
	for y := 0; y < b.h; y++ {
		row = m.GetRow(y, row)
		copy(b.words[y*b.stride:(y+1)*b.stride], row.GetBitArray())
	}
	return row
}

func (b *bitImage) get(x, y int) bool {
	return b.words[y*b.stride+x>>5]>>uint(x&31)&1 != 0
}

// rowRuns fills s.runs with the run lengths of row y, white first (a zero
// run when the row starts black), from the row's colour changes a word at
// a time.
func (s *finderScan) rowRuns(y int) []int32 {
	w := s.img.w
	words := s.img.words[y*s.img.stride : (y+1)*s.img.stride]
	if cap(s.runs) < w+2 {
		s.runs = make([]int32, w+2)
	}
	runs := s.runs[:w+2]
	n, start := 0, 0
	var prev uint32 // the previous word: its last pixel is left of this one's first
	for wi, word := range words {
		edges := word ^ (word<<1 | prev>>31) // bit i: pixel i differs from pixel i-1
		prev = word
		if rest := w - wi*32; rest < 32 {
			edges &= 1<<uint(rest) - 1
		}
		for edges != 0 {
			x := wi*32 + bits.TrailingZeros32(edges)
			runs[n] = int32(x - start)
			n++
			start = x
			edges &= edges - 1
		}
	}
	runs[n] = int32(w - start)
	return runs[:n+1]
}

// finderRatio reports whether five runs (black, white, black, white,
// black) look like a finder pattern seen across its centre.
func finderRatio(r0, r1, r2, r3, r4 int32) bool {
	total := r0 + r1 + r2 + r3 + r4
	if total < finderMinTotal || r2 < r0 || r2 < r4 {
		return false
	}
	// Compare in seventieths to stay in integers: a module is total/7.
	lo, hi := 4*total, 19*total
	return 70*r2 >= 20*total && 70*r2 <= 45*total &&
		70*r0 >= lo && 70*r0 <= hi && 70*r1 >= lo && 70*r1 <= hi &&
		70*r3 >= lo && 70*r3 <= hi && 70*r4 >= lo && 70*r4 <= hi
}

// find returns the finder-pattern candidates in m, best confirmed first.
func (s *finderScan) find(m *gozxing.BitMatrix) []finderCand {
	s.cands = s.cands[:0]
	s.inverted = s.inverted[:0]
	s.row = s.img.load(m, s.row)
	h := s.img.h
	for y := finderRowStep / 2; y < h; y += finderRowStep {
		runs := s.rowRuns(y)
		x := int(runs[0])
		// runs alternate white, black, white...; index 1 is the first black.
		for i := 1; i+4 < len(runs); i += 2 {
			if finderRatio(runs[i], runs[i+1], runs[i+2], runs[i+3], runs[i+4]) {
				cx := x + int(runs[i]+runs[i+1]) + int(runs[i+2])/2
				total := runs[i] + runs[i+1] + runs[i+2] + runs[i+3] + runs[i+4]
				s.cands = s.confirm(cx, y, int(total), true, s.cands)
			}
			// The same runs one later: white-black-white-black-white, a
			// finder pattern printed white on black.
			if i+5 < len(runs) && finderRatio(runs[i+1], runs[i+2], runs[i+3], runs[i+4], runs[i+5]) {
				cx := x + int(runs[i]+runs[i+1]+runs[i+2]) + int(runs[i+3])/2
				total := runs[i+1] + runs[i+2] + runs[i+3] + runs[i+4] + runs[i+5]
				s.inverted = append(s.inverted, invertedMatch{int32(cx), int32(y), total})
			}
			x += int(runs[i] + runs[i+1])
		}
	}
	s.cands = bestCands(s.cands)
	return s.cands
}

// bestCands sorts candidates by confirmations and keeps the best.
func bestCands(cands []finderCand) []finderCand {
	sort.Slice(cands, func(a, b int) bool { return cands[a].n > cands[b].n })
	if len(cands) > finderMaxCands {
		cands = cands[:finderMaxCands]
	}
	return cands
}

// invertedCands returns the white-on-black candidates of the last scanned
// matrix, as find would return them on the inverted matrix; none unless
// invertedSeen.
func (s *finderScan) invertedCands() []finderCand {
	s.icands = s.icands[:0]
	if !s.invertedSeen() {
		return nil
	}
	for _, c := range s.inverted {
		s.icands = s.confirm(int(c.x), int(c.y), int(c.total), false, s.icands)
	}
	s.icands = bestCands(s.icands)
	return s.icands
}

// invertedSeen reports whether the last scanned matrix has at least
// invertedMin confirmed white-on-black finder patterns (rows): a real one
// gives several, texture seldom does.
func (s *finderScan) invertedSeen() bool {
	n := 0
	for _, c := range s.inverted {
		cy, vt := crossRuns(&s.img, int(c.x), int(c.y), 0, 1, int(c.total), false)
		if vt == 0 {
			continue
		}
		if _, ht := crossRuns(&s.img, int(c.x), int(cy), 1, 0, int(c.total), false); ht == 0 {
			continue
		}
		if n++; n >= invertedMin {
			return true
		}
	}
	return false
}

// confirm cross-checks a row match at (cx, y) in its column, re-centres it
// in its row and merges it into the candidate list.
func (s *finderScan) confirm(cx, y, total int, ink bool, cands []finderCand) []finderCand {
	cy, vt := crossRuns(&s.img, cx, y, 0, 1, total, ink)
	if vt == 0 {
		return cands
	}
	ncx, ht := crossRuns(&s.img, cx, int(cy), 1, 0, total, ink)
	if ht == 0 {
		return cands
	}
	ms := float64(vt+ht) / 14
	for i := range cands {
		c := &cands[i]
		if math.Abs(c.x-ncx) <= 2*c.ms && math.Abs(c.y-cy) <= 2*c.ms && ms < 2*c.ms && c.ms < 2*ms {
			n := float64(c.n)
			c.x = (c.x*n + ncx) / (n + 1)
			c.y = (c.y*n + cy) / (n + 1)
			c.ms = (c.ms*n + ms) / (n + 1)
			c.n++
			return cands
		}
	}
	return append(cands, finderCand{x: ncx, y: cy, ms: ms, n: 1})
}

// crossRuns walks from (x, y) along (dx, dy) both ways, measuring the
// black centre run and the white and black runs on either side. It
// returns the position of the centre run's middle along the walk's axis
// (y for a column, x otherwise) and the pattern's total length, or a zero
// total when the runs are not a finder pattern about as long as want.
func crossRuns(m *bitImage, x, y, dx, dy, want int, ink bool) (float64, int) {
	w, h := m.w, m.h
	if x < 0 || y < 0 || x >= w || y >= h || m.get(x, y) != ink {
		return 0, 0
	}
	// No run may be longer than the ratio check below allows at the
	// longest total (2×want): the walks stop as soon as one is.
	limit := [3]int{9 * want / 7, 3 * want / 5, 3 * want / 5}
	var up, down [3]int // centre, white, black counts on each side
	if !walkRuns(m, x, y, -dx, -dy, limit, ink, &up) || !walkRuns(m, x+dx, y+dy, dx, dy, limit, ink, &down) {
		return 0, 0
	}
	r2 := int32(up[0] + down[0])
	total := int(r2) + up[1] + up[2] + down[1] + down[2]
	// A turned card changes the length by perspective.
	if 2*total < want || total > 2*want {
		return 0, 0
	}
	if !finderRatioCross(int32(up[2]), int32(up[1]), r2, int32(down[1]), int32(down[2])) {
		return 0, 0
	}
	var mid float64
	if dy != 0 {
		mid = float64(y-up[0]+1) + float64(r2)/2 - 0.5
	} else {
		mid = float64(x-up[0]+1) + float64(r2)/2 - 0.5
	}
	return mid + 0.5, total
}

// walkRuns counts from (x, y) along (dx, dy) (one of them 0, the other
// ±1) the runs of ink, not ink and ink into c, each up to its limit+1. It
// fails when a run is empty or longer than its limit, or when the image ends
// before the last run began.
func walkRuns(m *bitImage, x, y, dx, dy int, limit [3]int, ink bool, c *[3]int) bool {
	// Walk an index into the words and a position along one axis only.
	pos, end, step := x, m.w, dx
	if dy != 0 {
		pos, end, step = y, m.h, dy
	}
	idx, shift, wstep := y*m.stride+x>>5, uint(x&31), dy*m.stride
	words := m.words
	black := ink
	for k := 0; k < 3; k++ {
		n, lim := 0, limit[k]
		for pos >= 0 && pos < end && (words[idx]>>shift&1 != 0) == black && n <= lim {
			n++
			pos += step
			if dx != 0 {
				shift = uint(int(shift) + dx)
				if shift > 31 { // wrapped below 0 or past 31
					shift &= 31
					idx += dx
				}
			} else {
				idx += wstep
			}
		}
		c[k] = n
		if n == 0 || n > lim || (k < 2 && (pos < 0 || pos >= end)) {
			return false
		}
		black = !black
	}
	return true
}

// triple is three candidates ordered as zxing orders them, with a score:
// lower is closer to a QR code's finder layout.
type triple struct {
	bl, tl, tr *detector.FinderPattern
	score      float64
}

// lens is the camera as the triple score sees it: the principal point and
// the focal length in pixels of the matrix being scanned. The zero lens
// scores the triangles in the frame as they appear.
type lens struct{ cx, cy, f float64 }

// lensFocal is the focal length assumed, as a fraction of the frame
// width. A webcam of 60–70° has 0.7–0.85, camsim's 0.94, but the module
// sizes' depths are noisy and a shorter lens weighs them less: 0.45–0.9
// all +4–5 of 800 held tuning frames; 1.1: −2; 1.5: −20. At 0.5 the
// synthetic set reads 156 (−1; 0.75 and 0.9: −2), the corpus 291 (+1).
const lensFocal = 0.5

func frameLens(w, h int) lens {
	return lens{float64(w) / 2, float64(h) / 2, lensFocal * float64(w)}
}

// crop is l in a part of the frame starting at off.
func (l lens) crop(off image.Point) lens {
	return lens{l.cx - float64(off.X), l.cy - float64(off.Y), l.f}
}

// scale is l in the frame resampled by k.
func (l lens) scale(k float64) lens { return lens{l.cx * k, l.cy * k, l.f * k} }

// turned is l in the part r of the frame turned as Decoder.rotated turns
// it (output row w-1-x is source column x).
func (l lens) turned(r image.Rectangle) lens {
	return lens{l.cy - float64(r.Min.Y), float64(r.Dx()-1) - (l.cx - float64(r.Min.X)), l.f}
}

// lift is c as a point on the ray through it at the depth its module
// size gives (nearer looks larger), relative to the mean depth zm.
func (l lens) lift(c *finderCand, zm float64) [3]float64 {
	z := zm / c.ms
	return [3]float64{z * (c.x - l.cx), z * (c.y - l.cy), z * l.f}
}

// triples returns up to finderTriples plausible finder triples, best
// first. With a lens, each triangle is scored where the finders' module
// sizes put it in space: a card turned 30° away is then close to the
// right isosceles triangle it is, where in the frame a false pattern in
// the data often makes a rounder one.
func triples(cands []finderCand, out []triple, l lens) []triple {
	out = out[:0]
	n := len(cands)
	// Candidates are sorted by confirmations: seen once is noise more
	// often than not, so when three were seen more often, each one seen
	// once costs its triples onceScore (dropping them: −3 held tuning
	// frames; a pattern that noise or a thumb broke in most rows).
	weak := n > 3 && cands[2].n > 1
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			for k := j + 1; k < n; k++ {
				a, b, c := &cands[i], &cands[j], &cands[k]
				lo := min(a.ms, b.ms, c.ms)
				hi := max(a.ms, b.ms, c.ms)
				if hi > 2*lo {
					continue
				}
				// Sides squared, sorted: the hypotenuse is the longest.
				d := [3]float64{dist2(a, b), dist2(b, c), dist2(a, c)}
				if l.f > 0 {
					zm := 3 / (1/a.ms + 1/b.ms + 1/c.ms)
					pa, pb, pc := l.lift(a, zm), l.lift(b, zm), l.lift(c, zm)
					d = [3]float64{dist3(pa, pb), dist3(pb, pc), dist3(pa, pc)}
				}
				sort.Float64s(d[:])
				if d[0] < 0.5*d[1] { // legs of a turned square differ by perspective, not by 2×
					continue
				}
				// Legs at least a version 1 code apart: 14 modules.
				ms := (a.ms + b.ms + c.ms) / 3
				if d[0] < (14*ms)*(14*ms)*0.5 || d[1] > (170*ms)*(170*ms) {
					continue
				}
				score := (math.Abs(d[2]-d[0]-d[1]) + math.Abs(d[1]-d[0])) / d[2]
				// Module sizes spread by perspective; in space the depths
				// account for half of it (0.25: the same; 1: −1 of 800
				// held tuning frames).
				spread := (hi - lo) / hi
				if l.f > 0 {
					spread /= 2
				}
				score += spread
				if weak {
					for _, c := range [3]*finderCand{a, b, c} {
						if c.n == 1 {
							score += onceScore
						}
					}
				}
				for _, c := range [3]*finderCand{a, b, c} {
					score += seenScore * (1 - float64(c.n)/float64(cands[0].n))
				}
				// 1.5, not 0.8: a card tilted 30° on both axes is far from a
				// right isosceles triangle (+5 held tuning frames); the
				// timing check rejects the wrong triples this lets in.
				if score > 1.5 {
					continue
				}
				fa := detector.NewFinderPattern(a.x, a.y, a.ms, a.n)
				fb := detector.NewFinderPattern(b.x, b.y, b.ms, b.n)
				fc := detector.NewFinderPattern(c.x, c.y, c.ms, c.n)
				bl, tl, tr := gozxing.ResultPoint_OrderBestPatterns(fa, fb, fc)
				t := triple{bl.(*detector.FinderPattern), tl.(*detector.FinderPattern), tr.(*detector.FinderPattern), score}
				out = insertTriple(out, t)
			}
		}
	}
	return out
}

func insertTriple(out []triple, t triple) []triple {
	i := sort.Search(len(out), func(i int) bool { return out[i].score > t.score })
	if i >= finderTriples {
		return out
	}
	if len(out) < finderTriples {
		out = append(out, triple{})
	}
	copy(out[i+1:], out[i:])
	out[i] = t
	return out
}

func dist3(a, b [3]float64) float64 {
	dx, dy, dz := a[0]-b[0], a[1]-b[1], a[2]-b[2]
	return dx*dx + dy*dy + dz*dz
}

func dist2(a, b *finderCand) float64 {
	dx, dy := a.x-b.x, a.y-b.y
	return dx*dx + dy*dy
}

// roi returns the part of a w×h frame where the code around the
// candidates can be: their bounding box grown by half its size and ten
// modules, or by 40 modules around a lone candidate. Empty when there are
// no candidates.
func (s *finderScan) roi(w, h int) image.Rectangle {
	var box image.Rectangle
	ms, n := 0.0, 0
	for _, c := range s.cands {
		if c.n < 2 && n >= 2 {
			break
		}
		p := image.Pt(int(c.x), int(c.y))
		if n == 0 {
			box = image.Rectangle{p, p.Add(image.Pt(1, 1))}
		} else {
			box = box.Union(image.Rectangle{p, p.Add(image.Pt(1, 1))})
		}
		ms = max(ms, c.ms)
		n++
	}
	if n == 0 {
		return image.Rectangle{}
	}
	var grow int
	if n == 1 {
		grow = int(40 * ms)
	} else {
		grow = max(box.Dx(), box.Dy())/2 + int(10*ms)
	}
	return box.Inset(-grow).Intersect(image.Rect(0, 0, w, h))
}

// finderRatioCross is finderRatio for the confirming column and row
// through a match: their outer runs may be 0.3–2.1 modules, since blur and
// noise eat into one-module runs that the row match did not cross.
func finderRatioCross(r0, r1, r2, r3, r4 int32) bool {
	total := r0 + r1 + r2 + r3 + r4
	if total < finderMinTotal {
		return false
	}
	ok := func(r int32, lo, hi int32) bool { return 10*7*r >= lo*total && 10*7*r <= hi*total }
	return ok(r0, 3, 21) && ok(r1, 3, 21) && ok(r2, 20, 45) && ok(r3, 3, 21) && ok(r4, 3, 21) &&
		r2 >= r0 && r2 >= r4
}
