package camsim

import (
	"bytes"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"testing"
)

func TestCardSetDeterministic(t *testing.T) {
	a, err := CardSet(7, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := CardSet(7, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i].Text != b[i].Text || !bytes.Equal(a[i].Frame.Y, b[i].Frame.Y) {
			t.Fatalf("sample %d differs between two runs with the same seed", i)
		}
		if n := len(a[i].Text); n < 180 || n > 220 {
			t.Errorf("sample %d text length %d, want 180..220", i, n)
		}
		f := a[i].Frame
		if f.Width != Width || f.Height != Height || f.Stride != Width || len(f.Y) != Width*Height {
			t.Errorf("sample %d frame %dx%d stride %d len %d", i, f.Width, f.Height, f.Stride, len(f.Y))
		}
	}
	c, _ := CardSet(8, 1)
	if bytes.Equal(a[0].Frame.Y, c[0].Frame.Y) {
		t.Error("different seeds gave the same frame")
	}
}

func TestRenderInvert(t *testing.T) {
	qr, err := QR("SG1:TEST", 4)
	if err != nil {
		t.Fatal(err)
	}
	p := Params{Scale: 0.5, Seed: 1}
	plain := Render(qr, p)
	p.Invert = true
	inv := Render(qr, p)
	// The frame centre is on the code: a light pixel must turn dark.
	c := Height/2*Width + Width/2
	if int(plain.Y[c])+int(inv.Y[c]) < 200 || int(plain.Y[c])+int(inv.Y[c]) > 310 {
		t.Errorf("centre pixel %d plain, %d inverted: not complementary", plain.Y[c], inv.Y[c])
	}
}

func TestEmptySetHasStillRuns(t *testing.T) {
	fs := EmptySet(3, 12)
	if len(fs) != 12 {
		t.Fatalf("got %d frames", len(fs))
	}
	diff := func(a, b []byte) int {
		s := 0
		for i := range a {
			d := int(a[i]) - int(b[i])
			s += max(d, -d)
		}
		return s / len(a)
	}
	if d := diff(fs[0].Y, fs[1].Y); d > 8 {
		t.Errorf("frames of one still scene differ by %d on average", d)
	}
	if d := diff(fs[9].Y, fs[10].Y); d < 5 {
		t.Errorf("a new scene differs by only %d on average", d)
	}
}

// TestWriteSamples writes a few frames as PNG for a person to look at:
// go test -run WriteSamples -samples DIR
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("CAMSIM_SAMPLES")
	if dir == "" {
		t.Skip("set CAMSIM_SAMPLES=DIR to write sample frames")
	}
	set, err := CardSet(1, 6)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	_ = rng
	for i, s := range set {
		img := &image.Gray{Pix: s.Frame.Y, Stride: s.Frame.Stride, Rect: image.Rect(0, 0, s.Frame.Width, s.Frame.Height)}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir+"/"+string(rune('a'+i))+".png", b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
