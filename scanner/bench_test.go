package scanner

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/scangate/scangate/door"

	"github.com/makiuchi-d/gozxing"
	"golang.org/x/sys/unix"

	"github.com/scangate/scangate/camsim"
)

// threadCPU is the CPU time of the calling OS thread: on a machine shared
// with other work it measures the decoder, not the neighbours.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// benchFrames decodes frames in turn, one per op, and reports wall and
// thread-CPU milliseconds per frame.
func benchFrames(b *testing.B, frames []door.Frame, decode func(door.Frame)) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), threadCPU()
	for i := 0; i < b.N; i++ {
		f := frames[i%len(frames)]
		f.Seq = uint64(i + 1)
		decode(f)
	}
	wall, used := time.Since(start), threadCPU()-cpu
	b.StopTimer()
	b.ReportMetric(float64(wall.Nanoseconds())/1e6/float64(b.N), "ms/frame")
	b.ReportMetric(float64(used.Nanoseconds())/1e6/float64(b.N), "cpu-ms/frame")
}

// BenchmarkDecodeCard decodes the synthetic card frames in turn, one frame
// per op, through the camera pipeline's decode stage.
func BenchmarkDecodeCard(b *testing.B) {
	samples, _ := synthSet(b)
	fd := NewFrameDecoder()
	decoded, i := 0, 0
	benchFrames(b, cardFrames(samples), func(f door.Frame) {
		r, err := fd.Decode(f)
		if i < len(samples) && err == nil && r.Text == samples[i].Text {
			decoded++
		}
		i++
	})
	if b.N >= len(samples) {
		b.ReportMetric(float64(decoded), "decoded")
	}
}

// BenchmarkDecodeIdle decodes frames with no code: a still scene with
// fresh sensor noise each frame and a new scene every tenth frame.
func BenchmarkDecodeIdle(b *testing.B) {
	_, empty := synthSet(b)
	fd := NewFrameDecoder()
	benchFrames(b, empty, func(f door.Frame) { _, _ = fd.Decode(f) })
}

// BenchmarkDecodeFull is the decoder alone on card frames, without the
// idle check and region of interest (each frame decoded from scratch).
func BenchmarkDecodeFull(b *testing.B) {
	samples, _ := synthSet(b)
	d := NewDecoder()
	benchFrames(b, cardFrames(samples), func(f door.Frame) { _, _ = d.Decode(f) })
}

// BenchmarkDecodeEmptyFull is the decoder alone on the frames with no code.
func BenchmarkDecodeEmptyFull(b *testing.B) {
	_, empty := synthSet(b)
	d := NewDecoder()
	benchFrames(b, empty, func(f door.Frame) { _, _ = d.Decode(f) })
}

// BenchmarkBinarize is the hybrid binarizer alone on the card frames.
func BenchmarkBinarize(b *testing.B) {
	samples, _ := synthSet(b)
	var bin hybridBinarizer
	benchFrames(b, cardFrames(samples), func(f door.Frame) { bin.binarize(f) })
}

// BenchmarkFinder is the finder-pattern scan alone on the binarized card
// frames.
func BenchmarkFinder(b *testing.B) {
	samples, _ := synthSet(b)
	var bin hybridBinarizer
	ms := make([]*gozxing.BitMatrix, len(samples))
	for i, s := range samples {
		m := bin.binarize(s.Frame)
		ms[i], _ = gozxing.NewBitMatrix(m.GetWidth(), m.GetHeight())
		for y := 0; y < m.GetHeight(); y++ {
			ms[i].SetRow(y, m.GetRow(y, nil))
		}
	}
	var fs finderScan
	i := 0
	benchFrames(b, cardFrames(samples), func(door.Frame) { fs.find(ms[i%len(ms)]); i++ })
}

// BenchmarkDecodeRetries weighs each retry: the decoder on the card frames
// with all retries, none, and all but one, with the frames decoded.
func BenchmarkDecodeRetries(b *testing.B) {
	samples, _ := synthSet(b)
	all := DefaultDecodeOptions
	for _, c := range []struct {
		name string
		off  func(*DecodeOptions)
	}{
		{"all", func(*DecodeOptions) {}},
		{"none", func(o *DecodeOptions) { *o = DecodeOptions{} }},
		{"no-rotate", func(o *DecodeOptions) { o.Rotate = false }},
		{"no-global", func(o *DecodeOptions) { o.Global = false }},
		{"no-half", func(o *DecodeOptions) { o.Downscale = false }},
	} {
		b.Run(c.name, func(b *testing.B) {
			d := NewDecoder()
			d.Opts = all
			c.off(&d.Opts)
			decoded, i := 0, 0
			benchFrames(b, cardFrames(samples), func(f door.Frame) {
				if text, err := d.Decode(f); err == nil && i < len(samples) && text == samples[i].Text {
					decoded++
				}
				i++
			})
			if b.N >= len(samples) {
				b.ReportMetric(float64(decoded), "decoded")
			}
		})
	}
}

func cardFrames(samples []camsim.Sample) []door.Frame {
	fs := make([]door.Frame, len(samples))
	for i, s := range samples {
		fs[i] = s.Frame
	}
	return fs
}

// TestWriteBenchFrames writes the synthetic sets as PGM (and expected
// texts) for zxing-cpp: SCANGATE_BENCH_FRAMES=DIR go test -run WriteBenchFrames.
func TestWriteBenchFrames(t *testing.T) {
	dir := os.Getenv("SCANGATE_BENCH_FRAMES")
	if dir == "" {
		t.Skip("SCANGATE_BENCH_FRAMES not set")
	}
	samples, empty := synthSet(t)
	for _, sub := range []string{"card", "empty"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path string, y []byte, w, h int) {
		hdr := fmt.Sprintf("P5\n%d %d\n255\n", w, h)
		if err := os.WriteFile(path, append([]byte(hdr), y[:w*h]...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range samples {
		base := filepath.Join(dir, "card", fmt.Sprintf("%03d", i))
		write(base+".pgm", s.Frame.Y, s.Frame.Width, s.Frame.Height)
		if err := os.WriteFile(base+".txt", []byte(s.Text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, f := range empty {
		write(filepath.Join(dir, "empty", fmt.Sprintf("%03d.pgm", i)), f.Y, f.Width, f.Height)
	}
	tune, check, hempty := heldSets(t)
	writeHeld(t, filepath.Join(dir, "held-tune"), tune, nil)
	writeHeld(t, filepath.Join(dir, "held-check"), check, nil)
	writeHeld(t, filepath.Join(dir, "held-more"), heldMore(t), nil)
	writeHeld(t, filepath.Join(dir, "held-empty"), nil, hempty)
}
