package camera

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/door"

	"golang.org/x/image/draw"
	"golang.org/x/sys/unix"
)

// FakeConfig shapes a Fake. Zero fields take the defaults in brackets.
type FakeConfig struct {
	Device        string      // path reported in State [/dev/v4l/by-id/usb-scangate_Fake_Camera-video-index0]
	Width, Height int         // [640×480]
	Stride        int         // bytes per row, ≥ Width (GREY) or 2×Width (YUYV): driver padding [no padding]
	Format        PixelFormat // FormatGrey or FormatYUYV [FormatGrey]
	FPS           int         // [30]
	Buffers       int         // the driver's ring of buffers [3]
	FrameTimeout  time.Duration
	// ReplugDelay is how long after Replug the device path reappears, as
	// udev takes a moment to create /dev/v4l/by-id links [0: at once].
	ReplugDelay        time.Duration
	RetryMin, RetryMax time.Duration // reopen backoff [10 ms, 100 ms]
	Noise              int           // peak sensor noise in grey levels; negative: none [2]
	// Clock stamps each frame's capture time, so a test on a fake clock
	// can hold a card in view for minutes; frames still come at FPS of
	// real time [the ticker's own time].
	Clock  clock.Clock
	Logger *slog.Logger
}

// Fake is a camera without hardware. It runs the same supervision code as
// Camera over a simulated V4L2 device: frames come at FPS into a ring of
// Buffers buffers; a done buffer waits in a FIFO until dequeued; when the
// consumer holds or leaves every buffer, the device has nowhere to
// capture and the frame is lost (a gap in Seq), and NextFrame blocks and
// times out with ErrTimeout just as with a real driver. Unplug makes the
// stream fail with ENODEV (NextFrame returns ErrDisconnected) and the
// path vanish; Replug brings it back after ReplugDelay and the next
// NextFrame reopens by itself.
type Fake struct {
	cam *Camera
	dev *fakeDevice
}

// NewFake returns a streaming fake camera showing an empty scene.
func NewFake(cfg FakeConfig) *Fake {
	if cfg.Device == "" {
		cfg.Device = "/dev/v4l/by-id/usb-scangate_Fake_Camera-video-index0"
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		cfg.Width, cfg.Height = 640, 480
	}
	if cfg.Format != FormatYUYV {
		cfg.Format = FormatGrey
	}
	rowBytes := cfg.Width
	if cfg.Format == FormatYUYV {
		rowBytes = 2 * cfg.Width
	}
	cfg.Stride = max(cfg.Stride, rowBytes)
	if cfg.FPS <= 0 {
		cfg.FPS = 30
	}
	if cfg.Buffers <= 0 {
		cfg.Buffers = 3
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = 10 * time.Millisecond
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 100 * time.Millisecond
	}
	if cfg.Noise == 0 {
		cfg.Noise = 2
	}
	ccfg, err := Config{
		Device: cfg.Device, Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS,
		Buffers: cfg.Buffers, Input: -1, FrameTimeout: cfg.FrameTimeout,
		RetryMin: cfg.RetryMin, RetryMax: cfg.RetryMax, Logger: cfg.Logger,
	}.withDefaults()
	if err != nil {
		panic(fmt.Sprintf("camera: fake config: %v", err))
	}
	dev := &fakeDevice{
		cfg:     cfg,
		pf:      pixFormat{Width: cfg.Width, Height: cfg.Height, Format: cfg.Format, BytesPerLine: cfg.Stride},
		plugged: true,
	}
	dev.pf.SizeImage = dev.pf.BytesPerLine * cfg.Height
	return &Fake{cam: newCamera(ccfg, dev), dev: dev}
}

// NextFrame behaves as Camera.NextFrame.
func (f *Fake) NextFrame(ctx context.Context) (door.Frame, func(), error) {
	return f.cam.NextFrame(ctx)
}

// State behaves as Camera.State.
func (f *Fake) State() State { return f.cam.State() }

// Close behaves as Camera.Close.
func (f *Fake) Close() error {
	err := f.cam.Close()
	f.dev.mu.Lock()
	if f.dev.timer != nil {
		f.dev.timer.Stop()
	}
	f.dev.mu.Unlock()
	return err
}

// Show puts img in front of the camera until the next Show; nil shows an
// empty scene. An image of another size is scaled to fit, centred.
func (f *Fake) Show(img *image.Gray) {
	if img == nil {
		f.dev.scene.Store(nil)
		return
	}
	w, h := f.dev.cfg.Width, f.dev.cfg.Height
	dst := image.NewGray(image.Rect(0, 0, w, h))
	for i := range dst.Pix {
		dst.Pix[i] = emptySceneLevel
	}
	b := img.Bounds()
	if b.Dx() == w && b.Dy() == h {
		draw.Copy(dst, image.Point{}, img, b, draw.Src, nil)
	} else if b.Dx() > 0 && b.Dy() > 0 {
		// Scale to fit, keeping the aspect ratio.
		sw, sh := w, b.Dy()*w/b.Dx()
		if sh > h {
			sw, sh = b.Dx()*h/b.Dy(), h
		}
		r := image.Rect((w-sw)/2, (h-sh)/2, (w-sw)/2+sw, (h-sh)/2+sh)
		draw.BiLinear.Scale(dst, r, img, b, draw.Src, nil)
	}
	f.dev.scene.Store(&dst.Pix)
}

// Unplug pulls the camera: the stream fails with ENODEV and the path is
// gone until Replug.
func (f *Fake) Unplug() {
	d := f.dev
	d.mu.Lock()
	defer d.mu.Unlock()
	d.plugged = false
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if d.cur != nil {
		d.cur.markGone()
	}
}

// Replug plugs the camera back in; the path reappears after ReplugDelay.
func (f *Fake) Replug() {
	d := f.dev
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if d.cfg.ReplugDelay <= 0 {
		d.plugged = true
		return
	}
	d.timer = time.AfterFunc(d.cfg.ReplugDelay, func() {
		d.mu.Lock()
		d.plugged = true
		d.mu.Unlock()
	})
}

// emptySceneLevel is the grey of the empty scene: a dim wall.
const emptySceneLevel = 110

type fakeDevice struct {
	cfg   FakeConfig
	pf    pixFormat
	scene atomic.Pointer[[]byte] // Width×Height luminance; nil: empty scene

	mu      sync.Mutex
	plugged bool
	timer   *time.Timer
	cur     *fakeStream
	opens   uint64
}

func (d *fakeDevice) present() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.plugged
}

func (d *fakeDevice) open(context.Context) (stream, string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.plugged {
		return nil, "", &os.PathError{Op: "open", Path: d.cfg.Device, Err: unix.ENOENT}
	}
	// The eventfd stands for the device fd: readable while buffers are
	// done, so the same poll loop serves both.
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC|unix.EFD_SEMAPHORE)
	if err != nil {
		return nil, "", fmt.Errorf("eventfd: %w", err)
	}
	d.opens++
	s := &fakeStream{
		dev:    d,
		pf:     d.pf,
		efd:    efd,
		state:  make([]fakeBufState, d.cfg.Buffers),
		stop:   make(chan struct{}),
		rng:    0x9e3779b97f4a7c15 ^ d.opens,
		period: time.Second / time.Duration(d.cfg.FPS),
	}
	for i := 0; i < d.cfg.Buffers; i++ {
		b := make([]byte, d.pf.SizeImage)
		for j := range b {
			b[j] = 0xff // padding shows up as white if a reader ignores Stride
		}
		s.bufs = append(s.bufs, b)
		s.free = append(s.free, i)
	}
	d.cur = s
	s.wg.Add(1)
	go s.produce()
	return s, fmt.Sprintf("/dev/video%d", 100+d.opens%100), nil
}

type fakeBufState uint8

const (
	bufQueued   fakeBufState = iota // owned by the device, waiting to be filled
	bufFilling                      // being filled
	bufDone                         // waiting to be dequeued
	bufDequeued                     // with the consumer
)

type fakeStream struct {
	dev    *fakeDevice
	pf     pixFormat
	efd    int
	period time.Duration
	stop   chan struct{}
	wg     sync.WaitGroup
	rng    uint64 // producer goroutine only

	mu     sync.Mutex
	bufs   [][]byte
	state  []fakeBufState
	free   []int      // queued buffers, in queue order
	done   []rawFrame // done buffers, oldest first
	seq    uint32
	gone   bool
	closed bool
}

func (s *fakeStream) pollFD() int       { return s.efd }
func (s *fakeStream) format() pixFormat { return s.pf }

func (s *fakeStream) produce() {
	defer s.wg.Done()
	t := time.NewTicker(s.period)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			if s.dev.cfg.Clock != nil {
				now = s.dev.cfg.Clock.Now()
			}
			s.capture(now)
		}
	}
}

// capture is one frame time: the sequence advances whether or not a
// buffer was free, as in V4L2 drivers, so a lost frame is a gap.
func (s *fakeStream) capture(now time.Time) {
	s.mu.Lock()
	if s.gone || s.closed {
		s.mu.Unlock()
		return
	}
	seq := s.seq
	s.seq++
	if len(s.free) == 0 {
		s.mu.Unlock()
		return
	}
	i := s.free[0]
	s.free = s.free[1:]
	s.state[i] = bufFilling
	buf := s.bufs[i]
	s.mu.Unlock()

	s.fill(buf)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone || s.closed {
		return
	}
	s.state[i] = bufDone
	s.done = append(s.done, rawFrame{index: i, data: buf, seq: seq, at: now})
	var one = [8]byte{1}
	unix.Write(s.efd, one[:])
}

// fill renders the scene plus sensor noise into buf.
func (s *fakeStream) fill(buf []byte) {
	var scene []byte
	if p := s.dev.scene.Load(); p != nil {
		scene = *p
	}
	w, h, stride := s.pf.Width, s.pf.Height, s.pf.BytesPerLine
	amp := s.dev.cfg.Noise
	var r uint64
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := emptySceneLevel
			if scene != nil {
				v = int(scene[y*w+x])
			}
			if amp > 0 {
				if x&7 == 0 {
					s.rng ^= s.rng << 13
					s.rng ^= s.rng >> 7
					s.rng ^= s.rng << 17
					r = s.rng
				}
				v += int(byte(r)%byte(2*amp+1)) - amp
				r >>= 8
				v = min(max(v, 0), 255)
			}
			if s.pf.Format == FormatYUYV {
				buf[y*stride+2*x] = byte(v)
				buf[y*stride+2*x+1] = 128
			} else {
				buf[y*stride+x] = byte(v)
			}
		}
	}
}

func (s *fakeStream) dequeue() (rawFrame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return rawFrame{}, unix.ENODEV
	}
	if len(s.done) == 0 {
		return rawFrame{}, unix.EAGAIN
	}
	r := s.done[0]
	s.done = s.done[1:]
	s.state[r.index] = bufDequeued
	var b [8]byte
	unix.Read(s.efd, b[:])
	return r, nil
}

func (s *fakeStream) requeue(i int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return unix.ENODEV
	}
	if i < 0 || i >= len(s.state) || s.state[i] != bufDequeued {
		return unix.EINVAL // as VIDIOC_QBUF on a buffer already queued
	}
	s.state[i] = bufQueued
	s.free = append(s.free, i)
	return nil
}

// markGone is the unplug: everything fails from now on and a poll wakes.
func (s *fakeStream) markGone() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone || s.closed {
		return
	}
	s.gone = true
	var one = [8]byte{1}
	unix.Write(s.efd, one[:])
}

func (s *fakeStream) close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	s.wg.Wait()
	s.dev.mu.Lock()
	if s.dev.cur == s {
		s.dev.cur = nil
	}
	s.dev.mu.Unlock()
	return unix.Close(s.efd)
}
