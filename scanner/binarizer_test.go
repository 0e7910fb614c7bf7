package scanner

import (
	"image"
	"testing"

	"github.com/scangate/scangate/door"

	"github.com/makiuchi-d/gozxing"

	"github.com/scangate/scangate/camsim"
)

// TestBinarizerMatchesGozxing: ours must give gozxing's HybridBinarizer's
// matrix bit for bit, on packed and on strided frames, frame after frame.
func TestBinarizerMatchesGozxing(t *testing.T) {
	samples, err := camsim.CardSet(11, 3)
	if err != nil {
		t.Fatal(err)
	}
	var b hybridBinarizer
	// The last frame's width and height are not whole blocks or words.
	odd := door.Frame{Y: samples[2].Frame.Y, Width: 637, Height: 453, Stride: samples[2].Frame.Stride}
	for i, f := range []door.Frame{samples[0].Frame, camsim.Empty(5, 3), samples[1].Frame, odd} {
		for _, stride := range []int{f.Width, f.Width + 64} {
			sf := door.Frame{Y: make([]byte, stride*f.Height), Width: f.Width, Height: f.Height, Stride: stride}
			for y := 0; y < f.Height; y++ {
				copy(sf.Y[y*stride:], f.Y[y*f.Stride:y*f.Stride+f.Width])
				for x := f.Width; x < stride; x++ {
					sf.Y[y*stride+x] = byte(x * 7) // padding must be ignored
				}
			}
			packed := door.Frame{Y: f.Y, Width: f.Width, Height: f.Height, Stride: f.Stride}
			want, err := gozxing.NewHybridBinarizer(&frameLuminance{f: packed}).GetBlackMatrix()
			if err != nil {
				t.Fatal(err)
			}
			got := b.binarize(sf)
			diff := 0
			for y := 0; y < f.Height; y++ {
				for x := 0; x < f.Width; x++ {
					if got.Get(x, y) != want.Get(x, y) {
						diff++
					}
				}
			}
			if diff != 0 {
				t.Errorf("frame %d stride %d: %d pixels differ from gozxing", i, stride, diff)
			}
		}
	}
	allocs := testing.AllocsPerRun(5, func() { b.binarize(samples[2].Frame) })
	if allocs != 0 {
		t.Errorf("binarize allocates %.0f times per frame, want 0", allocs)
	}
}

// TestGlobalBinarizerMatchesGozxing: ours gives gozxing's
// GlobalHistogramBinarizer's matrix bit for bit, and refuses the frames it
// refuses.
func TestGlobalBinarizerMatchesGozxing(t *testing.T) {
	samples, err := camsim.CardSet(12, 2)
	if err != nil {
		t.Fatal(err)
	}
	f := samples[0].Frame
	flat := door.Frame{Y: make([]byte, 64*48), Width: 64, Height: 48, Stride: 64}
	for i := range flat.Y {
		flat.Y[i] = byte(128 + 8*(i%2)) // two neighbouring buckets: no contrast
	}
	var g globalBinarizer
	for i, fr := range []door.Frame{
		f, samples[1].Frame, crop(f, image.Rect(101, 37, 433, 400)), crop(f, image.Rect(3, 5, 30, 9)), flat,
	} {
		want, werr := gozxing.NewGlobalHistgramBinarizer(&frameLuminance{f: fr}).GetBlackMatrix()
		got, gerr := g.binarize(fr)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("frame %d: error %v, gozxing %v", i, gerr, werr)
		}
		if werr != nil {
			continue
		}
		diff := 0
		for y := 0; y < fr.Height; y++ {
			for x := 0; x < fr.Width; x++ {
				if got.Get(x, y) != want.Get(x, y) {
					diff++
				}
			}
		}
		if diff != 0 {
			t.Errorf("frame %d (%d×%d): %d pixels differ from gozxing", i, fr.Width, fr.Height, diff)
		}
	}
	if _, err := g.binarize(flat); err == nil {
		t.Error("a frame without contrast gave a black point")
	}
}

// TestDecodeInverted: a white-on-black card decodes.
func TestDecodeInverted(t *testing.T) {
	qr, err := camsim.QR("SG1:INVERTED 42", 1)
	if err != nil {
		t.Fatal(err)
	}
	f := camsim.Render(qr, camsim.Params{Scale: 0.45, TiltX: 8, Noise: 2, Invert: true, Seed: 4, AimU: 0.5, AimV: 0.5})
	text, err := NewDecoder().Decode(f)
	if err != nil || text != "SG1:INVERTED 42" {
		t.Fatalf("inverted card: %q, %v", text, err)
	}
	d := NewDecoder()
	d.Opts.Invert = false
	if _, err := d.Decode(f); err == nil {
		t.Error("inverted card decoded without the invert retry: the test frame proves nothing")
	}
}

// TestDecodeStrided: a frame with row padding decodes like a packed one.
func TestDecodeStrided(t *testing.T) {
	samples, err := camsim.CardSet(12, 6)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecoder()
	decoded := 0
	for _, s := range samples {
		want, werr := d.Decode(s.Frame)
		f := s.Frame
		stride := f.Width + 32
		sf := door.Frame{Y: make([]byte, stride*f.Height), Width: f.Width, Height: f.Height, Stride: stride}
		for y := 0; y < f.Height; y++ {
			copy(sf.Y[y*stride:], f.Y[y*f.Stride:y*f.Stride+f.Width])
		}
		got, gerr := d.Decode(sf)
		if got != want || (werr == nil) != (gerr == nil) {
			t.Fatalf("strided %q %v, packed %q %v", got, gerr, want, werr)
		}
		if werr == nil {
			decoded++
		}
	}
	if decoded == 0 {
		t.Error("no sample decoded: the comparison proves nothing")
	}
}
