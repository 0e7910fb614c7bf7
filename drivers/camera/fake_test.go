package camera

import (
	"context"
	"errors"
	"image"
	"io"
	"log/slog"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/scangate/scangate/door"
)

// Both the driver and the fake are the scanner's frame source.
var _ = []interface {
	NextFrame(context.Context) (door.Frame, func(), error)
	State() State
	Close() error
}{(*Camera)(nil), (*Fake)(nil)}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func newTestFake(t *testing.T, cfg FakeConfig) *Fake {
	t.Helper()
	if cfg.Width == 0 {
		cfg.Width, cfg.Height = 64, 48
	}
	if cfg.FPS == 0 {
		cfg.FPS = 500
	}
	if cfg.FrameTimeout == 0 {
		cfg.FrameTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLog
	}
	f := NewFake(cfg)
	t.Cleanup(func() { f.Close() })
	return f
}

func next(t *testing.T, f *Fake) (door.Frame, func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fr, rel, err := f.NextFrame(ctx)
	if err != nil {
		t.Fatalf("NextFrame: %v", err)
	}
	return fr, rel
}

func TestFakeDeliversShownImage(t *testing.T) {
	f := newTestFake(t, FakeConfig{Stride: 80})
	img := image.NewGray(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Pix[y*img.Stride+x] = byte(x * 4)
		}
	}
	f.Show(img)
	// Frames captured before Show may still be queued; wait for the scene.
	var fr door.Frame
	var rel func()
	for i := 0; i < 100; i++ {
		fr, rel = next(t, f)
		if fr.Y[63] > 200 {
			break
		}
		rel()
	}
	defer rel()
	if fr.Width != 64 || fr.Height != 48 || fr.Stride != 80 {
		t.Fatalf("frame %dx%d stride %d, want 64x48 stride 80", fr.Width, fr.Height, fr.Stride)
	}
	for y := 0; y < fr.Height; y++ {
		for x := 0; x < fr.Width; x++ {
			got, want := int(fr.Y[y*fr.Stride+x]), x*4
			if got < want-2 || got > want+2 {
				t.Fatalf("pixel (%d,%d) = %d, want %d±2", x, y, got, want)
			}
		}
	}
	if st := f.State(); st.Status != StatusStreaming || st.Format != FormatGrey || st.Stride != 80 {
		t.Errorf("State = %+v", st)
	}
}

func TestFakeEmptySceneHasNoise(t *testing.T) {
	f := newTestFake(t, FakeConfig{})
	fr, rel := next(t, f)
	defer rel()
	lo, hi := 255, 0
	for _, v := range fr.Y[:fr.Width*fr.Height] {
		lo, hi = min(lo, int(v)), max(hi, int(v))
	}
	if lo < emptySceneLevel-2 || hi > emptySceneLevel+2 || lo == hi {
		t.Errorf("empty scene spans %d..%d, want mild noise around %d", lo, hi, emptySceneLevel)
	}
}

func TestFakeShowScalesToFit(t *testing.T) {
	f := newTestFake(t, FakeConfig{Noise: -1})
	img := image.NewGray(image.Rect(0, 0, 10, 10)) // black square
	f.Show(img)
	for i := 0; i < 100; i++ {
		fr, rel := next(t, f)
		centre, corner := fr.Y[24*fr.Stride+32], fr.Y[0]
		rel()
		if centre == 0 {
			if corner != emptySceneLevel {
				t.Fatalf("corner = %d, want background %d (square scaled to 48x48, centred)", corner, emptySceneLevel)
			}
			return
		}
	}
	t.Fatal("shown image never appeared")
}

// TestFakeRingExhaustion holds every buffer: like V4L2 with nothing
// queued, NextFrame must block and time out, and the frames lost
// meanwhile must show as a sequence gap once a buffer is released.
func TestFakeRingExhaustion(t *testing.T) {
	f := newTestFake(t, FakeConfig{Buffers: 3, FrameTimeout: 50 * time.Millisecond})
	var rels []func()
	var last uint64
	for i := 0; i < 3; i++ {
		fr, rel := next(t, f)
		rels = append(rels, rel)
		last = fr.Seq
	}
	_, _, err := f.NextFrame(context.Background())
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("NextFrame with all buffers held = %v, want ErrTimeout", err)
	}
	if f.State().Status != StatusStreaming {
		t.Errorf("a held ring must not restart the stream: %+v", f.State())
	}
	// Frames are lost while the ring is held; wait until some were.
	for i := 0; i < 1000; i++ {
		f.dev.mu.Lock()
		s := f.dev.cur
		f.dev.mu.Unlock()
		s.mu.Lock()
		seq := uint64(s.seq)
		s.mu.Unlock()
		if seq > last+2 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, r := range rels {
		r()
	}
	rels[0]() // a second release is a no-op
	fr, rel := next(t, f)
	defer rel()
	if fr.Seq <= last+1 {
		t.Errorf("seq %d after %d: no gap though the ring was exhausted for 50 ms", fr.Seq, last)
	}
	if st := f.State(); st.Dropped == 0 || st.Timeouts != 1 {
		t.Errorf("State = %+v, want Dropped > 0 and Timeouts = 1", st)
	}
}

// TestFakeNewestFrame: a slow consumer gets the newest done buffer, not
// the oldest, and the skipped ones count as dropped.
func TestFakeNewestFrame(t *testing.T) {
	f := newTestFake(t, FakeConfig{Buffers: 4, FPS: 200})
	fr, rel := next(t, f)
	rel()
	waitDone(t, f, 4) // every buffer done, later frames lost
	fr2, rel2 := next(t, f)
	rel2()
	if fr2.Seq < fr.Seq+4 {
		t.Errorf("seq %d then %d: expected the newest of the queued frames", fr.Seq, fr2.Seq)
	}
	if f.State().Dropped < 3 {
		t.Errorf("Dropped = %d, want ≥ 3", f.State().Dropped)
	}
}

// waitDone waits until n buffers of the current stream are done.
func waitDone(t *testing.T, f *Fake, n int) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		f.dev.mu.Lock()
		s := f.dev.cur
		f.dev.mu.Unlock()
		s.mu.Lock()
		done := len(s.done)
		s.mu.Unlock()
		if done >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("fewer than %d buffers done after 5 s", n)
}

func TestFakeYUYV(t *testing.T) {
	f := newTestFake(t, FakeConfig{Format: FormatYUYV, Stride: 160, Noise: -1})
	fr, rel := next(t, f)
	defer rel()
	if fr.Stride != 64 || len(fr.Y) != 64*48 {
		t.Fatalf("YUYV frame stride %d len %d, want de-interleaved 64, %d", fr.Stride, len(fr.Y), 64*48)
	}
	for i, v := range fr.Y {
		if v != emptySceneLevel {
			t.Fatalf("Y[%d] = %d, want %d (chroma or padding leaked)", i, v, emptySceneLevel)
		}
	}
}

func TestFakeContextCancel(t *testing.T) {
	f := newTestFake(t, FakeConfig{Buffers: 2, FrameTimeout: time.Minute})
	_, r1 := next(t, f)
	_, r2 := next(t, f)
	defer r1()
	defer r2()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := f.NextFrame(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("NextFrame = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("NextFrame ignored ctx for %v", d)
	}
}

func TestFakeClose(t *testing.T) {
	f := newTestFake(t, FakeConfig{})
	fr, rel := next(t, f)
	done := make(chan error)
	go func() {
		_, _, err := f.NextFrame(context.Background())
		done <- err
	}()
	f.Close()
	_ = fr.Y[0] // still mapped: held frames survive Close
	rel()
	if err := <-done; err != nil && !errors.Is(err, ErrClosed) {
		t.Errorf("NextFrame during Close = %v", err)
	}
	if _, _, err := f.NextFrame(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("NextFrame after Close = %v, want ErrClosed", err)
	}
	if s := f.State().Status; s != StatusClosed {
		t.Errorf("status %q after Close", s)
	}
}

func TestFakeUnplugReplug(t *testing.T) {
	f := newTestFake(t, FakeConfig{ReplugDelay: 30 * time.Millisecond})
	fr, rel := next(t, f)
	rel()
	f.Unplug()
	_, _, err := f.NextFrame(context.Background())
	if !errors.Is(err, ErrDisconnected) {
		t.Fatalf("NextFrame after Unplug = %v, want ErrDisconnected", err)
	}
	if st := f.State(); st.Status != StatusDisconnected || !errors.Is(st.LastErr, ErrDisconnected) {
		t.Errorf("State after unplug = %+v", st)
	}
	// While unplugged NextFrame waits, honouring ctx.
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Millisecond)
	_, _, err = f.NextFrame(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("NextFrame while unplugged = %v, want deadline exceeded", err)
	}
	f.Replug()
	fr2, rel2 := next(t, f)
	rel2()
	if fr2.Seq <= fr.Seq {
		t.Errorf("seq went back from %d to %d across the replug", fr.Seq, fr2.Seq)
	}
	if st := f.State(); st.Status != StatusStreaming || st.Reopens != 1 {
		t.Errorf("State after replug = %+v, want streaming with 1 reopen", st)
	}
}

// TestFakeUnplugWhileHeld: a frame held across the unplug stays readable
// and its release afterwards is harmless.
func TestFakeUnplugWhileHeld(t *testing.T) {
	f := newTestFake(t, FakeConfig{})
	fr, rel := next(t, f)
	f.Unplug()
	if _, _, err := f.NextFrame(context.Background()); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("NextFrame = %v, want ErrDisconnected", err)
	}
	_ = fr.Y[len(fr.Y)-1]
	rel()
	f.Replug()
	_, rel2 := next(t, f)
	rel2()
}

func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// TestFakeReplugNoLeaks runs 100 unplug/replug cycles and checks that the
// goroutines and fds the streams use are all given back.
func TestFakeReplugNoLeaks(t *testing.T) {
	f := newTestFake(t, FakeConfig{ReplugDelay: time.Millisecond, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond})
	_, rel := next(t, f)
	rel()
	g0, fd0 := runtime.NumGoroutine(), openFDs(t)
	for i := 0; i < 100; i++ {
		_, held := next(t, f) // hold one frame across the unplug every time
		f.Unplug()
		if _, _, err := f.NextFrame(context.Background()); !errors.Is(err, ErrDisconnected) {
			t.Fatalf("cycle %d: NextFrame = %v, want ErrDisconnected", i, err)
		}
		held()
		f.Replug()
		_, rel := next(t, f)
		rel()
	}
	if st := f.State(); st.Reopens != 100 || st.Status != StatusStreaming {
		t.Fatalf("after 100 cycles State = %+v", st)
	}
	var g, fd int
	for i := 0; i < 50; i++ { // let exiting goroutines finish
		g, fd = runtime.NumGoroutine(), openFDs(t)
		if g <= g0 && fd <= fd0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("after 100 replugs: %d goroutines (was %d), %d fds (was %d)", g, g0, fd, fd0)
}

// TestFakeCloseFreesAll: after Close nothing of the fake remains.
func TestFakeCloseFreesAll(t *testing.T) {
	g0, fd0 := runtime.NumGoroutine(), openFDs(t)
	f := NewFake(FakeConfig{Width: 32, Height: 24, FPS: 500, ReplugDelay: time.Hour, Logger: quietLog})
	_, rel := next(t, f)
	rel()
	f.Unplug()
	f.NextFrame(context.Background())
	f.Replug() // leaves a pending timer for Close to stop
	f.Close()
	var g, fd int
	for i := 0; i < 50; i++ {
		g, fd = runtime.NumGoroutine(), openFDs(t)
		if g <= g0 && fd <= fd0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("after Close: %d goroutines (was %d), %d fds (was %d)", g, g0, fd, fd0)
}
