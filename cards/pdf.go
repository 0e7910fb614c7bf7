package cards

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"github.com/scangate/scangate/fonts"
)

// A4 sheet geometry in millimetres: 2 columns × 4 rows of cards with 8 mm
// gutters, centred, so a guillotine or a ruler and knife can cut every card
// with the marks alone.
const (
	sheetW, sheetH = 210.0, 297.0
	sheetCols      = 2
	sheetRows      = 4
	sheetGutter    = 8.0
	markOffset     = 1.5 // cut marks start this far from the card corner
	markLen        = 2.0
)

const mmPerPx = 25.4 / DPI

// PDF font family names.
const (
	pdfCJK   = "cjk"
	pdfLatin = "latin"
)

// WritePDF writes one card as a one-page PDF of exactly card size, for card
// printers and print shops that cut to size themselves.
func WritePDF(w io.Writer, c Card) error {
	doc := newPDF(fpdf.SizeType{Wd: WidthMM, Ht: HeightMM})
	doc.pdf.AddPage()
	if err := doc.card(0, 0, &c); err != nil {
		return err
	}
	return doc.output(w)
}

// WriteSheetPDF writes the cards on A4 sheets of PerSheet with cut marks,
// as many pages as needed, in order: left to right, top to bottom.
func WriteSheetPDF(w io.Writer, cs []Card) error {
	if len(cs) == 0 {
		return fmt.Errorf("cards: no cards for the sheet")
	}
	doc := newPDF(fpdf.SizeType{Wd: sheetW, Ht: sheetH})
	pages := (len(cs) + PerSheet - 1) / PerSheet
	for i := range cs {
		if i%PerSheet == 0 {
			doc.pdf.AddPage()
			doc.sheetFurniture(i/PerSheet+1, pages)
		}
		x, y := SheetSlot(i % PerSheet)
		if err := doc.card(x, y, &cs[i]); err != nil {
			return fmt.Errorf("card %d: %w", i+1, err)
		}
		doc.cutMarks(x, y)
	}
	return doc.output(w)
}

// SheetSlot returns the top-left corner, in millimetres from the top-left of
// the A4 page, of card slot i (0–7) on a sheet.
func SheetSlot(i int) (x, y float64) {
	gridW := sheetCols*WidthMM + (sheetCols-1)*sheetGutter
	gridH := sheetRows*HeightMM + (sheetRows-1)*sheetGutter
	col, row := i%sheetCols, i/sheetCols
	x = (sheetW-gridW)/2 + float64(col)*(WidthMM+sheetGutter)
	y = (sheetH-gridH)/2 + float64(row)*(HeightMM+sheetGutter)
	return x, y
}

type pdfDoc struct {
	pdf    *fpdf.Fpdf
	m      *measurer
	photos int
}

func newPDF(size fpdf.SizeType) *pdfDoc {
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", Size: size})
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCreator("scangate", false)
	pdf.SetTitle("scangate identity cards", false)
	// fpdf embeds only the glyphs used (a subset), so the 3.4 MB CJK font
	// costs a few kilobytes per name.
	pdf.AddUTF8FontFromBytes(pdfCJK, "", fonts.CJKBytes())
	pdf.AddUTF8FontFromBytes(pdfLatin, "", fonts.LatinBytes())
	pdf.AddUTF8FontFromBytes(pdfLatin, "B", fonts.BoldBytes())
	return &pdfDoc{pdf: pdf, m: newMeasurer()}
}

func (d *pdfDoc) output(w io.Writer) error {
	defer d.m.close()
	if err := d.pdf.Output(w); err != nil {
		return fmt.Errorf("cards: write PDF: %w", err)
	}
	return nil
}

func (d *pdfDoc) card(x, y float64, c *Card) error {
	cat, err := c.check()
	if err != nil {
		return err
	}
	var photo *image.RGBA
	if c.Photo != nil {
		if photo, err = preparePhoto(c.Photo, image.Rect(0, 0, photoW, photoH)); err != nil {
			return err
		}
	}
	// The raster twin of the card picks a QR mask that reads on the card.
	_, q, err := renderChecked(c, cat, photo, d.m)
	if err != nil {
		return err
	}
	if err := drawCard(&pdfCanvas{doc: d, ox: x, oy: y}, d.m, c, cat, q, photo); err != nil {
		return err
	}
	if d.pdf.Err() {
		return fmt.Errorf("cards: PDF: %w", d.pdf.Error())
	}
	return nil
}

var markGrey = color.RGBA{0x44, 0x44, 0x44, 0xff}

// cutMarks draws an L of two short lines outside each corner of the card at
// (x, y), in line with its edges, never on the card itself.
func (d *pdfDoc) cutMarks(x, y float64) {
	p := d.pdf
	p.SetDrawColor(int(markGrey.R), int(markGrey.G), int(markGrey.B))
	p.SetLineWidth(0.2)
	for _, cx := range []float64{x, x + WidthMM} {
		for _, cy := range []float64{y, y + HeightMM} {
			sx, sy := 1.0, 1.0
			if cx == x {
				sx = -1
			}
			if cy == y {
				sy = -1
			}
			p.Line(cx+sx*markOffset, cy, cx+sx*(markOffset+markLen), cy)
			p.Line(cx, cy+sy*markOffset, cx, cy+sy*(markOffset+markLen))
		}
	}
}

// sheetFurniture prints the page's instructions in the bottom margin.
func (d *pdfDoc) sheetFurniture(page, pages int) {
	cv := &pdfCanvas{doc: d}
	st := textStyle{size: 30, colour: labelGrey}
	_, lastY := SheetSlot(PerSheet - 1)
	y := (lastY + HeightMM + 9) / mmPerPx
	x0, _ := SheetSlot(0)
	cv.text(x0/mmPerPx, y, "请按实际大小 (100%) 打印，沿裁切线剪下 Print at actual size (100%), cut along the marks", st)
	num := fmt.Sprintf("%d / %d", page, pages)
	x1, _ := SheetSlot(1)
	cv.text((x1+WidthMM)/mmPerPx-d.m.width(num, st), y, num, st)
}

// pdfCanvas draws in 300 dpi pixels offset by a card origin in millimetres.
type pdfCanvas struct {
	doc    *pdfDoc
	ox, oy float64
}

func (c *pdfCanvas) mm(x, y float64) (float64, float64) { return c.ox + x*mmPerPx, c.oy + y*mmPerPx }

func (c *pdfCanvas) fill(r image.Rectangle, col color.RGBA) {
	p := c.doc.pdf
	p.SetFillColor(int(col.R), int(col.G), int(col.B))
	x, y := c.mm(float64(r.Min.X), float64(r.Min.Y))
	p.Rect(x, y, float64(r.Dx())*mmPerPx, float64(r.Dy())*mmPerPx, "F")
}

func (c *pdfCanvas) stroke(r image.Rectangle, col color.RGBA, w float64) {
	p := c.doc.pdf
	p.SetDrawColor(int(col.R), int(col.G), int(col.B))
	p.SetLineWidth(w * mmPerPx)
	// Inset by half the line so the stroke stays inside r, as in the PNG.
	x, y := c.mm(float64(r.Min.X)+w/2, float64(r.Min.Y)+w/2)
	p.Rect(x, y, (float64(r.Dx())-w)*mmPerPx, (float64(r.Dy())-w)*mmPerPx, "D")
}

func (c *pdfCanvas) text(x, y float64, s string, st textStyle) {
	p := c.doc.pdf
	pt := st.size * 72 / DPI
	p.SetTextColor(int(st.colour.R), int(st.colour.G), int(st.colour.B))
	for _, rn := range splitRuns(s) {
		w := c.doc.m.width(rn.text, textStyle{size: st.size, bold: st.bold})
		px, py := c.mm(x, y)
		switch {
		case rn.outline:
			c.outlines(px, py, rn.text, st)
		case rn.cjk && st.bold:
			// No bold CJK face: fill and stroke the outline to thicken it,
			// as wide as the PNG's overprint.
			p.SetFont(pdfCJK, "", pt)
			p.SetDrawColor(int(st.colour.R), int(st.colour.G), int(st.colour.B))
			p.SetLineWidth(emboldenPx(st.size) * mmPerPx)
			p.SetTextRenderingMode(2)
			p.Text(px+emboldenPx(st.size)*mmPerPx/2, py, rn.text)
			p.SetTextRenderingMode(0)
		case rn.cjk:
			p.SetFont(pdfCJK, "", pt)
			p.Text(px, py, rn.text)
		case st.bold:
			p.SetFont(pdfLatin, "B", pt)
			p.Text(px, py, rn.text)
		default:
			p.SetFont(pdfLatin, "", pt)
			p.Text(px, py, rn.text)
		}
		x += w
	}
}

// outlines draws characters of an extension font as filled glyph
// outlines, at the size and advance the measurer gives them: fpdf embeds
// only fonts whose characters are in the Basic Multilingual Plane, and
// Extension B is not. Bold strokes the outline too, as the CJK text does.
func (c *pdfCanvas) outlines(x, y float64, s string, st textStyle) {
	p := c.doc.pdf
	p.SetFillColor(int(st.colour.R), int(st.colour.G), int(st.colour.B))
	style := "F"
	if st.bold {
		p.SetDrawColor(int(st.colour.R), int(st.colour.G), int(st.colour.B))
		p.SetLineWidth(emboldenPx(st.size) * mmPerPx)
		style = "FD"
	}
	ppem := fixed.Int26_6(st.size * 64)
	var buf sfnt.Buffer
	at := func(pt fixed.Point26_6) (float64, float64) {
		return x + float64(pt.X)/64*mmPerPx, y + float64(pt.Y)/64*mmPerPx
	}
	for _, r := range s {
		f, ok := fonts.ExtFont(r)
		if !ok {
			continue // checked before drawing: Card.check
		}
		g, err := f.GlyphIndex(&buf, r)
		if err != nil {
			continue
		}
		segs, err := f.LoadGlyph(&buf, g, ppem, nil)
		if err == nil && len(segs) > 0 {
			open := false
			for _, sg := range segs {
				switch sg.Op {
				case sfnt.SegmentOpMoveTo:
					if open {
						p.ClosePath()
					}
					p.MoveTo(at(sg.Args[0]))
					open = true
				case sfnt.SegmentOpLineTo:
					p.LineTo(at(sg.Args[0]))
				case sfnt.SegmentOpQuadTo:
					cx, cy := at(sg.Args[0])
					ex, ey := at(sg.Args[1])
					p.CurveTo(cx, cy, ex, ey)
				case sfnt.SegmentOpCubeTo:
					c1x, c1y := at(sg.Args[0])
					c2x, c2y := at(sg.Args[1])
					ex, ey := at(sg.Args[2])
					p.CurveBezierCubicTo(c1x, c1y, c2x, c2y, ex, ey)
				}
			}
			if open {
				p.ClosePath()
			}
			p.DrawPath(style)
		}
		w := c.doc.m.width(string(r), textStyle{size: st.size, bold: st.bold})
		if st.bold {
			w -= emboldenPx(st.size) // counted once per run, not per character
		}
		x += w * mmPerPx
	}
}

func (c *pdfCanvas) photo(r image.Rectangle, img *image.RGBA) error {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 92}); err != nil {
		return fmt.Errorf("cards: encode photo: %w", err)
	}
	c.doc.photos++
	name := fmt.Sprintf("photo%d", c.doc.photos)
	opt := fpdf.ImageOptions{ImageType: "JPG"}
	c.doc.pdf.RegisterImageOptionsReader(name, opt, &buf)
	x, y := c.mm(float64(r.Min.X), float64(r.Min.Y))
	c.doc.pdf.ImageOptions(name, x, y, float64(r.Dx())*mmPerPx, float64(r.Dy())*mmPerPx, false, opt, 0, "")
	return nil
}

// qr fills every dark module as one path of row runs: one fill operation
// leaves no hairline seams between modules in anti-aliasing viewers.
func (c *pdfCanvas) qr(x, y int, q *QR) {
	c.fill(image.Rect(x, y, x+q.SidePx(), y+q.SidePx()), white)
	p := c.doc.pdf
	p.SetFillColor(0, 0, 0)
	mp := q.Module()
	ox, oy := x+QuietZone*mp, y+QuietZone*mp
	for my := 0; my < q.Size; my++ {
		for mx := 0; mx < q.Size; {
			if !q.Dark(mx, my) {
				mx++
				continue
			}
			end := mx
			for end < q.Size && q.Dark(end, my) {
				end++
			}
			x0, y0 := c.mm(float64(ox+mx*mp), float64(oy+my*mp))
			x1, y1 := c.mm(float64(ox+end*mp), float64(oy+(my+1)*mp))
			p.MoveTo(x0, y0)
			p.LineTo(x1, y0)
			p.LineTo(x1, y1)
			p.LineTo(x0, y1)
			p.ClosePath()
			mx = end
		}
	}
	p.DrawPath("F")
}
