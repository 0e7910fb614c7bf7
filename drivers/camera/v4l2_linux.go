package camera

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"time"
	"unsafe"

	"github.com/blackjack/webcam"
	"github.com/blackjack/webcam/ioctl"
	"golang.org/x/sys/unix"
)

// v4l2Format mirrors struct v4l2_format: a u32 type and a 200-byte union
// aligned like a pointer (the union holds pointers in some members), so
// the size is 208 on 64-bit and 204 on 32-bit kernels.
type v4l2Format struct {
	typ uint32
	fmt struct {
		data [200 - unsafe.Sizeof(uintptr(0))]byte
		_    unsafe.Pointer
	}
}

// v4l2Buffer mirrors struct v4l2_buffer (the same layout the webcam
// library uses, so the ioctl numbers match its VIDIOC_QUERYBUF).
type v4l2Buffer struct {
	index     uint32
	typ       uint32
	bytesused uint32
	flags     uint32
	field     uint32
	timestamp unix.Timeval
	timecode  [16]byte
	sequence  uint32
	memory    uint32
	m         [unsafe.Sizeof(uintptr(0))]byte
	length    uint32
	reserved2 uint32
	reserved  uint32
}

const (
	bufTypeVideoCapture       = 1
	memoryMMAP                = 1
	bufFlagError              = 0x00000040
	bufFlagTimestampMask      = 0x0000e000
	bufFlagTimestampMonotonic = 0x00002000
)

var vidiocGFmt = ioctl.IoRW('V', 4, unsafe.Sizeof(v4l2Format{}))

// getFormat asks the driver what it actually set (VIDIOC_G_FMT): the
// library's SetImageFormat hides bytesperline and sizeimage.
func getFormat(fd int) (pixFormat, error) {
	f := v4l2Format{typ: bufTypeVideoCapture}
	if err := ioctl.Ioctl(uintptr(fd), vidiocGFmt, uintptr(unsafe.Pointer(&f))); err != nil {
		return pixFormat{}, fmt.Errorf("VIDIOC_G_FMT: %w", err)
	}
	return parsePixFormat(f.fmt.data[:])
}

// webcamFD returns the device fd inside a webcam.Webcam. v0.6.1 has no
// accessor; reading the unexported field through reflect (read-only, no
// unsafe) lets one fd serve the library's mmap streaming and our own
// poll, G_FMT and QUERYBUF. TestWebcamFDField fails if the library changes.
func webcamFD(w *webcam.Webcam) (int, error) {
	v := reflect.ValueOf(w).Elem().FieldByName("fd")
	if !v.IsValid() || v.Kind() != reflect.Uintptr {
		return -1, errors.New("webcam.Webcam has no fd field")
	}
	return int(v.Uint()), nil
}

// v4l2Device opens the configured node with the webcam library.
type v4l2Device struct {
	cfg Config
}

func (d *v4l2Device) present() bool {
	_, err := os.Stat(d.cfg.Device) // follows by-id links
	return err == nil
}

func (d *v4l2Device) open(ctx context.Context) (stream, string, error) {
	node, err := filepath.EvalSymlinks(d.cfg.Device)
	if err != nil {
		return nil, "", err
	}
	w, err := webcam.Open(node)
	if err != nil {
		return nil, node, err
	}
	s, err := setUp(w, d.cfg, d.cfg.Logger.With("device", d.cfg.Device, "node", node))
	if err != nil {
		w.Close()
		return nil, node, err
	}
	return s, node, nil
}

// setUp selects input, format, rate and controls and starts streaming.
func setUp(w *webcam.Webcam, cfg Config, log *slog.Logger) (*v4l2Stream, error) {
	fd, err := webcamFD(w)
	if err != nil {
		return nil, err
	}
	// The library opens without O_CLOEXEC; a child process must not keep
	// the camera busy.
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		return nil, fmt.Errorf("set close-on-exec: %w", err)
	}
	if cfg.Input >= 0 {
		if err := w.SelectInput(uint32(cfg.Input)); err != nil {
			return nil, fmt.Errorf("select input %d: %w", cfg.Input, err)
		}
	}
	opts := formatOptions(w)
	if cfg.Format != 0 {
		opts = onlyFormat(opts, cfg.Format)
	}
	choice, err := chooseFormat(opts, cfg.Width, cfg.Height, cfg.FPS)
	if err != nil {
		return nil, err
	}
	if _, _, _, err := w.SetImageFormat(webcam.PixelFormat(choice.Format), uint32(choice.Width), uint32(choice.Height)); err != nil {
		return nil, fmt.Errorf("set format %s %dx%d: %w", choice.Format, choice.Width, choice.Height, err)
	}
	pf, err := getFormat(fd)
	if err != nil {
		return nil, err
	}
	if pf.Width != cfg.Width || pf.Height != cfg.Height {
		log.Info("camera frame size differs from the configured one",
			"width", pf.Width, "height", pf.Height, "want_width", cfg.Width, "want_height", cfg.Height)
	}
	if err := w.SetFramerate(float32(cfg.FPS)); err != nil {
		log.Warn("camera frame rate not set", "fps", cfg.FPS, "err", err)
	}
	applyControls(w, cfg.Controls, log)
	if err := w.SetBufferCount(uint32(cfg.Buffers)); err != nil {
		return nil, err
	}
	if err := w.StartStreaming(); err != nil {
		return nil, err
	}
	return &v4l2Stream{w: w, fd: fd, pf: pf}, nil
}

// formatOptions lists the device's usable formats, sizes and top rates.
func formatOptions(w *webcam.Webcam) []FormatOption {
	var opts []FormatOption
	for pf := range w.GetSupportedFormats() {
		p := PixelFormat(pf)
		if formatRank(p) < 0 {
			continue
		}
		o := FormatOption{Format: p}
		for _, s := range w.GetSupportedFrameSizes(pf) {
			fs := FrameSize{
				MinWidth: int(s.MinWidth), MaxWidth: int(s.MaxWidth), StepWidth: int(s.StepWidth),
				MinHeight: int(s.MinHeight), MaxHeight: int(s.MaxHeight), StepHeight: int(s.StepHeight),
			}
			if s.StepWidth == 0 && s.StepHeight == 0 && s.MaxWidth > 0 {
				for _, r := range w.GetSupportedFramerates(pf, s.MaxWidth, s.MaxHeight) {
					if r.MinNumerator > 0 {
						fs.MaxFPS = max(fs.MaxFPS, float64(r.MaxDenominator)/float64(r.MinNumerator))
					}
				}
			}
			o.Sizes = append(o.Sizes, fs)
		}
		if len(o.Sizes) == 0 {
			o.Sizes = []FrameSize{{}} // no enumeration: let S_FMT adjust
		}
		opts = append(opts, o)
	}
	return opts
}

// applyControls sets the configured controls. A control this camera does
// not have, or refuses, is a warning: the kiosk still scans.
func applyControls(w *webcam.Webcam, ctrls []Control, log *slog.Logger) {
	if len(ctrls) == 0 {
		return
	}
	names := map[uint32]string{}
	for id, c := range w.GetControls() {
		names[uint32(id)] = c.Name
	}
	for _, c := range ctrls {
		id, ok := resolveControl(c, names)
		if !ok {
			log.Warn("camera has no such control", "control", c.String())
			continue
		}
		if err := w.SetControl(webcam.ControlID(id), c.Value); err != nil {
			log.Warn("camera control not set", "control", c.String(), "id", fmt.Sprintf("%#08x", id), "err", err)
			continue
		}
		log.Debug("camera control set", "control", c.String(), "id", fmt.Sprintf("%#08x", id))
	}
}

// v4l2Stream is a streaming webcam.Webcam.
type v4l2Stream struct {
	w  *webcam.Webcam
	fd int
	pf pixFormat
	// seq counts frames when QUERYBUF fails, so Seq still increases.
	seq uint32
}

func (s *v4l2Stream) pollFD() int       { return s.fd }
func (s *v4l2Stream) format() pixFormat { return s.pf }
func (s *v4l2Stream) requeue(i int) error {
	return s.w.ReleaseFrame(uint32(i))
}
func (s *v4l2Stream) close() error { return s.w.Close() }

// dequeue takes the oldest done buffer (VIDIOC_DQBUF through the library,
// non-blocking: EAGAIN when none), then reads its sequence number and
// timestamp with VIDIOC_QUERYBUF, which the library does not return.
func (s *v4l2Stream) dequeue() (rawFrame, error) {
	data, index, err := s.w.GetFrame()
	if err != nil {
		return rawFrame{}, err
	}
	r := rawFrame{index: int(index), data: data, at: time.Now()}
	b := v4l2Buffer{index: index, typ: bufTypeVideoCapture, memory: memoryMMAP}
	if err := ioctl.Ioctl(uintptr(s.fd), webcam.VIDIOC_QUERYBUF, uintptr(unsafe.Pointer(&b))); err != nil {
		s.seq++
		r.seq = s.seq
		return r, nil
	}
	r.seq, s.seq = b.sequence, b.sequence
	r.bad = b.flags&bufFlagError != 0
	if b.flags&bufFlagTimestampMask == bufFlagTimestampMonotonic {
		r.at = monotonicToWall(b.timestamp)
	}
	return r, nil
}

// monotonicToWall converts a CLOCK_MONOTONIC capture time to wall time.
func monotonicToWall(tv unix.Timeval) time.Time {
	var now unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &now); err != nil {
		return time.Now()
	}
	age := time.Duration(now.Nano() - tv.Nano())
	if age < 0 || age > time.Minute {
		return time.Now()
	}
	return time.Now().Add(-age)
}
