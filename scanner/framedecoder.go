package scanner

import (
	"image"

	"github.com/scangate/scangate/door"

	"github.com/makiuchi-d/gozxing"
)

// FrameDecoder is a camera's decode stage: a Decoder plus what a stream of
// frames allows and a single image does not:
// an idle check: a sparse sample of the frame is compared with the last
// frame decoded in full; when nothing moved, the last answer stands.
//
// Not safe for concurrent use.
type FrameDecoder struct {
	// ROI restricts decoding to a fixed rectangle (a card slot); empty
	// means the whole frame.
	ROI image.Rectangle

	d         *Decoder
	ref, cur  []int32 // idle-check samples: reference and current
	refW      int
	refH      int
	haveRef   bool
	sinceFull int
	last      Result
	lastErr   error
}

const (
	idleGridX, idleGridY = 40, 30
	// idleCellDelta is the change of a 2×2 sample sum (four pixels) that
	// counts as movement: far above sensor noise, far below a card edge.
	idleCellDelta = 4 * 20
	// idleMovedCells cells must move for the frame to count as changed.
	idleMovedCells = 2
	// idleMaxSkip bounds how many frames in a row may reuse an answer.
	idleMaxSkip = 30
)

// NewFrameDecoder returns the decode stage the daemon runs per camera.
func NewFrameDecoder() *FrameDecoder {
	return &FrameDecoder{d: NewDecoder()}
}

// Decode returns the code in view in f, or ErrNotFound. Points are in the
// coordinates of the whole frame.
func (fd *FrameDecoder) Decode(f door.Frame) (Result, error) {
	if err := checkFrame(f); err != nil {
		return Result{}, err
	}
	var off image.Point
	if !fd.ROI.Empty() {
		r := fd.ROI.Intersect(image.Rect(0, 0, f.Width, f.Height))
		if r.Dx() >= 5*blockSize && r.Dy() >= 5*blockSize {
			f, off = crop(f, r), r.Min
		}
	}
	if fd.unchanged(f) {
		fd.sinceFull++
		return fd.last, fd.lastErr
	}
	fd.sinceFull = 0
	r, err := fd.d.DecodeResult(f)
	if err == nil && off != (image.Point{}) {
		r.Points = shift(r.Points, float64(off.X), float64(off.Y))
	}
	fd.last, fd.lastErr = r, err
	return r, err
}

// unchanged samples f on a sparse grid and reports whether it matches the
// reference taken at the last full decode; a changed frame becomes the
// new reference.
func (fd *FrameDecoder) unchanged(f door.Frame) bool {
	n := idleGridX * idleGridY
	if len(fd.cur) != n {
		fd.cur, fd.ref = make([]int32, n), make([]int32, n)
	}
	sx, sy := (f.Width-1)/idleGridX, (f.Height-1)/idleGridY
	if sx < 1 || sy < 1 {
		return false
	}
	i := 0
	for gy := 0; gy < idleGridY; gy++ {
		r0 := f.Y[(gy*sy+sy/2)*f.Stride:]
		r1 := f.Y[(gy*sy+sy/2+1)*f.Stride:]
		for gx := 0; gx < idleGridX; gx++ {
			x := gx*sx + sx/2
			fd.cur[i] = int32(r0[x]) + int32(r0[x+1]) + int32(r1[x]) + int32(r1[x+1])
			i++
		}
	}
	same := fd.haveRef && fd.refW == f.Width && fd.refH == f.Height && fd.sinceFull < idleMaxSkip
	if same {
		moved := 0
		for i, v := range fd.cur {
			d := v - fd.ref[i]
			if d > idleCellDelta || d < -idleCellDelta {
				moved++
				if moved >= idleMovedCells {
					same = false
					break
				}
			}
		}
	}
	if !same {
		fd.ref, fd.cur = fd.cur, fd.ref
		fd.refW, fd.refH, fd.haveRef = f.Width, f.Height, true
	}
	return same
}

// crop returns the part of f inside r without copying.
func crop(f door.Frame, r image.Rectangle) door.Frame {
	c := f
	c.Y = f.Y[r.Min.Y*f.Stride+r.Min.X:]
	c.Width, c.Height = r.Dx(), r.Dy()
	return c
}

func shift(pts []gozxing.ResultPoint, dx, dy float64) []gozxing.ResultPoint {
	for i, p := range pts {
		pts[i] = gozxing.NewResultPoint(p.GetX()+dx, p.GetY()+dy)
	}
	return pts
}
