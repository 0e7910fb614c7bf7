package lcd

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// From linux/fb.h.
const (
	ioctlFBGetVScreenInfo = 0x4600
	ioctlFBGetFScreenInfo = 0x4602
)

// Bitfield is struct fb_bitfield: where a colour channel sits in a pixel.
type Bitfield struct {
	Offset, Length, MSBRight uint32
}

// fbVarScreenInfo is struct fb_var_screeninfo.
type fbVarScreenInfo struct {
	XRes, YRes, XResVirtual, YResVirtual uint32
	XOffset, YOffset                     uint32
	BitsPerPixel, Grayscale              uint32
	Red, Green, Blue, Transp             Bitfield
	Nonstd, Activate, Height, Width      uint32
	AccelFlags, Pixclock                 uint32
	LeftMargin, RightMargin              uint32
	UpperMargin, LowerMargin             uint32
	HSyncLen, VSyncLen, Sync, VMode      uint32
	Rotate, Colorspace                   uint32
	Reserved                             [4]uint32
}

// fbFixScreenInfo is struct fb_fix_screeninfo; Go's alignment matches C's.
type fbFixScreenInfo struct {
	ID                             [16]byte
	SmemStart                      uintptr
	SmemLen, Type, TypeAux, Visual uint32
	XPanStep, YPanStep, YWrapStep  uint16
	LineLength                     uint32
	MMIOStart                      uintptr
	MMIOLen, Accel                 uint32
	Capabilities                   uint16
	Reserved                       [2]uint16
}

// Geometry is what a framebuffer's pixels look like in memory.
type Geometry struct {
	Width, Height    int
	Stride           int // bytes per line (line_length), at least Width*bpp/8
	BitsPerPixel     int // 16 (RGB565) or 32 (XRGB8888)
	Red, Green, Blue Bitfield
}

// Common formats, little-endian as on every Raspberry Pi.
var (
	RGB565   = Geometry{BitsPerPixel: 16, Red: Bitfield{Offset: 11, Length: 5}, Green: Bitfield{Offset: 5, Length: 6}, Blue: Bitfield{Length: 5}}
	XRGB8888 = Geometry{BitsPerPixel: 32, Red: Bitfield{Offset: 16, Length: 8}, Green: Bitfield{Offset: 8, Length: 8}, Blue: Bitfield{Length: 8}}
)

func (g Geometry) check() error {
	if g.BitsPerPixel != 16 && g.BitsPerPixel != 32 {
		return fmt.Errorf("lcd: framebuffer: %d bits per pixel not supported (16 or 32)", g.BitsPerPixel)
	}
	if g.Width <= 0 || g.Height <= 0 || g.Width > 8192 || g.Height > 8192 || g.Stride < g.Width*g.BitsPerPixel/8 {
		return fmt.Errorf("lcd: framebuffer: bad geometry %dx%d stride %d", g.Width, g.Height, g.Stride)
	}
	for _, f := range []Bitfield{g.Red, g.Green, g.Blue} {
		if f.Length == 0 || f.Length > 8 || f.Offset+f.Length > uint32(g.BitsPerPixel) || f.MSBRight != 0 {
			return fmt.Errorf("lcd: framebuffer: unsupported channel layout %+v", f)
		}
	}
	return nil
}

// Framebuffer is a Linux framebuffer device (/dev/fb0) mapped into memory.
// Text is rendered into an RGBA image first, then packed to the device's
// pixel format in one pass.
type Framebuffer struct {
	f    *os.File
	mem  []byte
	geom Geometry
	text *TextRenderer

	mu  sync.Mutex
	img *image.RGBA
}

// OpenFramebuffer opens and maps a framebuffer device, reading its
// geometry with FBIOGET_VSCREENINFO and FBIOGET_FSCREENINFO.
func OpenFramebuffer(path string) (*Framebuffer, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("lcd: open framebuffer: %w", err)
	}
	var vi fbVarScreenInfo
	var fi fbFixScreenInfo
	if err := ioctlPtr(f, ioctlFBGetVScreenInfo, unsafe.Pointer(&vi)); err != nil {
		f.Close()
		return nil, fmt.Errorf("lcd: %s: FBIOGET_VSCREENINFO: %w", path, err)
	}
	if err := ioctlPtr(f, ioctlFBGetFScreenInfo, unsafe.Pointer(&fi)); err != nil {
		f.Close()
		return nil, fmt.Errorf("lcd: %s: FBIOGET_FSCREENINFO: %w", path, err)
	}
	g := Geometry{
		Width: int(vi.XRes), Height: int(vi.YRes), Stride: int(fi.LineLength), BitsPerPixel: int(vi.BitsPerPixel),
		Red: vi.Red, Green: vi.Green, Blue: vi.Blue,
	}
	fb, err := MapFramebuffer(f, g)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lcd: %s: %w", path, err)
	}
	return fb, nil
}

func ioctlPtr(f *os.File, req uintptr, p unsafe.Pointer) error {
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), req, uintptr(p)); errno != 0 {
		return errno
	}
	return nil
}

// MapFramebuffer maps f (a framebuffer device, or in tests a regular file
// of Stride*Height bytes) shared, with the given geometry. The Framebuffer
// owns f from then on.
func MapFramebuffer(f *os.File, g Geometry) (*Framebuffer, error) {
	if err := g.check(); err != nil {
		return nil, err
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, g.Stride*g.Height, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("lcd: framebuffer mmap %d bytes: %w", g.Stride*g.Height, err)
	}
	return &Framebuffer{
		f: f, mem: mem, geom: g,
		text: NewTextRenderer(0.24, 0.11),
		img:  image.NewRGBA(image.Rect(0, 0, g.Width, g.Height)),
	}, nil
}

// Geometry reports the mapped geometry.
func (fb *Framebuffer) Geometry() Geometry { return fb.geom }

// ShowText fills the screen with bg and draws lines centred, the first
// one largest.
func (fb *Framebuffer) ShowText(bg color.Color, lines []string) error {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if fb.mem == nil {
		return fmt.Errorf("lcd: framebuffer closed")
	}
	if err := fb.text.Render(fb.img, bg, lines); err != nil {
		return err
	}
	Pack(fb.mem, fb.img, fb.geom)
	return nil
}

// Pack converts img into dst in the framebuffer's pixel format. img must
// be at least g.Width×g.Height.
func Pack(dst []byte, img *image.RGBA, g Geometry) {
	bpp := g.BitsPerPixel / 8
	xrgb, rgb565 := g == withSize(XRGB8888, g), g == withSize(RGB565, g)
	for y := range g.Height {
		src := img.Pix[y*img.Stride : y*img.Stride+g.Width*4]
		row := dst[y*g.Stride : y*g.Stride+g.Width*bpp]
		switch {
		case xrgb:
			for x := range g.Width {
				s := src[x*4 : x*4+4]
				binary.LittleEndian.PutUint32(row[x*4:], 0xff000000|uint32(s[0])<<16|uint32(s[1])<<8|uint32(s[2]))
			}
		case rgb565:
			for x := range g.Width {
				s := src[x*4 : x*4+4]
				binary.LittleEndian.PutUint16(row[x*2:], uint16(s[0])>>3<<11|uint16(s[1])>>2<<5|uint16(s[2])>>3)
			}
		default:
			for x := range g.Width {
				s := src[x*4 : x*4+4]
				v := channel(s[0], g.Red) | channel(s[1], g.Green) | channel(s[2], g.Blue)
				if bpp == 2 {
					binary.LittleEndian.PutUint16(row[x*2:], uint16(v))
				} else {
					binary.LittleEndian.PutUint32(row[x*4:], v)
				}
			}
		}
	}
}

func withSize(f, g Geometry) Geometry {
	f.Width, f.Height, f.Stride = g.Width, g.Height, g.Stride
	return f
}

func channel(v uint8, f Bitfield) uint32 {
	return uint32(v) >> (8 - f.Length) << f.Offset
}

// Close unmaps and closes the device.
func (fb *Framebuffer) Close() error {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if fb.mem == nil {
		return nil
	}
	err := unix.Munmap(fb.mem)
	fb.mem = nil
	if cerr := fb.f.Close(); err == nil {
		err = cerr
	}
	return err
}
