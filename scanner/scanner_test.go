package scanner

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/door"

	"github.com/scangate/scangate/camsim"
)

// scriptedCamera plays frames in lockstep: the next frame is handed out
// only when the previous one was released, like a driver with one buffer,
// so a test sees every frame decoded in order. After the script it blocks.
type scriptedCamera struct {
	frames   []door.Frame
	next     int
	token    chan struct{}
	end      chan struct{}
	released atomic.Int64
}

func newScriptedCamera(frames []door.Frame) *scriptedCamera {
	c := &scriptedCamera{frames: frames, token: make(chan struct{}, 1), end: make(chan struct{})}
	c.token <- struct{}{}
	return c
}

func (c *scriptedCamera) NextFrame(ctx context.Context) (door.Frame, func(), error) {
	select {
	case <-c.token:
	case <-ctx.Done():
		return door.Frame{}, nil, ctx.Err()
	}
	if c.next == len(c.frames) {
		close(c.end)
		<-ctx.Done()
		return door.Frame{}, nil, ctx.Err()
	}
	f := c.frames[c.next]
	c.next++
	var once sync.Once
	return f, func() {
		once.Do(func() {
			c.released.Add(1)
			c.token <- struct{}{}
		})
	}, nil
}

var scenes struct {
	once    sync.Once
	a, b, e door.Frame
}

const (
	textA = "SG1:AAAA-0001"
	textB = "SG1:BBBB-0002"
)

func sceneFrames(t *testing.T) (a, b, e door.Frame) {
	scenes.once.Do(func() {
		qa, err := camsim.QR(textA, 1)
		if err != nil {
			t.Fatal(err)
		}
		qb, err := camsim.QR(textB, 1)
		if err != nil {
			t.Fatal(err)
		}
		scenes.a = camsim.Render(qa, camsim.Params{Scale: 0.4, TiltY: 10, Noise: 2, Seed: 1, AimU: 0.5, AimV: 0.5})
		scenes.b = camsim.Render(qb, camsim.Params{Scale: 0.4, TiltX: -10, Noise: 2, Seed: 2, AimU: 0.5, AimV: 0.5})
		scenes.e = camsim.Empty(3, 2)
	})
	return scenes.a, scenes.b, scenes.e
}

// timeline builds frames at 30 fps from (scene, count) steps.
func timeline(t0 time.Time, steps ...any) []door.Frame {
	var out []door.Frame
	for i := 0; i < len(steps); i += 2 {
		f, n := steps[i].(door.Frame), steps[i+1].(int)
		for range n {
			f.Seq = uint64(len(out) + 1)
			f.At = t0.Add(time.Duration(len(out)) * time.Second / 30)
			out = append(out, f)
		}
	}
	return out
}

func collect(t *testing.T, ctx context.Context, out <-chan door.Code, n int) []door.Code {
	t.Helper()
	var got []door.Code
	for len(got) < n {
		select {
		case c := <-out:
			got = append(got, c)
		case <-ctx.Done():
			t.Fatalf("got %d codes before timeout, want %d: %+v", len(got), n, got)
		}
	}
	return got
}

func TestCameraDebounce(t *testing.T) {
	a, b, e := sceneFrames(t)
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	frames := timeline(t0,
		a, 60, // card A held 2 s: one event
		e, 9, // gone 0.3 s: not long enough to re-arm
		a, 15, // back: no event
		e, 20, // gone 0.67 s: re-armed
		a, 5, // event
		b, 5, // another card right after: event
		a, 100, // A again: event, and held 3.3 s more: still that one event
	)
	cam := newScriptedCamera(frames)
	s := New(Config{Clock: clock.NewFake(t0)})
	s.AddCamera("camera0", cam)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := make(chan door.Code, 16)
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(ctx, out) }()

	got := collect(t, ctx, out, 4)
	<-cam.end
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-runErr; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	close(out)
	for c := range out {
		got = append(got, c)
	}
	want := []struct {
		text string
		seq  uint64
	}{{textA, 1}, {textA, 105}, {textB, 110}, {textA, 115}}
	if len(got) != len(want) {
		t.Fatalf("got %d codes, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Text != w.text || g.FrameSeq != w.seq || g.Source != "camera0" {
			t.Errorf("code %d = %q seq %d from %s, want %q seq %d", i, g.Text, g.FrameSeq, g.Source, w.text, w.seq)
		}
		if wantAt := frames[w.seq-1].At; !g.SeenAt.Equal(wantAt) {
			t.Errorf("code %d seen at %v, want the frame's capture time %v", i, g.SeenAt, wantAt)
		}
	}
	st := s.Stats().Sources
	if len(st) != 1 || st[0].Frames != uint64(len(frames)) || st[0].Dropped != 0 || st[0].Events != 4 {
		t.Errorf("stats = %+v", st)
	}
	if n := cam.released.Load(); n != int64(len(frames)) {
		t.Errorf("released %d frames, want %d", n, len(frames))
	}
}

// floodCamera hands out frames as fast as asked, like a camera faster
// than the decoder, and tracks how many are held at once.
type floodCamera struct {
	frames              []door.Frame
	n                   int
	outstanding, maxOut atomic.Int64
	delivered, released atomic.Int64
	fail                int // first calls that fail, as an unplugged camera
}

var errUnplugged = errors.New("camera: no such device")

func (c *floodCamera) NextFrame(ctx context.Context) (door.Frame, func(), error) {
	if ctx.Err() != nil {
		return door.Frame{}, nil, ctx.Err()
	}
	if c.fail > 0 {
		c.fail--
		return door.Frame{}, nil, errUnplugged
	}
	time.Sleep(200 * time.Microsecond) // a frame interval, shortened
	f := c.frames[c.n%len(c.frames)]
	c.n++
	f.Seq = uint64(c.n)
	o := c.outstanding.Add(1)
	for {
		m := c.maxOut.Load()
		if o <= m || c.maxOut.CompareAndSwap(m, o) {
			break
		}
	}
	c.delivered.Add(1)
	var once sync.Once
	return f, func() {
		once.Do(func() {
			c.outstanding.Add(-1)
			c.released.Add(1)
		})
	}, nil
}

func TestCameraDropsOldFrames(t *testing.T) {
	a, b, e := sceneFrames(t)
	cam := &floodCamera{frames: []door.Frame{a, e, b, e}, fail: 3}
	s := New(Config{RetryBackoff: time.Millisecond})
	s.AddCamera("camera0", cam)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan door.Code, 1024)
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(ctx, out) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		st := s.Stats().Sources[0]
		if st.Dropped > 0 && st.Decoded > 0 && st.Frames > 50 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-runErr; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v", err)
	}
	st := s.Stats().Sources[0]
	if st.Dropped == 0 {
		t.Errorf("no frame dropped with a decoder slower than the camera: %+v", st)
	}
	if st.Decoded == 0 {
		t.Errorf("nothing decoded: %+v", st)
	}
	if st.Errors != 3 || st.LastError != errUnplugged.Error() {
		t.Errorf("errors %d %q, want 3 %q", st.Errors, st.LastError, errUnplugged)
	}
	if d, r := cam.delivered.Load(), cam.released.Load(); d != r {
		t.Errorf("delivered %d frames, released %d", d, r)
	}
	// One being decoded, one waiting, one just captured.
	if m := cam.maxOut.Load(); m > 3 {
		t.Errorf("held %d frames at once, want at most 3", m)
	}
	if st.Frames != uint64(cam.delivered.Load()) {
		t.Errorf("stats count %d frames, camera delivered %d", st.Frames, cam.delivered.Load())
	}
}

type scriptedText struct {
	lines []door.Code
	next  int
	err   int
}

func (s *scriptedText) ReadText(ctx context.Context) (string, time.Time, error) {
	if s.err > 0 {
		s.err--
		return "", time.Time{}, errors.New("serialscan: read /dev/ttyACM0: input/output error")
	}
	if s.next == len(s.lines) {
		<-ctx.Done()
		return "", time.Time{}, ctx.Err()
	}
	c := s.lines[s.next]
	s.next++
	return c.Text, c.SeenAt, nil
}

func TestTextDebounce(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	src := &scriptedText{err: 1, lines: []door.Code{
		{Text: "X", SeenAt: at(0)},
		{Text: "X", SeenAt: at(100)},    // a repeat within 0.5 s: dropped
		{Text: "X", SeenAt: at(700)},    // 0.6 s after the last read: counts
		{Text: "Y", SeenAt: at(750)},    // another code: counts
		{Text: "X", SeenAt: at(800)},    // back to X: counts
		{Text: "", SeenAt: time.Time{}}, // zero time: the clock is used
	}}
	clk := clock.NewFake(at(5000))
	s := New(Config{TextRearm: 500 * time.Millisecond, RetryBackoff: time.Second, Clock: clk})
	s.AddText("serial0", src)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := make(chan door.Code, 16)
	go func() { _ = s.Run(ctx, out) }()
	// The source failed first: the scanner waits out its backoff on the
	// clock, and reads again only once the clock has moved past it.
	if err := clk.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-out:
		t.Fatalf("read during the backoff: %+v", c)
	default:
	}
	clk.Advance(time.Second)
	got := collect(t, ctx, out, 5)
	want := []door.Code{
		{Text: "X", Source: "serial0", SeenAt: at(0)},
		{Text: "X", Source: "serial0", SeenAt: at(700)},
		{Text: "Y", Source: "serial0", SeenAt: at(750)},
		{Text: "X", Source: "serial0", SeenAt: at(800)},
		{Text: "", Source: "serial0", SeenAt: at(6000)},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("code %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	st := s.Stats().Sources[0]
	if st.Errors != 1 || st.Frames != 6 || st.Events != 5 || st.Kind != "text" {
		t.Errorf("stats = %+v", st)
	}
}

func TestDebouncerReread(t *testing.T) {
	d := debouncer{rearm: 500 * time.Millisecond, reread: 3 * time.Second}
	t0 := time.Unix(0, 0)
	var events []time.Duration
	for ms := 0; ms <= 7000; ms += 100 { // held for 7 s, seen every 100 ms
		if d.seen("A", t0.Add(time.Duration(ms)*time.Millisecond)) {
			events = append(events, time.Duration(ms)*time.Millisecond)
		}
	}
	want := []time.Duration{0, 3 * time.Second, 6 * time.Second}
	if len(events) != len(want) {
		t.Fatalf("events at %v, want %v", events, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Errorf("event %d at %v, want %v", i, events[i], want[i])
		}
	}
}

// The rearm rule: without reread a card held for 30 s is one event; a gap
// shorter than rearm (a missed frame, a scanner's resend) keeps it one;
// taken away for rearm, it is a new event.
func TestDebouncerHeldIsOneEvent(t *testing.T) {
	// A scanner resending a held code every second stays one event under
	// the default text rearm.
	cfg := Config{}.withDefaults()
	txt := debouncer{rearm: cfg.TextRearm, reread: cfg.Reread}
	n := 0
	for ms := 0; ms <= 30000; ms += 1000 {
		if txt.seen("A", time.Unix(0, 0).Add(time.Duration(ms)*time.Millisecond)) {
			n++
		}
	}
	if n != 1 || cfg.Reread != 0 {
		t.Fatalf("resent every second for 30 s: %d events (reread %v)", n, cfg.Reread)
	}

	d := debouncer{rearm: 500 * time.Millisecond}
	t0 := time.Unix(0, 0)
	var events []time.Duration
	seen := func(ms int) {
		if d.seen("A", t0.Add(time.Duration(ms)*time.Millisecond)) {
			events = append(events, time.Duration(ms)*time.Millisecond)
		}
	}
	for ms := 0; ms <= 30000; ms += 100 {
		if ms%1000 != 300 { // a few frames without a decode
			seen(ms)
		}
	}
	seen(30499) // 499 ms later: still the same presentation
	seen(31000) // out of view for 501 ms: presented again
	want := []time.Duration{0, 31 * time.Second}
	if len(events) != 2 || events[0] != want[0] || events[1] != want[1] {
		t.Fatalf("events at %v, want %v", events, want)
	}
}

func TestDuplicateSourcePanics(t *testing.T) {
	s := New(Config{})
	s.AddText("a", &scriptedText{})
	defer func() {
		if recover() == nil {
			t.Error("duplicate source name did not panic")
		}
	}()
	s.AddText("a", &scriptedText{})
}
