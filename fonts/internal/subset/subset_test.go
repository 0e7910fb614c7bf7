package subset

import (
	"slices"
	"testing"

	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

func outline(t *testing.T, f *sfnt.Font, r rune) (sfnt.GlyphIndex, sfnt.Segments) {
	t.Helper()
	var buf sfnt.Buffer
	g, err := f.GlyphIndex(&buf, r)
	if err != nil {
		t.Fatal(err)
	}
	if g == 0 {
		return 0, nil
	}
	segs, err := f.LoadGlyph(&buf, g, fixed.I(100), nil)
	if err != nil {
		t.Fatalf("LoadGlyph(%q): %v", r, err)
	}
	return g, slices.Clone(segs)
}

// A subset keeps exactly the characters asked for, each with its original
// glyph id and outline; composite glyphs keep their components.
func TestSubsetKeepsWhatWasAsked(t *testing.T) {
	src, err := Parse(goregular.TTF)
	if err != nil {
		t.Fatal(err)
	}
	keep := "AZÁé" // Á and é are composites in the Go font
	out, n, err := src.Subset(func(r rune) bool { return slices.Contains([]rune(keep), r) })
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("kept %d characters, want 4", n)
	}
	if len(out) >= len(goregular.TTF)/2 {
		t.Errorf("subset is %d bytes of the original %d", len(out), len(goregular.TTF))
	}
	orig, _ := sfnt.Parse(goregular.TTF)
	sub, err := sfnt.Parse(out)
	if err != nil {
		t.Fatalf("the subset does not parse: %v", err)
	}
	for _, r := range keep {
		g0, s0 := outline(t, orig, r)
		g1, s1 := outline(t, sub, r)
		if g0 != g1 || len(s1) == 0 || !slices.Equal(s0, s1) {
			t.Errorf("%q: glyph %d (%d segments) in the subset, %d (%d) in the original", r, g1, len(s1), g0, len(s0))
		}
	}
	for _, r := range "aB0 " {
		if g, _ := outline(t, sub, r); g != 0 {
			t.Errorf("%q left in the subset as glyph %d", r, g)
		}
	}
	if sub.NumGlyphs() != orig.NumGlyphs() {
		t.Errorf("glyph count %d, want the original's %d (ids are kept)", sub.NumGlyphs(), orig.NumGlyphs())
	}
	// The character map read back is what was kept.
	again, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := again.Map()
	if err != nil || len(m) != 4 {
		t.Fatalf("Map of the subset = %v, %v", m, err)
	}
}

func TestParseRefusesWhatIsNotTrueType(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("OTTO\x00\x00\x00\x00\x00\x00\x00\x00"), goregular.TTF[:40]} {
		if _, err := Parse(b); err == nil {
			t.Errorf("Parse(%d bytes) accepted", len(b))
		}
	}
}

// FuzzSubset: damaged font files give an error, never a panic, and what
// Subset returns parses.
func FuzzSubset(f *testing.F) {
	f.Add(goregular.TTF)
	f.Add(goregular.TTF[:2000])
	f.Fuzz(func(t *testing.T, b []byte) {
		src, err := Parse(b)
		if err != nil {
			return
		}
		out, _, err := src.Subset(func(r rune) bool { return r < 0x80 })
		if err != nil {
			return
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("the subset does not parse: %v", err)
		}
	})
}
