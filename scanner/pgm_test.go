package scanner

import (
	"bytes"
	"testing"
)

func TestParsePGM(t *testing.T) {
	cases := []struct {
		name string
		in   string
		w, h int
		pix  []byte
		ok   bool
	}{
		{"binary", "P5\n2 2\n255\n\x00\x10\x20\xff", 2, 2, []byte{0, 16, 32, 255}, true},
		{"comment", "P5 # made by hand\n2 1 # size\n255\n\x01\x02", 2, 1, []byte{1, 2}, true},
		{"plain", "P2\n2 1\n15\n0 15\n", 2, 1, []byte{0, 255}, true},
		{"16-bit", "P5\n1 1\n65535\n\xff\xff", 1, 1, []byte{255}, true},
		{"short raster", "P5\n2 2\n255\n\x00", 0, 0, nil, false},
		{"not pgm", "P6\n1 1\n255\n\x00\x00\x00", 0, 0, nil, false},
		{"zero size", "P5\n0 1\n255\n", 0, 0, nil, false},
		{"huge", "P5\n99999 99999\n255\n", 0, 0, nil, false},
		{"bad maxval", "P5\n1 1\n0\n\x00", 0, 0, nil, false},
		{"truncated header", "P5\n1", 0, 0, nil, false},
	}
	for _, c := range cases {
		pix, w, h, err := parsePGM([]byte(c.in))
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
			continue
		}
		if c.ok && (w != c.w || h != c.h || !bytes.Equal(pix, c.pix)) {
			t.Errorf("%s: got %dx%d %v, want %dx%d %v", c.name, w, h, pix, c.w, c.h, c.pix)
		}
	}
}

// FuzzParsePGM: PGM files come from technicians and tools; no input may
// crash the parser or yield a plane of the wrong size.
func FuzzParsePGM(f *testing.F) {
	f.Add([]byte("P5\n2 2\n255\n\x00\x10\x20\xff"))
	f.Add([]byte("P2\n2 1\n15\n0 15\n"))
	f.Add([]byte("P5 # c\n1 1\n65535\n\xff\xff"))
	f.Add([]byte("P5\n3 1\n255"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pix, w, h, err := parsePGM(data)
		if err != nil {
			return
		}
		if w <= 0 || h <= 0 || len(pix) != w*h {
			t.Fatalf("plane %d bytes for %dx%d", len(pix), w, h)
		}
	})
}

// FuzzFrameFromBytes: any file handed to scangate decode is loaded or
// refused, never a crash, and a loaded frame is consistent.
func FuzzFrameFromBytes(f *testing.F) {
	f.Add([]byte("P5\n2 2\n255\n\x00\x10\x20\xff"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("\xff\xd8\xff\xe0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := FrameFromBytes(data)
		if err != nil {
			return
		}
		if err := checkFrame(fr); err != nil {
			t.Fatal(err)
		}
		if _, err := NewDecoder().Decode(fr); err != nil && fr.Width >= 21 && fr.Height >= 21 && err.Error() == "" {
			t.Fatal("empty error")
		}
	})
}
