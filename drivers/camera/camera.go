package camera

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scangate/scangate/door"

	"golang.org/x/sys/unix"
)

var (
	// ErrDisconnected is wrapped by the error NextFrame returns when the
	// device vanished (ENODEV/EIO, or its path is gone). The camera has
	// then closed everything; the next NextFrame waits for the device and
	// reopens it.
	ErrDisconnected = errors.New("camera: device disconnected")
	// ErrTimeout is wrapped when no frame arrived within FrameTimeout.
	ErrTimeout = errors.New("camera: no frame within timeout")
	// ErrClosed is returned once Close has been called.
	ErrClosed = errors.New("camera: closed")
)

// Status is the coarse state of a camera.
type Status string

// The states State reports.
const (
	StatusOpening      Status = "opening"
	StatusStreaming    Status = "streaming"
	StatusDisconnected Status = "disconnected"
	StatusClosed       Status = "closed"
)

// State is a snapshot for status pages and logs.
type State struct {
	Status   Status
	Device   string // as configured
	Node     string // what it resolved to at the last open, e.g. /dev/video0
	Format   PixelFormat
	Width    int
	Height   int
	Stride   int // bytesperline reported by the driver
	Since    time.Time
	LastErr  error
	Frames   uint64 // frames delivered
	Dropped  uint64 // sequence gaps: frames the driver or the newest-frame policy skipped
	Timeouts uint64
	Corrupt  uint64 // frames with V4L2_BUF_FLAG_ERROR, short or undecodable
	Reopens  uint64 // successful opens after the first
}

// rawFrame is one buffer dequeued from a stream.
type rawFrame struct {
	index int
	data  []byte
	seq   uint32
	at    time.Time
	bad   bool // the driver flagged it (V4L2_BUF_FLAG_ERROR)
}

// stream is one open, streaming device: an fd that polls readable when a
// buffer is done, and the buffer ring behind it. The V4L2 driver and the
// fake implement it, so both run the same supervision code below.
type stream interface {
	pollFD() int
	format() pixFormat
	dequeue() (rawFrame, error) // an error wrapping unix.EAGAIN when none is done
	requeue(index int) error
	close() error
}

// device opens streams and tells whether the device is there at all.
type device interface {
	open(ctx context.Context) (s stream, node string, err error)
	present() bool
}

// Camera delivers luminance frames from one device and reopens it by
// itself after it disappears. NextFrame is meant for one consumer
// goroutine; State and Close may be called from any goroutine.
type Camera struct {
	cfg    Config
	dev    device
	log    *slog.Logger
	closed chan struct{}
	once   sync.Once

	next    sync.Mutex // one NextFrame at a time
	scratch []byte     // MJPEG DHT splicing; guarded by next

	mu        sync.Mutex
	sess      *session
	st        State
	opened    bool
	retry     time.Duration
	notBefore time.Time
	timeouts  int // consecutive
	lastSeq   uint64
	haveSeq   bool
	ypool     [][]byte
}

// New returns a camera for cfg. It does no I/O: the device is opened by
// the first NextFrame, so a kiosk that boots before its camera enumerates
// simply waits (State reports "disconnected").
func New(cfg Config) (*Camera, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return newCamera(cfg, &v4l2Device{cfg: cfg}), nil
}

func newCamera(cfg Config, dev device) *Camera {
	c := &Camera{
		cfg:    cfg,
		dev:    dev,
		log:    cfg.Logger.With("device", cfg.Device),
		closed: make(chan struct{}),
		retry:  cfg.RetryMin,
	}
	c.st = State{Status: StatusOpening, Device: cfg.Device, Since: time.Now()}
	return c
}

// noRelease is returned with errors so a caller may call it blindly.
func noRelease() {}

// NextFrame waits for the newest frame. The frame's memory is the
// driver's buffer (GREY) or a reused plane (YUYV); call release as soon as
// the frame is decoded so the buffer goes back to the driver. Older frames
// waiting in the queue are skipped (counted in State.Dropped): a reader
// wants what is in front of the camera now.
//
// Errors: ctx.Err(), ErrClosed, or errors wrapping ErrTimeout or
// ErrDisconnected; after either of the last two, simply call again.
func (c *Camera) NextFrame(ctx context.Context) (door.Frame, func(), error) {
	c.next.Lock()
	defer c.next.Unlock()
	for {
		select {
		case <-c.closed:
			return door.Frame{}, noRelease, ErrClosed
		default:
		}
		if err := ctx.Err(); err != nil {
			return door.Frame{}, noRelease, err
		}
		c.mu.Lock()
		ss := c.sess
		c.mu.Unlock()
		if ss == nil {
			if err := c.openSession(ctx); err != nil {
				return door.Frame{}, noRelease, err
			}
			continue
		}
		f, rel, again, err := c.readFrame(ctx, ss)
		if again {
			continue
		}
		return f, rel, err
	}
}

// State returns a snapshot of the camera's state and counters.
func (c *Camera) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

// Close stops streaming and releases the device. Frames still held stay
// valid until released; the buffers are unmapped after the last release.
func (c *Camera) Close() error {
	c.once.Do(func() {
		close(c.closed)
		c.mu.Lock()
		if c.sess != nil {
			c.sess.wake()
		}
		c.mu.Unlock()
	})
	c.next.Lock()
	defer c.next.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != nil {
		c.sess.shutdown()
		c.sess = nil
	}
	if c.st.Status != StatusClosed {
		c.st.Status, c.st.Since = StatusClosed, time.Now()
	}
	return nil
}

// sleepUntil waits for t, ctx or Close.
func (c *Camera) sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closed:
		return ErrClosed
	}
}

func (c *Camera) setStatus(s Status, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st.Status != s {
		c.st.Status, c.st.Since = s, time.Now()
	}
	if err != nil {
		c.st.LastErr = err
	}
}

// backOff schedules the next open attempt and doubles the wait.
func (c *Camera) backOff() {
	c.notBefore = time.Now().Add(c.retry)
	c.retry = min(2*c.retry, c.cfg.RetryMax)
}

// openSession waits until the device is present and opens it. It returns
// nil once a session is up, or an error worth reporting (the device is
// there but cannot be opened); a missing device is waited for silently.
func (c *Camera) openSession(ctx context.Context) error {
	for {
		if err := c.sleepUntil(ctx, c.notBefore); err != nil {
			return err
		}
		if !c.dev.present() {
			c.setStatus(StatusDisconnected, fmt.Errorf("camera %s: %w", c.cfg.Device, os.ErrNotExist))
			c.backOff()
			continue
		}
		c.setStatus(StatusOpening, nil)
		s, node, err := c.dev.open(ctx)
		if err != nil {
			err = fmt.Errorf("open camera %s: %w", c.cfg.Device, err)
			c.setStatus(StatusDisconnected, err)
			c.backOff()
			if isGone(err) {
				continue // vanished between the check and the open
			}
			return err
		}
		efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
		if err != nil {
			s.close()
			c.backOff()
			return fmt.Errorf("camera %s: eventfd: %w", c.cfg.Device, err)
		}
		pf := s.format()
		ss := &session{s: s, pf: pf, wakeFD: efd}
		c.mu.Lock()
		c.sess = ss
		if c.opened {
			c.st.Reopens++
		}
		c.opened = true
		c.retry = c.cfg.RetryMin
		c.timeouts = 0
		c.st.Node = node
		c.st.Format, c.st.Width, c.st.Height, c.st.Stride = pf.Format, pf.Width, pf.Height, pf.BytesPerLine
		c.st.Status, c.st.Since = StatusStreaming, time.Now()
		c.mu.Unlock()
		c.log.Info("camera streaming", "node", node, "format", pf.Format.String(),
			"width", pf.Width, "height", pf.Height, "stride", pf.BytesPerLine)
		return nil
	}
}

// isGone reports errors meaning the device node no longer works.
func isGone(err error) bool {
	return errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EIO) ||
		errors.Is(err, unix.ENXIO) || errors.Is(err, unix.ENOENT)
}

// endSession tears the session down; the next NextFrame reopens.
func (c *Camera) endSession(ss *session, status Status, err error) {
	c.mu.Lock()
	if c.sess == ss {
		c.sess = nil
	}
	c.st.Status, c.st.Since = status, time.Now()
	c.st.LastErr = err
	c.mu.Unlock()
	ss.shutdown()
}

// disconnect ends the session after the device failed.
func (c *Camera) disconnect(ss *session, cause error) (door.Frame, func(), bool, error) {
	err := fmt.Errorf("camera %s: %w: %w", c.cfg.Device, ErrDisconnected, cause)
	c.log.Warn("camera lost", "err", cause)
	c.endSession(ss, StatusDisconnected, err)
	c.retry = c.cfg.RetryMin
	c.notBefore = time.Time{}
	return door.Frame{}, noRelease, false, err
}

// readFrame waits for frames on ss and delivers the newest. again asks
// NextFrame to loop (a spurious wakeup or a frame that had to be dropped).
func (c *Camera) readFrame(ctx context.Context, ss *session) (f door.Frame, release func(), again bool, err error) {
	revents, err := ss.wait(ctx, c.closed, c.cfg.FrameTimeout)
	switch {
	case errors.Is(err, ErrTimeout):
		return c.onTimeout(ss)
	case err != nil && (errors.Is(err, ErrClosed) || ctx.Err() != nil):
		return door.Frame{}, noRelease, false, err
	case err != nil:
		return c.disconnect(ss, err)
	}
	var got rawFrame
	have, bad := false, uint64(0)
	for {
		r, err := ss.s.dequeue()
		if errors.Is(err, unix.EAGAIN) {
			break
		}
		if err != nil {
			if have {
				ss.requeue(got.index)
			}
			return c.disconnect(ss, err)
		}
		if r.bad {
			bad++
			ss.requeue(r.index)
			continue
		}
		if have {
			ss.requeue(got.index)
		}
		got, have = r, true
	}
	if bad > 0 {
		c.mu.Lock()
		c.st.Corrupt += bad
		c.mu.Unlock()
	}
	if !have {
		if revents&(unix.POLLERR|unix.POLLHUP) != 0 {
			// V4L2 polls POLLERR|POLLHUP once the device is unregistered;
			// a dequeue that then says EAGAIN still means the stream is dead.
			return c.disconnect(ss, fmt.Errorf("poll revents %#x", revents))
		}
		return door.Frame{}, nil, true, nil
	}
	c.timeouts = 0
	return c.deliver(ss, got)
}

// onTimeout reports a missing frame. The device may have vanished without
// an error (a path that is gone says so); three timeouts in a row with no
// frame held restart the stream, which unwedges stalled UVC cameras.
func (c *Camera) onTimeout(ss *session) (door.Frame, func(), bool, error) {
	err := fmt.Errorf("camera %s: %w (%v)", c.cfg.Device, ErrTimeout, c.cfg.FrameTimeout)
	c.mu.Lock()
	c.st.Timeouts++
	c.st.LastErr = err
	c.mu.Unlock()
	if !c.dev.present() {
		return c.disconnect(ss, os.ErrNotExist)
	}
	c.timeouts++
	if c.timeouts >= 3 && ss.heldCount() == 0 {
		c.log.Warn("camera stalled, restarting stream", "timeouts", c.timeouts)
		c.endSession(ss, StatusOpening, err)
	}
	return door.Frame{}, noRelease, false, err
}

// deliver turns a dequeued buffer into a Frame.
func (c *Camera) deliver(ss *session, r rawFrame) (door.Frame, func(), bool, error) {
	pf := ss.pf
	f := door.Frame{Width: pf.Width, Height: pf.Height, Stride: pf.BytesPerLine, At: r.at}
	release := noRelease
	switch pf.Format {
	case FormatGrey:
		n := pf.frameBytes()
		if len(r.data) < n {
			return c.corrupt(ss, r, fmt.Errorf("GREY frame of %d bytes, want %d", len(r.data), n))
		}
		f.Y = r.data[:n:n]
		ss.hold()
		var done atomic.Bool
		release = func() {
			if done.CompareAndSwap(false, true) {
				ss.release(r.index)
			}
		}
	case FormatYUYV:
		n := pf.frameBytes()
		if len(r.data) < n {
			return c.corrupt(ss, r, fmt.Errorf("YUYV frame of %d bytes, want %d", len(r.data), n))
		}
		y := c.getPlane(pf.Width * pf.Height)
		deinterleaveYUYV(y, r.data, pf.Width, pf.Height, pf.BytesPerLine)
		ss.requeue(r.index)
		f.Y, f.Stride = y, pf.Width
		var done atomic.Bool
		release = func() {
			if done.CompareAndSwap(false, true) {
				c.putPlane(y)
			}
		}
	default: // MJPEG
		y, w, h, stride, err := decodeJPEGLuma(r.data, &c.scratch)
		ss.requeue(r.index)
		if err != nil {
			return c.corrupt(ss, r, err)
		}
		f.Y, f.Width, f.Height, f.Stride = y, w, h, stride
	}
	c.mu.Lock()
	seq := ss.frameSeq(r.seq, c.lastSeq, c.haveSeq)
	if c.haveSeq && seq > c.lastSeq+1 {
		c.st.Dropped += seq - c.lastSeq - 1
	}
	c.lastSeq, c.haveSeq = seq, true
	c.st.Frames++
	c.mu.Unlock()
	f.Seq = seq
	return f, release, false, nil
}

// corrupt drops a frame the driver delivered damaged and asks for the next.
func (c *Camera) corrupt(ss *session, r rawFrame, err error) (door.Frame, func(), bool, error) {
	ss.requeue(r.index)
	c.mu.Lock()
	c.st.Corrupt++
	c.st.LastErr = fmt.Errorf("camera %s: %w", c.cfg.Device, err)
	c.mu.Unlock()
	return door.Frame{}, nil, true, nil
}

// getPlane returns a reused luminance plane of n bytes.
func (c *Camera) getPlane(n int) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.ypool) - 1; i >= 0; i-- {
		if b := c.ypool[i]; cap(b) >= n {
			c.ypool = append(c.ypool[:i], c.ypool[i+1:]...)
			return b[:n]
		}
	}
	return make([]byte, n)
}

func (c *Camera) putPlane(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.ypool) < c.cfg.Buffers {
		c.ypool = append(c.ypool, b)
	}
}
