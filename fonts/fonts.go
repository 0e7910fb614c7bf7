// Package fonts embeds the fonts scangate renders with, so printed cards and
// the kiosk screen show Chinese names the same everywhere, with no
// dependence on what the host or the device image has installed.
//
// DroidSansFallback (Apache-2.0, see DroidSansFallback.COPYRIGHT) covers CJK
// but has no Latin letters or digits at all; those come from the Go fonts
// (BSD, shipped in golang.org/x/image). DroidSansFallback is a plain
// TrueType file: github.com/go-pdf/fpdf and golang.org/x/image/font/opentype
// both load it, where the TTC collections of wqy-microhei and Noto CJK fail
// in fpdf. It costs 3.4 MB of binary size.
//
// Rare characters common in Chinese names (CJK Extension A: 䶮; Extension
// B: 𠀀) are in none of those. They come from the extension fonts in ext/:
// Hanazono Mincho (HanaMinA, HanaMinB; Hanazono Font License, see
// HanaMin.COPYRIGHT), cut at build time to the characters DroidSansFallback
// lacks (scripts/fonts.sh fetches Debian's fonts-hanazono, pinned by
// SHA-256; fonts/internal/mkext subsets it), because whole they weigh 53 MB
// and would not belong in the repository. A build without them (go build in
// a clone where make never ran) still works, and Missing names every
// extension character as missing, so no card is printed with an empty box.
//
// NewFace merges them per rune: Latin from the Go fonts, then
// DroidSansFallback, then the extension fonts in file-name order.
package fonts

import (
	"embed"
	"fmt"
	"image"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
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

// extFS holds the extension fonts the build generated (ext/*.ttf) beside
// ext/README.md, which is all a clone has until `make fonts` runs.
//
//go:embed ext
var extFS embed.FS

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
	ext              []*opentype.Font // in file-name order
	extNames         []string
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
			return
		}
		names, _ := fs.Glob(extFS, "ext/*.ttf") // sorted
		for _, n := range names {
			// Read in place through ReaderAt: ReadFile would copy 26 MB to
			// the heap (and touch every page of the binary's copy), where
			// reading in place keeps in memory only the glyphs drawn.
			file, err := extFS.Open(n)
			if err != nil {
				parseErr = fmt.Errorf("fonts: open %s: %w", n, err)
				return
			}
			ra, ok := file.(io.ReaderAt)
			if !ok {
				parseErr = fmt.Errorf("fonts: %s cannot be read in place", n)
				return
			}
			f, err := opentype.ParseReaderAt(ra)
			if err != nil {
				parseErr = fmt.Errorf("fonts: parse %s: %w", n, err)
				return
			}
			parsed.ext = append(parsed.ext, f)
			parsed.extNames = append(parsed.extNames, strings.TrimSuffix(path.Base(n), ".ttf"))
		}
	})
	return parsed, parseErr
}

// Extensions names the extension fonts this build embeds (none when the
// build ran without `make fonts`).
func Extensions() []string {
	f, err := load()
	if err != nil {
		return nil
	}
	return f.extNames
}

func has(f *opentype.Font, buf *sfnt.Buffer, r rune) bool {
	idx, err := f.GlyphIndex(buf, r)
	return err == nil && idx != 0
}

// ExtFont returns the extension font that draws r, when neither the Latin
// nor the CJK font has it. The PDF renderer draws such glyphs as outlines:
// fpdf embeds only fonts whose characters sit in the Basic Multilingual
// Plane, and Extension B does not.
func ExtFont(r rune) (*sfnt.Font, bool) {
	f, err := load()
	if err != nil {
		return nil, false
	}
	var buf sfnt.Buffer
	if has(f.latin, &buf, r) || has(f.cjk, &buf, r) {
		return nil, false
	}
	for _, e := range f.ext {
		if has(e, &buf, r) {
			return e, true
		}
	}
	return nil, false
}

// Covers reports whether some embedded font has a glyph for r. Space
// characters count as covered where a font maps them.
func Covers(r rune) bool {
	f, err := load()
	if err != nil {
		return false
	}
	var buf sfnt.Buffer
	if has(f.latin, &buf, r) || has(f.cjk, &buf, r) {
		return true
	}
	for _, e := range f.ext {
		if has(e, &buf, r) {
			return true
		}
	}
	return false
}

// Missing returns the characters of s no embedded font can draw, each
// once, in order of appearance.
func Missing(s string) []rune {
	var out []rune
	for _, r := range s {
		if !Covers(r) && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// MissingGlyphsError is text with characters no embedded font draws: it
// would print or show as empty boxes.
type MissingGlyphsError struct {
	Text  string
	Runes []rune
}

func (e *MissingGlyphsError) Error() string {
	parts := make([]string, len(e.Runes))
	for i, r := range e.Runes {
		parts[i] = fmt.Sprintf("%q (%U)", r, r)
	}
	msg := fmt.Sprintf("fonts: %q: no font has %s; it would print as an empty box", e.Text, strings.Join(parts, ", "))
	if len(Extensions()) == 0 {
		msg += " (this build has no extension fonts for rare characters: run `make fonts`)"
	}
	return msg
}

// CheckText returns a *MissingGlyphsError when some character of s cannot
// be drawn, nil when every one can.
func CheckText(s string) error {
	if m := Missing(s); len(m) > 0 {
		return &MissingGlyphsError{Text: s, Runes: m}
	}
	return nil
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
	m := &mergedFace{latin: latin, cjk: cjk, latinFont: latinFont, cjkFont: f.cjk, extFonts: f.ext}
	for i, e := range f.ext {
		face, err := opentype.NewFace(e, opts)
		if err != nil {
			return nil, fmt.Errorf("fonts: %s face: %w", f.extNames[i], err)
		}
		m.ext = append(m.ext, face)
	}
	return m, nil
}

// mergedFace picks the Latin face where it has the glyph, else the CJK
// face, else the first extension face that has it; a rune none has gets
// the CJK face's empty box.
type mergedFace struct {
	latin, cjk font.Face
	ext        []font.Face
	latinFont  *opentype.Font
	cjkFont    *opentype.Font
	extFonts   []*opentype.Font
	buf        sfnt.Buffer
}

func (m *mergedFace) pick(r rune) font.Face {
	if has(m.latinFont, &m.buf, r) {
		return m.latin
	}
	if len(m.ext) == 0 || has(m.cjkFont, &m.buf, r) {
		return m.cjk
	}
	for i, e := range m.extFonts {
		if has(e, &m.buf, r) {
			return m.ext[i]
		}
	}
	return m.cjk
}

func (m *mergedFace) Close() error {
	m.latin.Close()
	for _, e := range m.ext {
		e.Close()
	}
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

// Metrics are the larger of the Latin and CJK faces, so mixed lines never
// clip. The extension faces are left out: Hanazono's line metrics are
// taller than its glyphs, and counting them would move every line of text
// on the cards and the screen for the sake of rare characters.
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
