package scanner

import (
	"image"

	"github.com/scangate/scangate/door"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// Decoder finds and decodes one QR code in a luminance frame. It keeps its
// buffers between frames, so it is not safe for concurrent use; give each
// decoding goroutine its own.
type Decoder struct {
	dec    *decoder.Decoder
	grid   gridReader
	finder finderScan
	bin    hybridBinarizer
	bin2   hybridBinarizer // retries, so the first pass's matrix survives
	sc     frameScaler
	rot    *gozxing.BitMatrix
	// white-on-black finder triples of the first pass and of a scaled one
	invTris, scTris []triple
	rotRow          *gozxing.BitArray
	rotSrc          bitImage
	rotBuf          []uint32
	global          globalBinarizer
	Opts            DecodeOptions
}

// DecodeOptions selects the retries tried after the first pass fails.
type DecodeOptions struct {
	Invert    bool // retry on the inverted matrix (white-on-black codes)
	Global    bool // retry with the global-histogram binarizer when finder patterns were seen
	Downscale bool // retry at half size when finder patterns were seen
	Upscale   bool // retry small frames at double size
	Rotate    bool // retry on the matrix turned by 90° when finder patterns were seen
}

// DefaultDecodeOptions are the settings the daemon and scangate decode use.
var DefaultDecodeOptions = DecodeOptions{Invert: true, Global: true, Downscale: true, Upscale: true, Rotate: true}

// NewDecoder returns a decoder with the settings the daemon uses.
func NewDecoder() *Decoder {
	dec := decoder.NewDecoder()
	return &Decoder{dec: dec, grid: gridReader{dec: dec, tiles: true}, Opts: DefaultDecodeOptions}
}

// Result is one decoded code and where it was found.
type Result struct {
	Text   string
	Points []gozxing.ResultPoint // finder pattern centres, in frame coordinates
}

// Decode returns the text of the QR code in f, or ErrNotFound.
func (d *Decoder) Decode(f door.Frame) (string, error) {
	r, err := d.DecodeResult(f)
	if err != nil {
		return "", err
	}
	return r.Text, nil
}

// DecodeResult is Decode with the code's position.
func (d *Decoder) DecodeResult(f door.Frame) (Result, error) {
	return d.decode(f, d.Opts)
}

func (d *Decoder) decode(f door.Frame, opts DecodeOptions) (Result, error) {
	if err := checkFrame(f); err != nil {
		return Result{}, err
	}
	m, err := d.matrix(&d.bin, f)
	if err != nil {
		return Result{}, err
	}
	base := frameLens(f.Width, f.Height)
	// gozxing's finder as a second opinion costs a pass: only small frames
	// (photos, crops) get it.
	r, seen, err := d.decodeMatrix(m, base, f.Width*f.Height <= 400*400)
	if err == nil {
		return r, nil
	}
	// Retries work on the part of the frame around the finder candidates
	// of the first pass: a code fills a quarter of the frame or less.
	roi := d.finder.roi(f.Width, f.Height)
	// The region retries rescue frames whose first pass found a finder
	// triple that did not decode; with no triple they have never paid
	// off on the synthetic set.
	tried := len(d.finder.tris) > 0
	// White-on-black finder triples, kept for the inverted retry: the
	// scan of the inverted matrix would find the same.
	d.invTris = d.invTris[:0]
	if opts.Invert {
		d.invTris = confirmedTriples(triples(d.finder.invertedCands(), d.invTris, base))
	}
	if opts.Upscale && f.Width*f.Height <= 400*400 {
		if r, _, err := d.decodeScaled(d.sc.double(f), base.scale(2), 0.5); err == nil {
			return r, nil
		}
	}
	if seen && tried && roi.Dx() >= 10*blockSize && roi.Dy() >= 10*blockSize {
		fr := crop(f, roi)
		off := roi.Min
		if opts.Downscale {
			if r, _, err := d.decodeScaled(d.sc.half(fr), base.crop(off).scale(0.5), 2); err == nil {
				return shifted(r, off), nil
			}
		}
		if opts.Rotate {
			if r, _, err := d.decodeMatrix(d.rotated(m, roi), base.turned(roi), false); err == nil {
				w := float64(roi.Dx() - 1)
				for i, p := range r.Points {
					r.Points[i] = gozxing.NewResultPoint(w-p.GetY(), p.GetX())
				}
				return shifted(r, off), nil
			}
		}
		if opts.Global {
			gm, gerr := d.global.binarize(fr)
			if gerr == nil {
				if r, _, err := d.decodeMatrix(gm, base.crop(off), false); err == nil {
					return shifted(r, off), nil
				}
			}
		}
	}
	// White-on-black codes: only when the first pass found finder
	// triples of that polarity.
	if len(d.invTris) > 0 {
		m.FlipAll()
		r, err := d.readTriples(m, d.invTris)
		m.FlipAll()
		if err == nil {
			return r, nil
		}
	}
	if opts.Global && opts.Upscale && f.Width*f.Height <= 400*400 {
		gm, gerr := d.global.binarize(d.sc.double(f))
		if gerr == nil {
			if r, _, err := d.decodeMatrix(gm, base.scale(2), false); err == nil {
				for i, p := range r.Points {
					r.Points[i] = gozxing.NewResultPoint(p.GetX()/2, p.GetY()/2)
				}
				return r, nil
			}
		}
	}
	return Result{}, ErrNotFound
}

// confirmedTriples keeps the triples whose three patterns were each seen
// in three rows or more: print and texture of black-on-white cards make
// white-on-black triples of patterns seen once or twice, which cost the
// inverted retry its grids on most frames that do not decode.
func confirmedTriples(tris []triple) []triple {
	out := tris[:0]
	for _, t := range tris {
		if t.bl.GetCount() > 2 && t.tl.GetCount() > 2 && t.tr.GetCount() > 2 {
			out = append(out, t)
		}
	}
	return out
}

// invertedMin is how many white-on-black finder confirmations (rows) make
// the inverted candidates worth clustering: a real pattern gives several
// per row step.
const invertedMin = 3

func shifted(r Result, off image.Point) Result {
	if off != (image.Point{}) {
		r.Points = shift(r.Points, float64(off.X), float64(off.Y))
	}
	return r
}

// matrix binarizes f with b, or with the global-histogram binarizer
// when f is too small for 5×5 blocks (as zxing does).
func (d *Decoder) matrix(b *hybridBinarizer, f door.Frame) (*gozxing.BitMatrix, error) {
	if f.Width >= 5*blockSize && f.Height >= 5*blockSize {
		return b.binarize(f), nil
	}
	m, err := d.global.binarize(f)
	if err != nil {
		return nil, ErrNotFound
	}
	return m, nil
}

// decodeScaled binarizes a resampled frame, seen through l, and maps the
// result's points back by factor k.
func (d *Decoder) decodeScaled(f door.Frame, l lens, k float64) (Result, bool, error) {
	m, err := d.matrix(&d.bin2, f)
	if err != nil {
		return Result{}, false, err
	}
	r, seen, err := d.decodeMatrix(m, l, false)
	if err != nil {
		d.scTris = triples(d.finder.invertedCands(), d.scTris, l)
		if len(d.scTris) == 0 {
			return r, seen, err
		}
		m.FlipAll()
		if r, err = d.readTriples(m, d.scTris); err != nil {
			return r, seen, err
		}
	}
	for i, p := range r.Points {
		r.Points[i] = gozxing.NewResultPoint(p.GetX()*k, p.GetY()*k)
	}
	return r, seen, nil
}

// decodeMatrix runs detection and decoding on a binarized frame, whose
// pixels the camera l sees (the triple score's lens). seen
// reports whether finder-pattern candidates were found, which is what makes
// a more expensive retry worth trying.
func (d *Decoder) decodeMatrix(m *gozxing.BitMatrix, l lens, fallback bool) (r Result, seen bool, err error) {
	cands := d.finder.find(m)
	seen = len(cands) > 0
	d.finder.tris = triples(cands, d.finder.tris, l)
	if r, err := d.readTriples(m, d.finder.tris); err == nil {
		return r, true, nil
	}
	if !fallback {
		return Result{}, seen, ErrNotFound
	}
	finder := detector.NewFinderPatternFinder(m, nil)
	info, ferr := finder.Find(nil)
	seen = seen || len(finder.GetPossibleCenters()) > 0
	if ferr != nil {
		return Result{}, seen, ErrNotFound
	}
	bl, tl, tr := info.GetBottomLeft(), info.GetTopLeft(), info.GetTopRight()
	r, err = d.grid.read(m, bl, tl, tr, moduleSize(m, bl, tl, tr))
	return r, true, err
}

// readTriples decodes the code at the first finder triple that gives one.
func (d *Decoder) readTriples(m *gozxing.BitMatrix, tris []triple) (Result, error) {
	for _, t := range tris {
		if r, err := d.grid.read(m, t.bl, t.tl, t.tr, moduleSize(m, t.bl, t.tl, t.tr)); err == nil {
			return r, nil
		}
	}
	return Result{}, ErrNotFound
}

// rotated turns the part r of m by 90° into a reused matrix: output row
// w-1-x is source column x. It works on 32×32 bit blocks by word
// transposition.
func (d *Decoder) rotated(m *gozxing.BitMatrix, r image.Rectangle) *gozxing.BitMatrix {
	w, h := r.Dx(), r.Dy()
	if d.rot == nil || d.rot.GetWidth() != h || d.rot.GetHeight() != w {
		d.rot, _ = gozxing.NewBitMatrix(h, w)
		d.rotRow = gozxing.NewBitArray(h)
	}
	d.rotRow = d.rotSrc.load(m, d.rotRow)
	src := &d.rotSrc
	ostride := (h + 31) >> 5
	if cap(d.rotBuf) < ostride*w {
		d.rotBuf = make([]uint32, ostride*w)
	}
	out := d.rotBuf[:ostride*w]
	var blk [32]uint32
	for yb := 0; yb < h; yb += 32 {
		for xb := 0; xb < w; xb += 32 {
			x := r.Min.X + xb
			wi, sh := x>>5, uint(x&31)
			keep := min(32, w-xb) // columns of this block inside r
			mask := uint32(1)<<uint(keep) - 1
			if keep == 32 {
				mask = ^uint32(0)
			}
			for i := range blk {
				blk[i] = 0
				if yb+i >= h {
					continue
				}
				row := src.words[(r.Min.Y+yb+i)*src.stride:][:src.stride]
				v := row[wi] >> sh
				if sh != 0 && wi+1 < len(row) {
					v |= row[wi+1] << (32 - sh)
				}
				blk[i] = v & mask
			}
			transpose32(&blk)
			for j := 0; j < keep; j++ {
				out[(w-1-xb-j)*ostride+yb>>5] = blk[j]
			}
		}
	}
	words := d.rotRow.GetBitArray()
	for o := 0; o < w; o++ {
		copy(words, out[o*ostride:(o+1)*ostride])
		d.rot.SetRow(o, d.rotRow)
	}
	return d.rot
}

// transpose32 transposes a 32×32 bit block in place: bit j of a[i]
// becomes bit i of a[j] (Hacker's Delight 7-3, least significant bit
// first).
func transpose32(a *[32]uint32) {
	m := uint32(0x0000ffff)
	for j := 16; j != 0; j, m = j>>1, m^(m<<uint(j>>1)) {
		for k := 0; k < 32; k = ((k | j) + 1) &^ j {
			t := (a[k]>>uint(j) ^ a[k|j]) & m
			a[k] ^= t << uint(j)
			a[k|j] ^= t
		}
	}
}
