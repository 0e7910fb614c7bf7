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
	sums       []int32 // one band of blocks: pixel sums, minima, maxima
	los, his   []int32
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
	b.sums, b.los, b.his = make([]int32, b.subW), make([]int32, b.subW), make([]int32, b.subW)
	b.row = gozxing.NewBitArray(w)
	b.matrix, _ = gozxing.NewBitMatrix(w, h)
}

func (b *hybridBinarizer) blackPoints(f camera.Frame) {
	maxY := f.Height - blockSize
	full := f.Width >> blockPower // blocks wholly inside the row
	sums, los, his := b.sums[:b.subW], b.los[:b.subW], b.his[:b.subW]
	for by := 0; by < b.subH; by++ {
		yoff := min(by<<blockPower, maxY)
		for i := range sums {
			sums[i], los[i], his[i] = 0, 255, 0
		}
		// Row by row across all blocks of the band: sequential reads.
		for yy := 0; yy < blockSize; yy++ {
			row := f.Y[(yoff+yy)*f.Stride : (yoff+yy)*f.Stride+f.Width]
			for bx := 0; bx < full; bx++ {
				p := row[bx*blockSize : bx*blockSize+blockSize : bx*blockSize+blockSize]
				p0, p1, p2, p3 := int32(p[0]), int32(p[1]), int32(p[2]), int32(p[3])
				p4, p5, p6, p7 := int32(p[4]), int32(p[5]), int32(p[6]), int32(p[7])
				sums[bx] += p0 + p1 + p2 + p3 + p4 + p5 + p6 + p7
				lo := min(min(min(p0, p1), min(p2, p3)), min(min(p4, p5), min(p6, p7)))
				hi := max(max(max(p0, p1), max(p2, p3)), max(max(p4, p5), max(p6, p7)))
				los[bx] = min(los[bx], lo)
				his[bx] = max(his[bx], hi)
			}
			if full < b.subW { // a partial last block takes the last 8 pixels
				p := row[f.Width-blockSize:]
				bx := b.subW - 1
				for _, v := range p[:blockSize] {
					sums[bx] += int32(v)
					los[bx] = min(los[bx], int32(v))
					his[bx] = max(his[bx], int32(v))
				}
			}
		}
		for bx := 0; bx < b.subW; bx++ {
			avg := sums[bx] >> (2 * blockPower)
			lo := los[bx]
			if his[bx]-lo <= minDynamicRange {
				// A flat block is taken as background: half its minimum,
				// unless its neighbours saw darker points (zxing's rule).
				avg = lo / 2
				if by > 0 && bx > 0 {
					i := by*b.subW + bx
					nb := (b.blackPts[i-b.subW] + 2*b.blackPts[i-1] + b.blackPts[i-b.subW-1]) / 4
					if lo < nb {
						avg = nb
					}
				}
			}
			b.blackPts[by*b.subW+bx] = avg
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
	fullWords := f.Width >> 5 // words made of four whole blocks
	for y := 0; y < f.Height; y++ {
		thr := b.thresholds[min(y>>blockPower, b.subH-1)*b.subW:][:b.subW]
		px := f.Y[y*f.Stride : y*f.Stride+f.Width]
		for wi := 0; wi < fullWords; wi++ {
			var word uint32
			for k := 0; k < 4; k++ {
				bx := wi*4 + k
				word |= blockBits(px[bx*blockSize:bx*blockSize+blockSize:bx*blockSize+blockSize], thr[bx]) << uint(k*blockSize)
			}
			words[wi] = word
		}
		for wi := fullWords; wi < len(words); wi++ {
			words[wi] = 0
		}
		for x := fullWords << 5; x < f.Width; x++ {
			bit := uint32(int32(px[x])-thr[min(x>>blockPower, len(thr)-1)]-1) >> 31
			words[x>>5] |= bit << uint(x&31)
		}
		b.matrix.SetRow(y, b.row)
	}
}

// blockBits thresholds eight pixels: bit i is set when p[i] <= t (<= keeps
// black 0 black under a zero threshold), from the sign of p[i]-t-1.
func blockBits(p []byte, t int32) uint32 {
	t++
	return uint32(int32(p[0])-t)>>31 |
		uint32(int32(p[1])-t)>>31<<1 |
		uint32(int32(p[2])-t)>>31<<2 |
		uint32(int32(p[3])-t)>>31<<3 |
		uint32(int32(p[4])-t)>>31<<4 |
		uint32(int32(p[5])-t)>>31<<5 |
		uint32(int32(p[6])-t)>>31<<6 |
		uint32(int32(p[7])-t)>>31<<7
}
