package scanner

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/door"
)

// FrameSource delivers camera frames. release must be called once the
// frame is no longer needed; the driver holds only a few buffers.
type FrameSource interface {
	NextFrame(ctx context.Context) (f door.Frame, release func(), err error)
}

// TextSource delivers whole codes from a serial or HID scanner, with the
// time the line ended.
type TextSource interface {
	ReadText(ctx context.Context) (text string, at time.Time, err error)
}

// Config tunes the pipeline. The zero value is the daemon's default.
type Config struct {
	// RearmAbsent is how long a camera must see no code before the same
	// code counts again: a card held still is one presentation, one
	// event (the rearm rule). Default 0.5 s.
	RearmAbsent time.Duration
	// TextRearm is the same for text sources: how long a scanner must
	// send nothing before the same code counts again. Scanners in
	// continuous mode send a held code again every ~1 s (their same-code
	// delay), so it must be longer than that. Default 1.5 s.
	TextRearm time.Duration
	// Reread, when positive, repeats the event for a code held in view
	// that long. Zero (the default): never; the card must leave first.
	Reread time.Duration
	// ROI restricts decoding to a fixed rectangle of each frame (a card
	// slot); empty means the whole frame.
	ROI image.Rectangle
	// RetryBackoff is the pause after a source error before asking it
	// again. Default 250 ms.
	RetryBackoff time.Duration
	// Clock stamps text sources and frames without a capture time, and
	// times the retry after a source fails. Default clock.Real.
	Clock clock.Clock
	// Logger receives source errors. Default slog.Default().
	Logger *slog.Logger
	// OnDecode, when set, hears each camera frame's decode: how long the
	// work took and whether a code was read. It runs on the decode
	// goroutine, so it must be cheap (a histogram's Observe).
	OnDecode func(took time.Duration, found bool)
}

func (c Config) withDefaults() Config {
	if c.RearmAbsent <= 0 {
		c.RearmAbsent = 500 * time.Millisecond
	}
	if c.TextRearm <= 0 {
		c.TextRearm = 1500 * time.Millisecond
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = 250 * time.Millisecond
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// SourceStats is what a status page and the watchdog need of one source.
type SourceStats struct {
	Name      string
	Kind      string    // "camera" or "text"
	Frames    uint64    // frames (or lines) received
	Decoded   uint64    // frames in which a code was decoded (lines for text sources)
	Dropped   uint64    // frames replaced by a newer one before decoding
	Events    uint64    // codes emitted after debouncing
	Errors    uint64    // source errors
	LastFrame time.Time // capture time of the newest frame or line
	LastError string    // newest source error, "" if none yet
	ErrorAt   time.Time // when LastError happened; compare with LastFrame
}

// Stats holds one entry per source, sorted by name.
type Stats struct {
	Sources []SourceStats
}

// Scanner merges camera and text sources into one debounced stream of
// codes.
type Scanner struct {
	cfg     Config
	mu      sync.Mutex
	cameras map[string]FrameSource
	texts   map[string]TextSource
	stats   map[string]*SourceStats
	snaps   map[string]chan chan Snapshot
	running bool
}

// Snapshot is one camera frame as the decoder saw it, for the technician's
// aiming aid: the picture, and what was decoded where.
type Snapshot struct {
	Image  *image.Gray
	At     time.Time
	Text   string        // "" when no code was decoded in this frame
	Points []image.Point // finder pattern centres, in frame coordinates
}

// Snapshot returns a copy of the next frame camera name decodes. The copy
// is made only on request, so the per-frame path stays allocation-free.
func (s *Scanner) Snapshot(ctx context.Context, name string) (Snapshot, error) {
	s.mu.Lock()
	req, ok := s.snaps[name]
	s.mu.Unlock()
	if !ok {
		return Snapshot{}, fmt.Errorf("scanner: no camera %q", name)
	}
	reply := make(chan Snapshot, 1)
	select {
	case req <- reply:
	case <-ctx.Done():
		return Snapshot{}, ctx.Err()
	}
	select {
	case snap := <-reply:
		return snap, nil
	case <-ctx.Done():
		return Snapshot{}, ctx.Err()
	}
}

// New returns a scanner with cfg (zero fields take their defaults).
func New(cfg Config) *Scanner {
	return &Scanner{
		cfg:     cfg.withDefaults(),
		cameras: map[string]FrameSource{},
		snaps:   map[string]chan chan Snapshot{},
		texts:   map[string]TextSource{},
		stats:   map[string]*SourceStats{},
	}
}

// AddCamera adds a camera source. Sources must be added before Run.
func (s *Scanner) AddCamera(name string, src FrameSource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustAdd(name, "camera")
	s.cameras[name] = src
	s.snaps[name] = make(chan chan Snapshot)
}

// AddText adds a serial or HID scanner source. Sources must be added
// before Run.
func (s *Scanner) AddText(name string, src TextSource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustAdd(name, "text")
	s.texts[name] = src
}

func (s *Scanner) mustAdd(name, kind string) {
	if s.running {
		panic("scanner: source " + name + " added while running")
	}
	if _, dup := s.stats[name]; dup {
		panic("scanner: duplicate source " + name)
	}
	s.stats[name] = &SourceStats{Name: name, Kind: kind}
}

// Stats returns a snapshot of every source's counters.
func (s *Scanner) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Sources: make([]SourceStats, 0, len(s.stats))}
	for _, v := range s.stats {
		st.Sources = append(st.Sources, *v)
	}
	sort.Slice(st.Sources, func(i, j int) bool { return st.Sources[i].Name < st.Sources[j].Name })
	return st
}

func (s *Scanner) update(name string, fn func(*SourceStats)) {
	s.mu.Lock()
	fn(s.stats[name])
	s.mu.Unlock()
}

// Run reads every source and sends debounced codes to out until ctx ends;
// it returns ctx's error. Source errors are counted, logged and retried;
// they never end Run.
func (s *Scanner) Run(ctx context.Context, out chan<- door.Code) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("scanner: already running")
	}
	s.running = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()

	var wg sync.WaitGroup
	for name, src := range s.cameras {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.runCamera(ctx, name, src, out)
		}()
	}
	for name, src := range s.texts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.runText(ctx, name, src, out)
		}()
	}
	<-ctx.Done()
	wg.Wait()
	return ctx.Err()
}

// sourceError records err and waits out the backoff; false when ctx ended.
func (s *Scanner) sourceError(ctx context.Context, name string, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	now := s.cfg.Clock.Now()
	s.update(name, func(st *SourceStats) {
		st.Errors++
		st.LastError = err.Error()
		st.ErrorAt = now
	})
	s.cfg.Logger.Warn("scanner source failed", "source", name, "err", err)
	t := s.cfg.Clock.NewTimer(s.cfg.RetryBackoff)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.Chan():
		return true
	}
}

func (s *Scanner) emit(ctx context.Context, out chan<- door.Code, c door.Code) bool {
	s.update(c.Source, func(st *SourceStats) { st.Events++ })
	select {
	case out <- c:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Scanner) runText(ctx context.Context, name string, src TextSource, out chan<- door.Code) {
	db := debouncer{rearm: s.cfg.TextRearm, reread: s.cfg.Reread}
	for ctx.Err() == nil {
		text, at, err := src.ReadText(ctx)
		if err != nil {
			if !s.sourceError(ctx, name, err) {
				return
			}
			continue
		}
		if at.IsZero() {
			at = s.cfg.Clock.Now()
		}
		s.update(name, func(st *SourceStats) {
			st.Frames++
			st.Decoded++
			st.LastFrame = at
		})
		if db.seen(text, at) {
			if !s.emit(ctx, out, door.Code{Text: text, Source: name, SeenAt: at}) {
				return
			}
		}
	}
}

// frameSlot hands the newest frame from the puller to the decoder; a frame
// not yet taken is released and counted as dropped when a newer one comes.
type frameSlot struct {
	mu      sync.Mutex
	f       door.Frame
	release func()
	full    bool
	ready   chan struct{} // capacity 1: "the slot has a frame"
}

func (fs *frameSlot) put(f door.Frame, release func()) (dropped bool) {
	fs.mu.Lock()
	old, hadOld := fs.release, fs.full
	fs.f, fs.release, fs.full = f, release, true
	fs.mu.Unlock()
	if hadOld && old != nil {
		old()
	}
	select {
	case fs.ready <- struct{}{}:
	default:
	}
	return hadOld
}

func (fs *frameSlot) take() (door.Frame, func(), bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if !fs.full {
		return door.Frame{}, nil, false
	}
	f, r := fs.f, fs.release
	fs.f, fs.release, fs.full = door.Frame{}, nil, false
	return f, r, true
}

func (s *Scanner) runCamera(ctx context.Context, name string, src FrameSource, out chan<- door.Code) {
	slot := &frameSlot{ready: make(chan struct{}, 1)}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // puller: keeps only the newest frame
		defer wg.Done()
		for ctx.Err() == nil {
			f, release, err := src.NextFrame(ctx)
			if err != nil {
				if !s.sourceError(ctx, name, err) {
					return
				}
				continue
			}
			if f.At.IsZero() {
				f.At = s.cfg.Clock.Now()
			}
			dropped := slot.put(f, release)
			s.update(name, func(st *SourceStats) {
				st.Frames++
				st.LastFrame = f.At
				if dropped {
					st.Dropped++
				}
			})
		}
	}()
	defer func() {
		wg.Wait()
		if _, r, ok := slot.take(); ok && r != nil {
			r()
		}
	}()

	s.mu.Lock()
	snapReq := s.snaps[name]
	s.mu.Unlock()
	fd := NewFrameDecoder()
	fd.ROI = s.cfg.ROI
	db := debouncer{rearm: s.cfg.RearmAbsent, reread: s.cfg.Reread}
	for {
		select {
		case <-ctx.Done():
			return
		case <-slot.ready:
		}
		f, release, ok := slot.take()
		if !ok {
			continue
		}
		var snapReply chan Snapshot
		var snap Snapshot
		select {
		case snapReply = <-snapReq:
			snap = copyFrame(f)
		default:
		}
		// Work, not a deadline: measured on the monotonic clock, not cfg.Clock.
		start := time.Now()
		res, err := fd.Decode(f)
		if s.cfg.OnDecode != nil {
			s.cfg.OnDecode(time.Since(start), err == nil)
		}
		if release != nil {
			release()
		}
		if snapReply != nil {
			if err == nil {
				snap.Text = res.Text
				for _, p := range res.Points {
					snap.Points = append(snap.Points, image.Pt(int(p.GetX()), int(p.GetY())))
				}
			}
			snapReply <- snap
		}
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				s.cfg.Logger.Debug("scanner frame rejected", "source", name, "err", err)
			}
			continue
		}
		s.update(name, func(st *SourceStats) { st.Decoded++ })
		if db.seen(res.Text, f.At) {
			if !s.emit(ctx, out, door.Code{Text: res.Text, Source: name, SeenAt: f.At, FrameSeq: f.Seq}) {
				return
			}
		}
	}
}

// debouncer turns a stream of sightings of codes into events: a code in
// continuous view is one event (repeated every reread only when reread is
// positive); it re-arms after being absent for rearm; a different code is
// always a new event.
type debouncer struct {
	rearm, reread time.Duration
	text          string
	lastSeen      time.Time
	lastEvent     time.Time
	armed         bool // false until the first sighting
}

// seen records a sighting at t and reports whether it is an event.
func (d *debouncer) seen(text string, t time.Time) bool {
	if d.armed && text == d.text && t.Sub(d.lastSeen) < d.rearm {
		d.lastSeen = t
		if d.reread > 0 && t.Sub(d.lastEvent) >= d.reread {
			d.lastEvent = t
			return true
		}
		return false
	}
	d.armed = true
	d.text, d.lastSeen, d.lastEvent = text, t, t
	return true
}

func copyFrame(f door.Frame) Snapshot {
	img := image.NewGray(image.Rect(0, 0, f.Width, f.Height))
	for y := 0; y < f.Height; y++ {
		copy(img.Pix[y*img.Stride:y*img.Stride+f.Width], f.Y[y*f.Stride:])
	}
	return Snapshot{Image: img, At: f.At}
}
