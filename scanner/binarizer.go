package scanner

import (
	"encoding/binary"

	"github.com/scangate/scangate/door"

	"github.com/makiuchi-d/gozxing"
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
	hsums      []int32 // per block sum of the 5 blocks in its row around it
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
func (b *hybridBinarizer) binarize(f door.Frame) *gozxing.BitMatrix {
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
	b.hsums = make([]int32, n)
	b.sums, b.los, b.his = make([]int32, b.subW), make([]int32, b.subW), make([]int32, b.subW)
	b.row = gozxing.NewBitArray(w)
	b.matrix, _ = gozxing.NewBitMatrix(w, h)
}

func (b *hybridBinarizer) blackPoints(f door.Frame) {
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
				v := binary.LittleEndian.Uint64(row[bx*blockSize : bx*blockSize+blockSize : bx*blockSize+blockSize])
				p0, p1, p2, p3 := int32(v&0xff), int32(v>>8&0xff), int32(v>>16&0xff), int32(v>>24&0xff)
				p4, p5, p6, p7 := int32(v>>32&0xff), int32(v>>40&0xff), int32(v>>48&0xff), int32(v>>56)
				// Sum as four 16-bit lanes: one add for two pixels.
				l := v&0x00ff00ff00ff00ff + v>>8&0x00ff00ff00ff00ff
				sums[bx] += int32((l * 0x0001000100010001) >> 48)
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

// average sets each block's threshold to the mean black point of the 5×5
// blocks around it (shifted inwards at the edges, as zxing does), with
// the rows' 5-block sums computed once.
func (b *hybridBinarizer) average() {
	w := b.subW
	for by := 0; by < b.subH; by++ {
		r := b.blackPts[by*w : (by+1)*w]
		hs := b.hsums[by*w : (by+1)*w]
		sum := r[0] + r[1] + r[2] + r[3] + r[4]
		hs[2] = sum
		for c := 3; c <= w-3; c++ {
			sum += r[c+2] - r[c-3]
			hs[c] = sum
		}
	}
	for by := 0; by < b.subH; by++ {
		top := clampInt(by, 2, b.subH-3)
		h0, h1, h2 := b.hsums[(top-2)*w:][:w], b.hsums[(top-1)*w:][:w], b.hsums[top*w:][:w]
		h3, h4 := b.hsums[(top+1)*w:][:w], b.hsums[(top+2)*w:][:w]
		out := b.thresholds[by*w:][:w]
		for bx := range out {
			c := clampInt(bx, 2, w-3)
			out[bx] = (h0[c] + h1[c] + h2[c] + h3[c] + h4[c]) / 25
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

func (b *hybridBinarizer) threshold(f door.Frame) {
	words := b.row.GetBitArray()
	fullWords := f.Width >> 5 // words made of four whole blocks
	for y := 0; y < f.Height; y++ {
		thr := b.thresholds[min(y>>blockPower, b.subH-1)*b.subW:][:b.subW]
		px := f.Y[y*f.Stride : y*f.Stride+f.Width]
		for wi := 0; wi < fullWords; wi++ {
			p := px[wi*32 : wi*32+32 : wi*32+32]
			t := thr[wi*4 : wi*4+4 : wi*4+4]
			words[wi] = blockBits(binary.LittleEndian.Uint64(p[0:]), t[0]) |
				blockBits(binary.LittleEndian.Uint64(p[8:]), t[1])<<8 |
				blockBits(binary.LittleEndian.Uint64(p[16:]), t[2])<<16 |
				blockBits(binary.LittleEndian.Uint64(p[24:]), t[3])<<24
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

// Eight pixels in the bytes of a word, least significant first.
const (
	laneHigh = 0x8080808080808080 // bit 7 of every byte
	laneOne  = 0x0101010101010101
)

// lanesLess sets bit 7 of each byte of the result where that byte of x is
// below the one of y, unsigned (Hacker's Delight 2-18, without borrows
// between bytes).
func lanesLess(x, y uint64) uint64 {
	z := (x | laneHigh) - (y &^ laneHigh) // bit 7: low 7 bits of x >= those of y
	return (^x&y | ^(x^y)&^z) & laneHigh
}

// blockBits thresholds eight pixels: bit i is set when pixel i <= t (<=
// keeps black 0 black under a zero threshold).
func blockBits(px uint64, t int32) uint32 {
	if t >= 255 {
		return 0xff
	}
	lt := lanesLess(px, uint64(t+1)*laneOne)
	// Gather bit 7 of byte i into bit 56+i.
	return uint32((lt >> 7) * 0x0102040810204080 >> 56)
}

// globalBinarizer is gozxing's GlobalHistogramBinarizer (one black point
// from a histogram of four rows) reading the frame in place and
// thresholding eight pixels a word, with its matrix kept between frames of
// the same size. It gives gozxing's matrix bit for bit.
type globalBinarizer struct {
	buckets [1 << globalBucketBits]int
	row     *gozxing.BitArray
	matrix  *gozxing.BitMatrix
}

const globalBucketBits = 5

// binarize thresholds f into the reused matrix, or returns ErrNotFound
// when f has too little contrast for a black point.
func (g *globalBinarizer) binarize(f door.Frame) (*gozxing.BitMatrix, error) {
	w, h := f.Width, f.Height
	clear(g.buckets[:])
	for y := 1; y < 5; y++ {
		px := f.Y[(h*y/5)*f.Stride:]
		for x := w / 5; x < w*4/5; x++ {
			g.buckets[px[x]>>(8-globalBucketBits)]++
		}
	}
	black, ok := globalBlackPoint(g.buckets[:])
	if !ok {
		return nil, ErrNotFound
	}
	if g.matrix == nil || g.matrix.GetWidth() != w || g.matrix.GetHeight() != h {
		g.matrix, _ = gozxing.NewBitMatrix(w, h)
		g.row = gozxing.NewBitArray(w)
	}
	t := int32(black - 1) // set where pixel < black
	words := g.row.GetBitArray()
	fullWords := w >> 5
	for y := 0; y < h; y++ {
		px := f.Y[y*f.Stride : y*f.Stride+w]
		for wi := 0; wi < fullWords; wi++ {
			p := px[wi*32 : wi*32+32 : wi*32+32]
			words[wi] = blockBits(binary.LittleEndian.Uint64(p[0:]), t) |
				blockBits(binary.LittleEndian.Uint64(p[8:]), t)<<8 |
				blockBits(binary.LittleEndian.Uint64(p[16:]), t)<<16 |
				blockBits(binary.LittleEndian.Uint64(p[24:]), t)<<24
		}
		for wi := fullWords; wi < len(words); wi++ {
			words[wi] = 0
		}
		for x := fullWords << 5; x < w; x++ {
			words[x>>5] |= uint32(int32(px[x])-t-1) >> 31 << uint(x&31)
		}
		g.matrix.SetRow(y, g.row)
	}
	return g.matrix, nil
}

// globalBlackPoint is zxing's estimate: the valley between the histogram's
// two peaks, nearer the white one; false when they are too close.
func globalBlackPoint(buckets []int) (int, bool) {
	n := len(buckets)
	maxCount, first, firstSize := 0, 0, 0
	for x, c := range buckets {
		if c > firstSize {
			first, firstSize = x, c
		}
		maxCount = max(maxCount, c)
	}
	second, secondScore := 0, 0
	for x, c := range buckets {
		d := x - first
		if score := c * d * d; score > secondScore {
			second, secondScore = x, score
		}
	}
	if first > second {
		first, second = second, first
	}
	if second-first <= n/16 {
		return 0, false
	}
	valley, valleyScore := second-1, -1
	for x := second - 1; x > first; x-- {
		from := x - first
		if score := from * from * (second - x) * (maxCount - buckets[x]); score > valleyScore {
			valley, valleyScore = x, score
		}
	}
	return valley << (8 - globalBucketBits), true
}
