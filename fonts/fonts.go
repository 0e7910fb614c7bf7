// Package fonts embeds the fonts scangate renders with, so printed cards and
// the kiosk screen show Chinese names the same everywhere, with no
// dependence on what the host or the device image has installed.
//
// DroidSansFallback (Apache-2.0, see DroidSansFallback.COPYRIGHT) covers CJK
// but has no Latin letters or digits at all; those come from the Go fonts
// (BSD, shipped in golang.org/x/image). NewFace merges the two per rune.
// DroidSansFallback is a plain TrueType file: github.com/go-pdf/fpdf and
// golang.org/x/image/font/opentype both load it, where the TTC collections of
// wqy-microhei and Noto CJK fail in fpdf. It costs 3.4 MB of binary size.
package fonts

import (
	_ "embed"
	"fmt"
	"image"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

//go:embed DroidSansFallback.ttf
var cjkTTF []byte

// Family names under which the fonts are registered in PDFs.
const (
	CJKName   = "DroidSansFallback"
	LatinName = "GoRegular"
	BoldName  = "GoBold"
)

// CJKBytes returns the raw TrueType bytes of the CJK font (no Latin glyphs).
// Callers must not modify them.
func CJKBytes() []byte { return cjkTTF }

// LatinBytes returns the raw TrueType bytes of the Latin font.
func LatinBytes() []byte { return goregular.TTF }

// BoldBytes returns the raw TrueType bytes of the bold Latin font.
func BoldBytes() []byte { return gobold.TTF }

type parsedFonts struct {
	cjk, latin, bold *opentype.Font
}

var (
	parseOnce sync.Once
	parsed    parsedFonts
	parseErr  error
)

func load() (parsedFonts, error) {
	parseOnce.Do(func() {
		var err error
		if parsed.cjk, err = opentype.Parse(cjkTTF); err != nil {
			parseErr = fmt.Errorf("fonts: parse %s: %w", CJKName, err)
			return
		}
		if parsed.latin, err = opentype.Parse(goregular.TTF); err != nil {
			parseErr = fmt.Errorf("fonts: parse %s: %w", LatinName, err)
			return
		}
		if parsed.bold, err = opentype.Parse(gobold.TTF); err != nil {
			parseErr = fmt.Errorf("fonts: parse %s: %w", BoldName, err)
		}
	})
	return parsed, parseErr
}

// IsCJK reports whether r should be drawn with the CJK font: the Latin font
// has no glyph for it. Used to split text into runs for PDF output.
func IsCJK(r rune) bool {
	f, err := load()
	if err != nil {
		return r > 0x2e7f
	}
	var buf sfnt.Buffer
	idx, err := f.latin.GlyphIndex(&buf, r)
	return err != nil || idx == 0
}

// NewFace returns a face of the given size (points at dpi) that draws Latin
// runes with the Go font (bold when asked) and everything else with the CJK
// font. The face is not safe for concurrent use, like every font.Face.
func NewFace(size, dpi float64, bold bool) (font.Face, error) {
	f, err := load()
	if err != nil {
		return nil, err
	}
	opts := &opentype.FaceOptions{Size: size, DPI: dpi, Hinting: font.HintingFull}
	latinFont := f.latin
	if bold {
		latinFont = f.bold
	}
	latin, err := opentype.NewFace(latinFont, opts)
	if err != nil {
		return nil, fmt.Errorf("fonts: latin face: %w", err)
	}
	cjk, err := opentype.NewFace(f.cjk, opts)
	if err != nil {
		return nil, fmt.Errorf("fonts: cjk face: %w", err)
	}
	return &mergedFace{latin: latin, cjk: cjk, latinFont: latinFont}, nil
}

// mergedFace picks the Latin face where it has the glyph, else the CJK face.
type mergedFace struct {
	latin, cjk font.Face
	latinFont  *opentype.Font
	buf        sfnt.Buffer
}

func (m *mergedFace) pick(r rune) font.Face {
	if idx, err := m.latinFont.GlyphIndex(&m.buf, r); err == nil && idx != 0 {
		return m.latin
	}
	return m.cjk
}

func (m *mergedFace) Close() error {
	m.latin.Close()
	return m.cjk.Close()
}

func (m *mergedFace) Glyph(dot fixed.Point26_6, r rune) (image.Rectangle, image.Image, image.Point, fixed.Int26_6, bool) {
	return m.pick(r).Glyph(dot, r)
}

func (m *mergedFace) GlyphBounds(r rune) (fixed.Rectangle26_6, fixed.Int26_6, bool) {
	return m.pick(r).GlyphBounds(r)
}

func (m *mergedFace) GlyphAdvance(r rune) (fixed.Int26_6, bool) {
	return m.pick(r).GlyphAdvance(r)
}

func (m *mergedFace) Kern(r0, r1 rune) fixed.Int26_6 {
	if f := m.pick(r0); f == m.pick(r1) {
		return f.Kern(r0, r1)
	}
	return 0
}

// Metrics are the larger of the two faces, so mixed lines never clip.
func (m *mergedFace) Metrics() font.Metrics {
	a, b := m.latin.Metrics(), m.cjk.Metrics()
	if b.Height > a.Height {
		a.Height = b.Height
	}
	if b.Ascent > a.Ascent {
		a.Ascent = b.Ascent
	}
	if b.Descent > a.Descent {
		a.Descent = b.Descent
	}
	return a
}

var _ font.Face = (*mergedFace)(nil)
