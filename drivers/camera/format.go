package camera

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// PixelFormat is a V4L2 fourcc.
type PixelFormat uint32

func fourcc(a, b, c, d byte) PixelFormat {
	return PixelFormat(uint32(a) | uint32(b)<<8 | uint32(c)<<16 | uint32(d)<<24)
}

// The formats this driver reads, cheapest luminance first.
var (
	FormatGrey  = fourcc('G', 'R', 'E', 'Y') // 8-bit luminance: the frame is the buffer
	FormatYUYV  = fourcc('Y', 'U', 'Y', 'V') // 4:2:2 packed: Y at even bytes
	FormatMJPEG = fourcc('M', 'J', 'P', 'G') // Motion JPEG: decoded to YCbCr, Y plane kept
	FormatJPEG  = fourcc('J', 'P', 'E', 'G') // what some UVC cameras call MJPEG
)

// String returns the fourcc as text, e.g. "YUYV".
func (p PixelFormat) String() string {
	b := []byte{byte(p), byte(p >> 8), byte(p >> 16), byte(p >> 24)}
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}

// ParseFormat reads a format name from configuration: "" or "auto"
// (0: let the driver choose), "GREY", "YUYV", "MJPG"/"MJPEG"/"JPEG".
func ParseFormat(s string) (PixelFormat, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "AUTO":
		return 0, nil
	case "GREY", "GRAY", "Y8":
		return FormatGrey, nil
	case "YUYV", "YUY2":
		return FormatYUYV, nil
	case "MJPG", "MJPEG":
		return FormatMJPEG, nil
	case "JPEG":
		return FormatJPEG, nil
	}
	return 0, fmt.Errorf("camera: format %q: want auto, GREY, YUYV or MJPG", s)
}

// formatRank orders the formats by the cost of getting at luminance:
// GREY is free, YUYV costs one pass over the buffer, MJPEG a JPEG decode
// (about 10× the de-interleave). -1 means unusable.
func formatRank(p PixelFormat) int {
	switch p {
	case FormatGrey:
		return 0
	case FormatYUYV:
		return 1
	case FormatMJPEG, FormatJPEG:
		return 2
	}
	return -1
}

// FrameSize is one size a format offers. A discrete size has Step 0 and
// Min = Max; a stepwise range has steps; an all-zero FrameSize means the
// driver accepts any size (V4L2_FRMSIZE_TYPE_CONTINUOUS, which the webcam
// library reports as zeros).
type FrameSize struct {
	MinWidth, MaxWidth, StepWidth    int
	MinHeight, MaxHeight, StepHeight int
	// MaxFPS is the highest rate offered at this size; 0 means unknown.
	MaxFPS float64
}

// FormatOption is one pixel format a device offers and its sizes.
type FormatOption struct {
	Format PixelFormat
	Sizes  []FrameSize
}

// FormatChoice is what chooseFormat settled on.
type FormatChoice struct {
	Format        PixelFormat
	Width, Height int
	MaxFPS        float64 // 0 when unknown
}

// ErrNoUsableFormat means the device offers none of GREY, YUYV, MJPEG.
var ErrNoUsableFormat = errors.New("camera: device offers no GREY, YUYV or MJPEG format")

// chooseFormat picks format and size. In order of importance: a size at
// least as large as wanted (exact best, then the smallest larger one; if
// none is large enough, the largest), a rate that reaches wantFPS, the
// cheaper format, and the size nearest the wanted area. Size comes before
// format: a GREY stream at 320×240 cannot read a card at 15 cm, and a
// larger one only costs decode time. Rate comes before format because UVC
// cameras often give YUYV at 720p only at 10 fps but MJPEG at 30.
func chooseFormat(opts []FormatOption, wantW, wantH, wantFPS int) (FormatChoice, error) {
	type scored struct {
		c                        FormatChoice
		sizeClass, fpsMiss, rank int
		areaDiff                 int
	}
	var best *scored
	wantArea := wantW * wantH
	for _, o := range opts {
		rank := formatRank(o.Format)
		if rank < 0 {
			continue
		}
		for _, s := range o.Sizes {
			w, h := fitSize(s, wantW, wantH)
			if w <= 0 || h <= 0 {
				continue
			}
			sc := scored{c: FormatChoice{Format: o.Format, Width: w, Height: h, MaxFPS: s.MaxFPS}, rank: rank}
			switch {
			case w == wantW && h == wantH:
				sc.sizeClass = 0
			case w >= wantW && h >= wantH:
				sc.sizeClass = 1
			default:
				sc.sizeClass = 2
			}
			if s.MaxFPS > 0 && s.MaxFPS+0.5 < float64(wantFPS) {
				sc.fpsMiss = 1
			}
			sc.areaDiff = w*h - wantArea
			if sc.sizeClass == 2 {
				sc.areaDiff = -sc.areaDiff // smaller: the largest is nearest
			}
			if best == nil || less(sc.sizeClass, best.sizeClass, sc.fpsMiss, best.fpsMiss, sc.rank, best.rank, sc.areaDiff, best.areaDiff) {
				b := sc
				best = &b
			}
		}
	}
	if best == nil {
		return FormatChoice{}, ErrNoUsableFormat
	}
	return best.c, nil
}

// onlyFormat keeps the options in format f (MJPG and JPEG alike).
func onlyFormat(opts []FormatOption, f PixelFormat) []FormatOption {
	jpegLike := func(p PixelFormat) bool { return p == FormatMJPEG || p == FormatJPEG }
	var out []FormatOption
	for _, o := range opts {
		if o.Format == f || jpegLike(o.Format) && jpegLike(f) {
			out = append(out, o)
		}
	}
	return out
}

// less compares (a0, a1, ...) with (b0, b1, ...) lexicographically; the
// arguments alternate a, b.
func less(ab ...int) bool {
	for i := 0; i+1 < len(ab); i += 2 {
		if ab[i] != ab[i+1] {
			return ab[i] < ab[i+1]
		}
	}
	return false
}

// fitSize returns the size in s nearest to the wanted one.
func fitSize(s FrameSize, wantW, wantH int) (int, int) {
	if s == (FrameSize{MaxFPS: s.MaxFPS}) {
		return wantW, wantH // continuous: any size
	}
	return fitDim(s.MinWidth, s.MaxWidth, s.StepWidth, wantW), fitDim(s.MinHeight, s.MaxHeight, s.StepHeight, wantH)
}

func fitDim(lo, hi, step, want int) int {
	if step <= 0 || lo == hi {
		return hi
	}
	if want <= lo {
		return lo
	}
	if want >= hi {
		return hi
	}
	// Round up to the step so the frame is at least as large as wanted.
	n := (want - lo + step - 1) / step
	v := lo + n*step
	if v > hi {
		v = hi
	}
	return v
}

// pixFormat is the part of struct v4l2_pix_format this driver uses: what
// the driver actually chose, padding included.
type pixFormat struct {
	Width, Height int
	Format        PixelFormat
	BytesPerLine  int
	SizeImage     int
}

// parsePixFormat decodes struct v4l2_pix_format (the first 24 bytes of the
// v4l2_format union: width, height, pixelformat, field, bytesperline,
// sizeimage, each a native-endian u32).
func parsePixFormat(b []byte) (pixFormat, error) {
	if len(b) < 24 {
		return pixFormat{}, fmt.Errorf("camera: v4l2_pix_format: %d bytes, want 24", len(b))
	}
	u := func(i int) uint32 { return binary.NativeEndian.Uint32(b[4*i:]) }
	pf := pixFormat{
		Width:        int(u(0)),
		Height:       int(u(1)),
		Format:       PixelFormat(u(2)),
		BytesPerLine: int(u(4)),
		SizeImage:    int(u(5)),
	}
	return pf, pf.check()
}

// check rejects formats the frame code cannot index safely and fills in
// a missing bytesperline (0 is allowed for compressed formats).
func (pf *pixFormat) check() error {
	if pf.Width <= 0 || pf.Height <= 0 || pf.Width > 16384 || pf.Height > 16384 {
		return fmt.Errorf("camera: driver chose frame size %dx%d", pf.Width, pf.Height)
	}
	minBPL := pf.Width
	switch pf.Format {
	case FormatYUYV:
		minBPL = 2 * pf.Width
	case FormatMJPEG, FormatJPEG:
		return nil
	case FormatGrey:
	default:
		return fmt.Errorf("camera: driver chose unsupported format %s", pf.Format)
	}
	if pf.BytesPerLine == 0 {
		pf.BytesPerLine = minBPL
	}
	if pf.BytesPerLine < minBPL || pf.BytesPerLine > 4*minBPL+4096 {
		return fmt.Errorf("camera: %s bytesperline %d for width %d", pf.Format, pf.BytesPerLine, pf.Width)
	}
	return nil
}

// frameBytes is the smallest buffer that holds a full uncompressed frame.
func (pf pixFormat) frameBytes() int {
	rowBytes := pf.Width
	if pf.Format == FormatYUYV {
		rowBytes = 2 * pf.Width
	}
	return pf.BytesPerLine*(pf.Height-1) + rowBytes
}
