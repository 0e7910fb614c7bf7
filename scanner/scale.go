package scanner

import "github.com/scangate/scangate/door"

// frameScaler resamples frames into a reused buffer for the retry passes.
type frameScaler struct {
	buf []byte
}

func (s *frameScaler) frame(w, h int) door.Frame {
	if cap(s.buf) < w*h {
		s.buf = make([]byte, w*h)
	}
	return door.Frame{Y: s.buf[:w*h], Width: w, Height: h, Stride: w}
}

// half averages 2×2 blocks: it smooths sensor noise and halftone dots and
// doubles the finder pattern finder's reach on large codes.
func (s *frameScaler) half(f door.Frame) door.Frame {
	out := s.frame(f.Width/2, f.Height/2)
	for y := 0; y < out.Height; y++ {
		r0 := f.Y[2*y*f.Stride:]
		r1 := f.Y[(2*y+1)*f.Stride:]
		o := out.Y[y*out.Stride : y*out.Stride+out.Width]
		for x := range o {
			o[x] = byte((int(r0[2*x]) + int(r0[2*x+1]) + int(r1[2*x]) + int(r1[2*x+1]) + 2) >> 2)
		}
	}
	return out
}

// double upsamples bilinearly so that codes with modules of one or two
// pixels get runs the finder pattern finder can measure.
func (s *frameScaler) double(f door.Frame) door.Frame {
	out := s.frame(f.Width*2, f.Height*2)
	for y := 0; y < out.Height; y++ {
		sy := (y - 1) / 2 // pixel centres: out y maps to (y-0.5)/2 in the source
		fy := (y + 1) & 1 // 0 or 1 quarter step weights below
		y0 := clampInt(sy, 0, f.Height-1)
		y1 := clampInt(sy+1, 0, f.Height-1)
		r0 := f.Y[y0*f.Stride:]
		r1 := f.Y[y1*f.Stride:]
		wy1 := 1 + 2*fy // weight of r1 in quarters: 1 or 3
		wy0 := 4 - wy1
		o := out.Y[y*out.Stride : y*out.Stride+out.Width]
		for x := range o {
			sx := (x - 1) / 2
			fx := (x + 1) & 1
			x0 := clampInt(sx, 0, f.Width-1)
			x1 := clampInt(sx+1, 0, f.Width-1)
			wx1 := 1 + 2*fx
			wx0 := 4 - wx1
			v := wy0*(wx0*int(r0[x0])+wx1*int(r0[x1])) + wy1*(wx0*int(r1[x0])+wx1*int(r1[x1]))
			o[x] = byte((v + 8) >> 4)
		}
	}
	return out
}
