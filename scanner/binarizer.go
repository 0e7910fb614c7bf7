package scanner

import (
	"github.com/makiuchi-d/gozxing"

	"github.com/scangate/scangate/drivers/camera"
)

// hybridBinarizer is gozxing's HybridBinarizer (8×8 blocks, black point
// averaged over 5×5 blocks) rewritten to read the frame in place with its
// stride and to keep every table and the output matrix between frames:
// gozxing's allocates two tables and a matrix per frame, which is most of
// its time and all of its garbage.
type hybridBinarizer struct {
	w, h       int
	subW, subH int
	blackPts   []int32 // per block black point, subW*subH
	thresholds []int32 // per block threshold after the 5×5 average
	row        *gozxing.BitArray
	matrix     *gozxing.BitMatrix
}

const (
	blockPower      = 3
	blockSize       = 1 << blockPower
	minDynamicRange = 24
)

// binarize thresholds f into the reused matrix. The matrix is valid until
// the next call.
func (b *hybridBinarizer) binarize(f camera.Frame) *gozxing.BitMatrix {
	b.resize(f.Width, f.Height)
	b.blackPoints(f)
	b.average()
	b.threshold(f)
	return b.matrix
}

func (b *hybridBinarizer) resize(w, h int) {
	if b.matrix != nil && b.w == w && b.h == h {
		return
	}
	b.w, b.h = w, h
	b.subW = (w + blockSize - 1) >> blockPower
	b.subH = (h + blockSize - 1) >> blockPower
	n := b.subW * b.subH
	b.blackPts = make([]int32, n)
	b.thresholds = make([]int32, n)
	b.row = gozxing.NewBitArray(w)
	b.matrix, _ = gozxing.NewBitMatrix(w, h)
}

func (b *hybridBinarizer) blackPoints(f camera.Frame) {
	maxY, maxX := f.Height-blockSize, f.Width-blockSize
	for by := 0; by < b.subH; by++ {
		yoff := min(by<<blockPower, max(maxY, 0))
		for bx := 0; bx < b.subW; bx++ {
			xoff := min(bx<<blockPower, max(maxX, 0))
			sum, lo, hi := 0, 255, 0
			for yy := 0; yy < blockSize && yoff+yy < f.Height; yy++ {
				off := (yoff+yy)*f.Stride + xoff
				end := min(off+blockSize, (yoff+yy)*f.Stride+f.Width)
				for _, p := range f.Y[off:end] {
					v := int(p)
					sum += v
					lo = min(lo, v)
					hi = max(hi, v)
				}
			}
			avg := sum >> (2 * blockPower)
			if hi-lo <= minDynamicRange {
				// A flat block is taken as background: half its minimum,
				// unless its neighbours saw darker points (zxing's rule).
				avg = lo / 2
				if by > 0 && bx > 0 {
					i := by*b.subW + bx
					nb := (int(b.blackPts[i-b.subW]) + 2*int(b.blackPts[i-1]) + int(b.blackPts[i-b.subW-1])) / 4
					if lo < nb {
						avg = nb
					}
				}
			}
			b.blackPts[by*b.subW+bx] = int32(avg)
		}
	}
}

func (b *hybridBinarizer) average() {
	for by := 0; by < b.subH; by++ {
		top := clampInt(by, 2, b.subH-3)
		for bx := 0; bx < b.subW; bx++ {
			left := clampInt(bx, 2, b.subW-3)
			var sum int32
			for z := -2; z <= 2; z++ {
				r := b.blackPts[(top+z)*b.subW+left-2:]
				sum += r[0] + r[1] + r[2] + r[3] + r[4]
			}
			b.thresholds[by*b.subW+bx] = sum / 25
		}
	}
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

func (b *hybridBinarizer) threshold(f camera.Frame) {
	words := b.row.GetBitArray()
	for y := 0; y < f.Height; y++ {
		thr := b.thresholds[min(y>>blockPower, b.subH-1)*b.subW:]
		px := f.Y[y*f.Stride : y*f.Stride+f.Width]
		for wi := range words {
			var word uint32
			x0 := wi * 32
			x1 := min(x0+32, f.Width)
			for x := x0; x < x1; x++ {
				// <= so that black 0 stays black under a zero threshold.
				if int32(px[x]) <= thr[x>>blockPower] {
					word |= 1 << uint(x-x0)
				}
			}
			words[wi] = word
		}
		b.matrix.SetRow(y, b.row)
	}
}
