package camera

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// session is one open stream plus what keeps it safe to tear down while
// a consumer still holds a frame: the buffers are unmapped only after the
// last held frame is released.
type session struct {
	s      stream
	pf     pixFormat
	wakeFD int // eventfd: written on ctx cancel or Close to end a poll

	// Guarded by the camera's next lock (one NextFrame at a time).
	haveFirst bool
	firstRaw  uint32
	base      uint64

	mu      sync.Mutex
	held    int
	closing bool
	closed  bool
}

// frameSeq maps the driver's 32-bit per-stream sequence onto the camera's
// 64-bit one, which keeps counting up across reopens.
func (ss *session) frameSeq(raw uint32, last uint64, haveLast bool) uint64 {
	if !ss.haveFirst {
		ss.haveFirst, ss.firstRaw = true, raw
		ss.base = uint64(raw)
		if haveLast {
			ss.base = last + 1
		}
	}
	return ss.base + uint64(raw-ss.firstRaw)
}

// wait polls the stream and the wake eventfd until a buffer is done, the
// timeout passes, ctx ends or closed is closed. It never busy-loops: the
// poll timeout is the remaining time in milliseconds, rounded up.
func (ss *session) wait(ctx context.Context, closed <-chan struct{}, timeout time.Duration) (int16, error) {
	stop := context.AfterFunc(ctx, ss.wake)
	defer stop()
	deadline := time.Now().Add(timeout)
	fds := []unix.PollFd{
		{Fd: int32(ss.s.pollFD()), Events: unix.POLLIN},
		{Fd: int32(ss.wakeFD), Events: unix.POLLIN},
	}
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return 0, ErrTimeout
		}
		ms := int(min((left+time.Millisecond-1)/time.Millisecond, math.MaxInt32))
		n, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 {
			continue
		}
		if fds[1].Revents != 0 {
			ss.drainWake()
			select {
			case <-closed:
				return 0, ErrClosed
			default:
			}
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			// A wake left over from an earlier call: poll again.
		}
		if r := fds[0].Revents; r != 0 {
			return r, nil
		}
	}
}

// wake ends a poll in progress. It is safe after shutdown: the fd is
// never written once closed, so a reused fd number is never touched.
func (ss *session) wake() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if !ss.closed {
		var one = [8]byte{1}
		unix.Write(ss.wakeFD, one[:])
	}
}

func (ss *session) drainWake() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if !ss.closed {
		var b [8]byte
		unix.Read(ss.wakeFD, b[:])
	}
}

func (ss *session) hold() {
	ss.mu.Lock()
	ss.held++
	ss.mu.Unlock()
}

func (ss *session) heldCount() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.held
}

// requeue gives a buffer back to the driver unless the session is ending.
// An error is not reported here: a dead device shows on the next dequeue.
func (ss *session) requeue(index int) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if !ss.closing {
		ss.s.requeue(index)
	}
}

// release ends a hold taken by hold.
func (ss *session) release(index int) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.held--
	if !ss.closing {
		ss.s.requeue(index)
		return
	}
	if ss.held == 0 {
		ss.finish()
	}
}

// shutdown closes the session now, or at the last release.
func (ss *session) shutdown() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closing {
		return
	}
	ss.closing = true
	if ss.held == 0 {
		ss.finish()
	}
}

// finish closes the stream and the eventfd; ss.mu is held.
func (ss *session) finish() {
	if ss.closed {
		return
	}
	ss.closed = true
	ss.s.close()
	unix.Close(ss.wakeFD)
}
