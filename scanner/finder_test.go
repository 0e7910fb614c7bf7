package scanner

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/scangate/scangate/door"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/detector"

	"github.com/scangate/scangate/camsim"
)

// cleanFrame places a QR code of text with module-pixel modules at (x0,
// y0) in a white 640×480 frame; the code has a 4-module quiet zone.
func cleanFrame(t *testing.T, text string, module, x0, y0 int) door.Frame {
	t.Helper()
	qr, err := camsim.QR(text, module)
	if err != nil {
		t.Fatal(err)
	}
	f := door.Frame{Y: make([]byte, 640*480), Width: 640, Height: 480, Stride: 640}
	for i := range f.Y {
		f.Y[i] = 230
	}
	n := qr.Bounds().Dx()
	for y := 0; y < n; y++ {
		copy(f.Y[(y0+y)*640+x0:], qr.Pix[y*qr.Stride:y*qr.Stride+n])
	}
	return f
}

func TestFinderScanCentres(t *testing.T) {
	const module = 4
	f := cleanFrame(t, "SG1:FINDER-CENTRES-0123456789", module, 100, 60)
	var b hybridBinarizer
	var s finderScan
	cands := s.find(b.binarize(f))
	if len(cands) < 3 {
		t.Fatalf("found %d candidates, want the 3 finder patterns: %+v", len(cands), cands)
	}
	cands = cands[:3] // the most confirmed come first
	qr, _ := camsim.QR("SG1:FINDER-CENTRES-0123456789", 1)
	side := qr.Bounds().Dx() * module
	c := float64(4*module) + 3.5*module // quiet zone plus half a pattern
	want := [][2]float64{{100 + c, 60 + c}, {100 + float64(side) - c, 60 + c}, {100 + c, 60 + float64(side) - c}}
	for _, w := range want {
		ok := false
		for _, got := range cands {
			if math.Abs(got.x-w[0]) <= 1.5 && math.Abs(got.y-w[1]) <= 1.5 && math.Abs(got.ms-module) <= 1 {
				ok = true
			}
		}
		if !ok {
			t.Errorf("no candidate at %v (module %d): %+v", w, module, cands)
		}
	}
	if s.invertedSeen() {
		t.Errorf("black-on-white code: %d inverted row matches confirmed as white-on-black patterns", len(s.inverted))
	}
	tris := triples(cands, nil, lens{})
	if len(tris) == 0 || tris[0].tl.GetX() > tris[0].tr.GetX() || tris[0].tl.GetY() > tris[0].bl.GetY() {
		t.Fatalf("best triple not ordered bottom-left, top-left, top-right: %+v", tris)
	}
	r := s.roi(640, 480)
	if !r.Overlaps(r) || r.Min.X > 100 || r.Min.Y > 60 || r.Max.X < 100+side-4*module || r.Max.Y < 60+side-4*module {
		t.Errorf("region %v does not hold the code at (100,60) side %d", r, side)
	}
}

func TestFinderScanInverted(t *testing.T) {
	f := cleanFrame(t, "SG1:INVERTED", 5, 200, 100)
	for i, v := range f.Y {
		f.Y[i] = 255 - v
	}
	var b hybridBinarizer
	var s finderScan
	s.find(b.binarize(f))
	if !s.invertedSeen() {
		t.Errorf("white-on-black code: fewer than %d of %d inverted row matches confirmed", invertedMin, len(s.inverted))
	}
}

// TestGridReadsSecondDimension: a dimension estimate one version off
// still decodes, since the next nearest dimension is tried.
func TestGridReadsSecondDimension(t *testing.T) {
	const text = "SG1:GRID-DIMENSION-ESTIMATE-OFF-BY-ONE-VERSION"
	f := cleanFrame(t, text, 4, 80, 40)
	var b hybridBinarizer
	var s finderScan
	m := b.binarize(f)
	tris := triples(s.find(m), nil, lens{})
	if len(tris) == 0 {
		t.Fatal("no finder triple")
	}
	tr := tris[0]
	d := NewDecoder()
	ms := moduleSize(m, tr.bl, tr.tl, tr.tr)
	if r, err := d.grid.read(m, tr.bl, tr.tl, tr.tr, ms); err != nil || r.Text != text {
		t.Fatalf("measured module size: %q, %v", r.Text, err)
	}
	// A module size that puts the estimate 2.2 modules above the true
	// dimension: the nearest version is one too big, the second try right.
	qr, _ := camsim.QR(text, 1)
	dim := qr.Bounds().Dx() - 8
	legs := (dist2(&finderCand{x: tr.tl.GetX(), y: tr.tl.GetY()}, &finderCand{x: tr.tr.GetX(), y: tr.tr.GetY()}))
	legs = math.Sqrt(legs)
	off := legs / (float64(dim-7) + 2.2)
	if r, err := d.grid.read(m, tr.bl, tr.tl, tr.tr, off); err != nil || r.Text != text {
		t.Errorf("estimate a version too big (module %.2f for %.2f): %q, %v", off, ms, r.Text, err)
	}
}

// TestRowRuns compares the word-at-a-time run lengths with a pixel walk,
// on widths that end inside a word and rows that start black.
func TestRowRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, w := range []int{1, 31, 32, 33, 100, 640} {
		m, _ := gozxing.NewBitMatrix(w, 4)
		for y := 0; y < 4; y++ {
			for x := 0; x < w; x++ {
				if rng.IntN(3+y) == 0 { // denser and sparser rows
					m.Set(x, y)
				}
			}
		}
		var s finderScan
		s.img.load(m, nil)
		for y := 0; y < 4; y++ {
			var want []int32
			black, run := false, int32(0)
			for x := 0; x < w; x++ {
				if m.Get(x, y) != black {
					want = append(want, run)
					black, run = !black, 0
				}
				run++
			}
			want = append(want, run)
			got := s.rowRuns(y)
			if len(got) != len(want) {
				t.Fatalf("width %d row %d: %d runs, want %d", w, y, len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("width %d row %d: runs %v, want %v", w, y, got, want)
				}
			}
		}
	}
}

// TestTriplesInSpace: a code turned 35° and 30° away is a right isosceles
// triangle of finders only in space. Seen through a pinhole, its three
// finders lose in the frame to a false pattern that makes a rounder
// triangle with two of them; lifted to the depths their module sizes
// give, they win.
func TestTriplesInSpace(t *testing.T) {
	const f, w, h = 320.0, 640.0, 480.0 // the lens of lensFocal on a 640-pixel frame
	// Finder centres on the card (modules), the card turned about both
	// axes and 250 modules of depth from the lens, a module 1 unit.
	rot := func(p [3]float64) [3]float64 {
		ax, ay := 35*math.Pi/180, 30*math.Pi/180
		x, y, z := p[0], p[1]*math.Cos(ax)-p[2]*math.Sin(ax), p[1]*math.Sin(ax)+p[2]*math.Cos(ax)
		return [3]float64{x*math.Cos(ay) + z*math.Sin(ay), y, -x*math.Sin(ay) + z*math.Cos(ay)}
	}
	see := func(u, v float64) finderCand {
		p := rot([3]float64{u - 29, v - 29, 0})
		z := p[2] + 250
		return finderCand{x: w/2 + f*p[0]/z, y: h/2 + f*p[1]/z, ms: f / z, n: 5}
	}
	tl, tr, bl := see(3.5, 3.5), see(61.5, 3.5), see(3.5, 61.5)
	// The false pattern: where a frame-square with tl and tr would put
	// its third corner, the size of tl.
	decoy := finderCand{x: tl.x - (tr.y - tl.y), y: tl.y + (tr.x - tl.x), ms: tl.ms, n: 5}
	cands := []finderCand{tl, tr, bl, decoy}
	isReal := func(tr triple) bool {
		for _, p := range []*detector.FinderPattern{tr.bl, tr.tl, tr.tr} {
			if math.Abs(p.GetX()-decoy.x) < 1 && math.Abs(p.GetY()-decoy.y) < 1 {
				return false
			}
		}
		return true
	}
	flat := triples(cands, nil, lens{})
	if len(flat) == 0 || isReal(flat[0]) {
		t.Fatalf("in the frame the real triple already wins (%d triples): the decoy does not test the lens", len(flat))
	}
	spaced := triples(cands, nil, frameLens(int(w), int(h)))
	if len(spaced) == 0 || !isReal(spaced[0]) {
		t.Errorf("in space the decoy's triple still wins (score %.2f)", spaced[0].score)
	}
}
