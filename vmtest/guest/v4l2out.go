package main

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// V4L2 ABI (linux/videodev2.h, amd64 layout).
const (
	bufTypeVideoOutput = 2
	memoryMMAP         = 1
	fieldNone          = 1
	fourccYUYV         = 'Y' | 'U'<<8 | 'Y'<<16 | 'V'<<24
	v4l2BufferSize     = 88
	v4l2FormatSize     = 208
)

func ioc(dir, nr, size uintptr) uintptr { return dir<<30 | size<<16 | 'V'<<8 | nr }

var (
	vidiocSFmt      = ioc(3, 5, v4l2FormatSize)
	vidiocReqbufs   = ioc(3, 8, 20)
	vidiocQuerybuf  = ioc(3, 9, v4l2BufferSize)
	vidiocQbuf      = ioc(3, 15, v4l2BufferSize)
	vidiocDqbuf     = ioc(3, 17, v4l2BufferSize)
	vidiocStreamon  = ioc(1, 18, 4)
	vidiocSOutput   = ioc(3, 47, 4)
	vidiocStreamoff = ioc(1, 19, 4)
)

type v4l2Buffer struct {
	Index, Type, BytesUsed, Flags, Field uint32
	_                                    uint32
	Timestamp                            [16]byte
	Timecode                             [16]byte
	Sequence, Memory                     uint32
	Offset                               uint64 // union m
	Length, Reserved2, RequestFD         uint32
	_                                    uint32
}

func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg)); e != 0 {
		return e
	}
	return nil
}

// videoNode finds /dev/videoN whose sysfs name ends in suffix ("vid-cap", "vid-out").
func videoNode(suffix string) (string, error) {
	names, _ := filepath.Glob("/sys/class/video4linux/video*/name")
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err == nil && strings.HasSuffix(strings.TrimSpace(string(b)), suffix) {
			return "/dev/" + filepath.Base(filepath.Dir(n)), nil
		}
	}
	return "", fmt.Errorf("no video node named *%s", suffix)
}

// output streams YUYV frames into vivid's output node. vivid's output
// thread only retires a buffer while another is queued, so the newest
// queued frame stays on the loopback until the next one replaces it.
type output struct {
	fd   int
	w, h int
	bufs [][]byte
}

func openOutput(w, h int) (*output, error) {
	var path string
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if path, err = videoNode("vid-out"); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	fd, err := unix.Open(path, unix.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	o := &output{fd: fd, w: w, h: h}
	fail := func(what string, err error) (*output, error) {
		o.Close()
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	idx := int32(1) // "HDMI 0"
	if err := ioctl(fd, vidiocSOutput, unsafe.Pointer(&idx)); err != nil {
		return fail("VIDIOC_S_OUTPUT", err)
	}
	var f [v4l2FormatSize]byte
	put := func(off int, v uint32) { *(*uint32)(unsafe.Pointer(&f[off])) = v }
	put(0, bufTypeVideoOutput)
	put(8, uint32(w))
	put(12, uint32(h))
	put(16, fourccYUYV)
	put(20, fieldNone)
	put(24, uint32(2*w))
	if err := ioctl(fd, vidiocSFmt, unsafe.Pointer(&f[0])); err != nil {
		return fail("VIDIOC_S_FMT", err)
	}
	if gw, gh, gf := *(*uint32)(unsafe.Pointer(&f[8])), *(*uint32)(unsafe.Pointer(&f[12])), *(*uint32)(unsafe.Pointer(&f[16])); gw != uint32(w) || gh != uint32(h) || gf != fourccYUYV {
		return fail("format", fmt.Errorf("driver chose %dx%d %08x", gw, gh, gf))
	}
	rb := [5]uint32{2, bufTypeVideoOutput, memoryMMAP, 0, 0}
	if err := ioctl(fd, vidiocReqbufs, unsafe.Pointer(&rb[0])); err != nil {
		return fail("VIDIOC_REQBUFS", err)
	}
	for i := uint32(0); i < rb[0]; i++ {
		b := v4l2Buffer{Index: i, Type: bufTypeVideoOutput, Memory: memoryMMAP}
		if err := ioctl(fd, vidiocQuerybuf, unsafe.Pointer(&b)); err != nil {
			return fail("VIDIOC_QUERYBUF", err)
		}
		m, err := unix.Mmap(fd, int64(b.Offset), int(b.Length), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			return fail("mmap", err)
		}
		o.bufs = append(o.bufs, m)
	}
	blank := blankFrame(w, h)
	for i := range o.bufs {
		if err := o.queue(uint32(i), blank); err != nil {
			return fail("VIDIOC_QBUF", err)
		}
	}
	typ := int32(bufTypeVideoOutput)
	if err := ioctl(fd, vidiocStreamon, unsafe.Pointer(&typ)); err != nil {
		return fail("VIDIOC_STREAMON", err)
	}
	return o, nil
}

func (o *output) queue(i uint32, frame []byte) error {
	copy(o.bufs[i], frame)
	b := v4l2Buffer{Index: i, Type: bufTypeVideoOutput, Memory: memoryMMAP, BytesUsed: uint32(len(frame)), Field: fieldNone}
	return ioctl(o.fd, vidiocQbuf, unsafe.Pointer(&b))
}

// Show puts frame on the loopback: it takes back the retired buffer and
// queues frame behind the one on show, which the output thread then retires.
func (o *output) Show(frame []byte) error {
	pfd := []unix.PollFd{{Fd: int32(o.fd), Events: unix.POLLOUT}}
	if n, err := unix.Poll(pfd, 5000); err != nil || n == 0 {
		return fmt.Errorf("output: no buffer retired in 5 s (poll %d, %v)", n, err)
	}
	b := v4l2Buffer{Type: bufTypeVideoOutput, Memory: memoryMMAP}
	if err := ioctl(o.fd, vidiocDqbuf, unsafe.Pointer(&b)); err != nil {
		return fmt.Errorf("VIDIOC_DQBUF: %w", err)
	}
	return o.queue(b.Index, frame)
}

func (o *output) Close() error {
	typ := int32(bufTypeVideoOutput)
	ioctl(o.fd, vidiocStreamoff, unsafe.Pointer(&typ))
	for _, m := range o.bufs {
		unix.Munmap(m)
	}
	o.bufs = nil
	return unix.Close(o.fd)
}

// blankFrame is an empty scene: mid grey.
func blankFrame(w, h int) []byte {
	f := make([]byte, 2*w*h)
	for i := range f {
		f[i] = 128
	}
	return f
}

// cardFrame draws img (a card or a bare QR) centred on a light background,
// scaled to fill most of the frame height, as luminance with neutral chroma.
func cardFrame(img image.Image, w, h int) []byte {
	f := make([]byte, 2*w*h)
	for i := 0; i < len(f); i += 2 {
		f[i], f[i+1] = 200, 128
	}
	b := img.Bounds()
	scale := float64(h) * 0.85 / float64(b.Dy())
	if s := float64(w) * 0.85 / float64(b.Dx()); s < scale {
		scale = s
	}
	dw, dh := int(float64(b.Dx())*scale), int(float64(b.Dy())*scale)
	x0, y0 := (w-dw)/2, (h-dh)/2
	for y := 0; y < dh; y++ {
		sy := b.Min.Y + int(float64(y)/scale)
		for x := 0; x < dw; x++ {
			sx := b.Min.X + int(float64(x)/scale)
			r, g, bl, _ := img.At(sx, sy).RGBA()
			lum := (19595*r + 38470*g + 7471*bl + 1<<15) >> 24
			f[2*((y0+y)*w+x0+x)] = byte(16 + lum*219/255)
		}
	}
	return f
}
