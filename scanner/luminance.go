package scanner

import (
	"errors"
	"fmt"

	"github.com/scangate/scangate/door"

	"github.com/makiuchi-d/gozxing"
)

// frameLuminance is a gozxing.LuminanceSource over a camera frame's Y
// plane without copying it; rows honour the frame's stride.
type frameLuminance struct {
	f      door.Frame
	packed []byte // reused when GetMatrix must repack a strided plane
}

var _ gozxing.LuminanceSource = (*frameLuminance)(nil)

func checkFrame(f door.Frame) error {
	if f.Width <= 0 || f.Height <= 0 {
		return fmt.Errorf("scanner: frame size %dx%d", f.Width, f.Height)
	}
	if f.Stride < f.Width {
		return fmt.Errorf("scanner: stride %d below width %d", f.Stride, f.Width)
	}
	if need := (f.Height-1)*f.Stride + f.Width; len(f.Y) < need {
		return fmt.Errorf("scanner: Y plane holds %d bytes, %dx%d stride %d needs %d",
			len(f.Y), f.Width, f.Height, f.Stride, need)
	}
	return nil
}

func (l *frameLuminance) GetRow(y int, row []byte) ([]byte, error) {
	if y < 0 || y >= l.f.Height {
		return nil, fmt.Errorf("scanner: row %d outside frame", y)
	}
	if len(row) < l.f.Width {
		row = make([]byte, l.f.Width)
	}
	off := y * l.f.Stride
	copy(row, l.f.Y[off:off+l.f.Width])
	return row, nil
}

// GetMatrix returns the plane itself when rows are packed; gozxing's own
// binarizers are the only callers (our binarizer reads the frame directly).
func (l *frameLuminance) GetMatrix() []byte {
	w, h := l.f.Width, l.f.Height
	if l.f.Stride == w {
		return l.f.Y[:w*h]
	}
	if cap(l.packed) < w*h {
		l.packed = make([]byte, w*h)
	}
	m := l.packed[:w*h]
	for y := 0; y < h; y++ {
		copy(m[y*w:(y+1)*w], l.f.Y[y*l.f.Stride:])
	}
	return m
}

func (l *frameLuminance) GetWidth() int         { return l.f.Width }
func (l *frameLuminance) GetHeight() int        { return l.f.Height }
func (l *frameLuminance) IsCropSupported() bool { return true }
func (l *frameLuminance) IsRotateSupported() bool {
	return false
}

func (l *frameLuminance) Crop(left, top, width, height int) (gozxing.LuminanceSource, error) {
	if left < 0 || top < 0 || width <= 0 || height <= 0 || left+width > l.f.Width || top+height > l.f.Height {
		return nil, fmt.Errorf("scanner: crop %d,%d %dx%d outside %dx%d", left, top, width, height, l.f.Width, l.f.Height)
	}
	c := l.f
	c.Y = l.f.Y[top*l.f.Stride+left:]
	c.Width, c.Height = width, height
	return &frameLuminance{f: c}, nil
}

func (l *frameLuminance) Invert() gozxing.LuminanceSource {
	return gozxing.NewInvertedLuminanceSource(l)
}

var errNoRotate = errors.New("scanner: rotation not supported")

func (l *frameLuminance) RotateCounterClockwise() (gozxing.LuminanceSource, error) {
	return nil, errNoRotate
}

func (l *frameLuminance) RotateCounterClockwise45() (gozxing.LuminanceSource, error) {
	return nil, errNoRotate
}

func (l *frameLuminance) String() string { return gozxing.LuminanceSourceString(l) }
