package cards

import (
	"cmp"
	"fmt"
	"image"
	"image/color"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/image/font"

	"github.com/scangate/scangate/fonts"
)

// canvas is what a card is drawn on: the PNG raster or a PDF page. All
// coordinates are 300 dpi pixels from the card's top-left corner; text
// positions are the left end of the baseline.
type canvas interface {
	fill(r image.Rectangle, c color.RGBA)
	stroke(r image.Rectangle, c color.RGBA, widthPx float64)
	text(x, y float64, s string, st textStyle)
	photo(r image.Rectangle, img *image.RGBA) error
	qr(x, y int, q *QR) // top-left corner of the quiet zone
}

type textStyle struct {
	size   float64 // em size in 300 dpi pixels
	bold   bool
	colour color.RGBA
}

// run is a stretch of text drawn with one font: the CJK font has no Latin
// glyphs and the Latin font no CJK ones. An outline run is of characters
// only an extension font has (fonts.ExtFont): the PDF draws their outlines.
type run struct {
	text    string
	cjk     bool
	outline bool
}

// runKind is which font draws r: 0 Latin, 1 CJK, 2 an extension font.
func runKind(r rune) int {
	if !fonts.IsCJK(r) {
		return 0
	}
	if _, ok := fonts.ExtFont(r); ok {
		return 2
	}
	return 1
}

func splitRuns(s string) []run {
	var runs []run
	start, startKind := 0, 0
	for i, r := range s {
		k := runKind(r)
		// Spaces belong to the run they are in, so a run never starts with one.
		if r == ' ' && i > start {
			k = startKind
		}
		if i == 0 {
			startKind = k
			continue
		}
		if k != startKind {
			runs = append(runs, run{s[start:i], startKind > 0, startKind == 2})
			start, startKind = i, k
		}
	}
	if start < len(s) {
		runs = append(runs, run{s[start:], startKind > 0, startKind == 2})
	}
	return runs
}

// emboldenPx is how far CJK text is smeared sideways to look bold: the CJK
// font has no bold face.
func emboldenPx(size float64) float64 { return size / 28 }

// measurer measures text with the same fonts both renderers draw with.
type measurer struct {
	faces map[[2]float64]font.Face
}

func newMeasurer() *measurer { return &measurer{faces: map[[2]float64]font.Face{}} }

func (m *measurer) face(size float64, bold bool) (font.Face, error) {
	key := [2]float64{size, 0}
	if bold {
		key[1] = 1
	}
	if f, ok := m.faces[key]; ok {
		return f, nil
	}
	// 72 dpi makes the point size equal to the pixel size.
	f, err := fonts.NewFace(size, 72, bold)
	if err != nil {
		return nil, fmt.Errorf("cards: font: %w", err)
	}
	m.faces[key] = f
	return f, nil
}

func (m *measurer) width(s string, st textStyle) float64 {
	f, err := m.face(st.size, st.bold)
	if err != nil {
		return 0
	}
	w := float64(font.MeasureString(f, s)) / 64
	if st.bold && strings.ContainsFunc(s, fonts.IsCJK) {
		w += emboldenPx(st.size)
	}
	return w
}

func (m *measurer) close() {
	for _, f := range m.faces {
		f.Close()
	}
}

// Card geometry in 300 dpi pixels.
const (
	marginPx  = 40
	bandPx    = 132 // height of the category band
	photoW    = 192 // 16.3 mm × 20.8 mm, the 35:45 passport-photo aspect
	photoH    = 246
	photoTop  = bandPx + 34
	gutterPx  = 24
	qrRightPx = 10 // from the card edge to the quiet zone
)

var (
	white     = color.RGBA{0xff, 0xff, 0xff, 0xff}
	ink       = color.RGBA{0x1a, 0x1a, 0x1a, 0xff}
	labelGrey = color.RGBA{0x5f, 0x63, 0x68, 0xff}
	boxFill   = color.RGBA{0xee, 0xf0, 0xf2, 0xff}
	boxLine   = color.RGBA{0xb8, 0xbe, 0xc4, 0xff}
)

// drawCard lays out and draws one card; both renderers call it, so the PNG
// and the PDF are the same card.
func drawCard(cv canvas, m *measurer, c *Card, cat Category, q *QR, photo *image.RGBA) error {
	cv.fill(image.Rect(0, 0, WidthPx, HeightPx), white)

	// Category band: the colour alone tells staff at a glance what the card is.
	cv.fill(image.Rect(0, 0, WidthPx, bandPx), cat.Colour)
	catCN := textStyle{size: 76, bold: true, colour: white}
	catEN := textStyle{size: 46, bold: true, colour: white}
	baseBand := float64(bandPx)/2 + 27
	cv.text(marginPx, baseBand, cat.Chinese, catCN)
	cv.text(marginPx+m.width(cat.Chinese, catCN)+22, baseBand, cat.English, catEN)
	if band := cmp.Or(c.IssuerName, c.IssuerID); band != "" {
		left := marginPx + m.width(cat.Chinese, catCN) + 22 + m.width(cat.English, catEN) + 40
		st, s := fitLine(m, band, textStyle{size: 36, colour: white}, 24, WidthPx-marginPx-left)
		cv.text(WidthPx-marginPx-m.width(s, st), baseBand-6, s, st)
	}

	// QR on the right, centred in the body, white quiet zone included.
	side := q.SidePx()
	if side > HeightPx-bandPx {
		return fmt.Errorf("cards: QR text of %d characters needs version %d, too large for a card", len(c.QRText), q.Version)
	}
	qx, qy := qrOrigin(q)
	cv.qr(qx, qy, q)
	// Text stays out of the quiet zone: a scanner needs it blank.
	textRight := float64(qx)

	// Photo, or an empty box to paste one into.
	pr := image.Rect(marginPx, photoTop, marginPx+photoW, photoTop+photoH)
	if photo != nil {
		if err := cv.photo(pr, photo); err != nil {
			return err
		}
		cv.stroke(pr, boxLine, 2)
	} else {
		cv.fill(pr, boxFill)
		cv.stroke(pr, boxLine, 3)
		ph := textStyle{size: 34, colour: boxLine}
		cx := float64(pr.Min.X+pr.Max.X) / 2
		cv.text(cx-m.width("照片", ph)/2, float64(pr.Min.Y+pr.Max.Y)/2-6, "照片", ph)
		cv.text(cx-m.width("Photo", ph)/2, float64(pr.Min.Y+pr.Max.Y)/2+36, "Photo", ph)
	}

	// Name block beside the photo.
	tx := float64(pr.Max.X + gutterPx)
	tw := nameColumn(q)
	label := textStyle{size: 27, colour: labelGrey}
	y := float64(photoTop) + 22
	cv.text(tx, y, "姓名 Name", label)
	lines, nameSt := fitName(m, strings.Join(strings.Fields(c.Name), " "), tw)
	for i, l := range lines {
		if i == 0 {
			y += nameSt.size*0.92 + 10
		} else {
			y += nameSt.size * 1.12
		}
		cv.text(tx, y, l, nameSt)
	}

	// Expiry under the name, its baseline on the photo's lower edge; fitName
	// keeps two-line names above it.
	y = float64(pr.Max.Y) - 4
	cv.text(tx, y-56, "有效期至 Valid until", label)
	cv.text(tx, y, c.Expires.Format("2006-01-02"), textStyle{size: 50, bold: true, colour: ink})

	// Issuer and card number along the bottom, under the photo.
	y = float64(pr.Max.Y) + 56
	small := textStyle{size: 27, colour: labelGrey}
	// The band shows the issuer's name; its id here is what an
	// administrator looks up in the trust list.
	if issuer := c.IssuerID; issuer != "" {
		lbl := "签发 Issuer  "
		cv.text(marginPx, y, lbl, small)
		st, s := fitLine(m, issuer, textStyle{size: 30, colour: ink}, 22, textRight-marginPx-m.width(lbl, small))
		cv.text(marginPx+m.width(lbl, small), y, s, st)
		y += 48
	}
	if c.Number != "" {
		lbl := "卡号 No.  "
		cv.text(marginPx, y, lbl, small)
		cv.text(marginPx+m.width(lbl, small), y, c.Number, textStyle{size: 30, colour: ink})
	}
	return nil
}

// qrOrigin is the top-left corner of the QR's quiet zone on the card:
// against the right edge, centred in the body under the band.
func qrOrigin(q *QR) (x, y int) {
	side := q.SidePx()
	return WidthPx - qrRightPx - side, bandPx + (HeightPx-bandPx-side)/2
}

// nameColumn is the width of the name beside the photo.
func nameColumn(q *QR) float64 {
	qx, _ := qrOrigin(q)
	return float64(qx - (marginPx + photoW + gutterPx))
}

// fitLine shrinks st down to minSize until s fits width, then shortens s
// with an ellipsis.
func fitLine(m *measurer, s string, st textStyle, minSize, width float64) (textStyle, string) {
	for ; st.size > minSize && m.width(s, st) > width; st.size-- {
	}
	if m.width(s, st) <= width {
		return st, s
	}
	r := []rune(s)
	for len(r) > 1 && m.width(string(r)+"…", st) > width {
		r = r[:len(r)-1]
	}
	return st, string(r) + "…"
}

// Name sizes in 300 dpi pixels: 100 px is 8.5 mm, a size an elder reads at
// arm's length; 52 px is the least before a second line is used.
const (
	nameMax     = 100
	nameMinOne  = 52
	nameMaxWrap = 52 // two lines of 52 px end 20 px above the expiry label
	nameMinWrap = 34
)

// fitName picks the largest size at which the name fits the width on one
// line, or failing that on two lines broken between words (or after a
// middle dot, as in 阿卜杜·热合曼), or at last cut with an ellipsis.
func fitName(m *measurer, name string, width float64) ([]string, textStyle) {
	st := textStyle{size: nameMax, bold: true, colour: ink}
	for ; st.size >= nameMinOne; st.size -= 2 {
		if m.width(name, st) <= width {
			return []string{name}, st
		}
	}
	breaks := breakPoints(name)
	for st.size = nameMaxWrap; st.size >= nameMinWrap; st.size -= 2 {
		for _, b := range breaks {
			a, z := strings.TrimSpace(name[:b]), strings.TrimSpace(name[b:])
			if m.width(a, st) <= width && m.width(z, st) <= width {
				return []string{a, z}, st
			}
		}
	}
	st.size = nameMinWrap
	_, s := fitLine(m, name, st, nameMinWrap, width)
	return []string{s}, st
}

// breakPoints lists byte offsets where a name may wrap, the most balanced
// first. A name with neither spaces nor dots (a long CJK name) breaks
// between characters.
func breakPoints(name string) []int {
	var pts []int
	for i, r := range name {
		if r == ' ' || r == '-' {
			pts = append(pts, i+utf8.RuneLen(r))
		}
		if r == '·' {
			pts = append(pts, i+utf8.RuneLen(r))
		}
	}
	if len(pts) == 0 {
		for i := range name {
			if i > 0 {
				pts = append(pts, i)
			}
		}
	}
	mid := len(name) / 2
	slices.SortStableFunc(pts, func(a, b int) int { return cmp.Compare(abs(a-mid), abs(b-mid)) })
	return pts
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}
