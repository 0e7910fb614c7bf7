package cards

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// pdfFacts is what the tests read back from a PDF: fpdf writes every object
// dictionary uncompressed, so plain pattern matching is enough.
type pdfFacts struct {
	pages, count int      // /Type /Page objects and the page tree's /Count
	fontFiles    int      // embedded TrueType programs
	baseFonts    []string // distinct /BaseFont names
	mediaBox     [2]float64
}

var (
	rePage     = regexp.MustCompile(`/Type /Page\b[^s]`)
	reCount    = regexp.MustCompile(`/Type /Pages[^>]*?/Count (\d+)|/Count (\d+)`)
	reBaseFont = regexp.MustCompile(`/BaseFont /([A-Za-z0-9+]+)`)
	reMediaBox = regexp.MustCompile(`/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]`)
)

func readPDF(t *testing.T, data []byte) pdfFacts {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("%PDF-")) || !bytes.Contains(data[len(data)-32:], []byte("%%EOF")) {
		t.Fatal("not a complete PDF file")
	}
	var f pdfFacts
	f.pages = len(rePage.FindAll(data, -1))
	if m := reCount.FindSubmatch(data); m != nil {
		f.count, _ = strconv.Atoi(string(append(m[1], m[2]...)))
	}
	f.fontFiles = bytes.Count(data, []byte("/FontFile2 "))
	seen := map[string]bool{}
	for _, m := range reBaseFont.FindAllSubmatch(data, -1) {
		if !seen[string(m[1])] {
			seen[string(m[1])] = true
			f.baseFonts = append(f.baseFonts, string(m[1]))
		}
	}
	if m := reMediaBox.FindSubmatch(data); m != nil {
		f.mediaBox[0], _ = strconv.ParseFloat(string(m[1]), 64)
		f.mediaBox[1], _ = strconv.ParseFloat(string(m[2]), 64)
	}
	return f
}

func TestSheetPDFPagesAndFonts(t *testing.T) {
	for _, n := range []int{1, 9} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			base := testCard(t, "欧阳娜娜", "elder")
			cs := make([]Card, n)
			for i := range cs {
				cs[i] = base
				cs[i].Category = Categories[i%len(Categories)].Key
			}
			cs[0].Name = "Anna Li" // Latin on the first card too
			var buf bytes.Buffer
			if err := WriteSheetPDF(&buf, cs); err != nil {
				t.Fatal(err)
			}
			f := readPDF(t, buf.Bytes())
			want := (n + PerSheet - 1) / PerSheet
			if f.pages != want || f.count != want {
				t.Errorf("%d cards: %d page objects, /Count %d; want %d", n, f.pages, f.count, want)
			}
			if f.fontFiles != 3 || len(f.baseFonts) != 3 {
				t.Errorf("embedded font programs %d, fonts %v; want the CJK, Latin and bold Latin fonts", f.fontFiles, f.baseFonts)
			}
			if math.Abs(f.mediaBox[0]-595.28) > 0.1 || math.Abs(f.mediaBox[1]-841.89) > 0.1 {
				t.Errorf("page is %v pt, want A4", f.mediaBox)
			}
		})
	}
	if err := WriteSheetPDF(&bytes.Buffer{}, nil); err == nil {
		t.Error("an empty sheet was written")
	}
}

func TestSheetSlotsFitA4WithRoomForMarks(t *testing.T) {
	for i := 0; i < PerSheet; i++ {
		x, y := SheetSlot(i)
		if x < 10 || y < 10 || x+WidthMM > sheetW-10 || y+HeightMM > sheetH-10 {
			t.Errorf("slot %d at (%.1f, %.1f) mm leaves under 10 mm of margin for printers and marks", i, x, y)
		}
		for j := 0; j < i; j++ {
			xj, yj := SheetSlot(j)
			if math.Abs(x-xj) < WidthMM+2*(markOffset+markLen) && math.Abs(y-yj) < HeightMM+2*(markOffset+markLen) {
				t.Errorf("slots %d and %d too close for their cut marks", i, j)
			}
		}
	}
}

func TestCardPDFIsCardSized(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePDF(&buf, testCard(t, "王秀英", "elder")); err != nil {
		t.Fatal(err)
	}
	f := readPDF(t, buf.Bytes())
	if f.pages != 1 {
		t.Errorf("%d pages, want 1", f.pages)
	}
	wantW, wantH := WidthMM/25.4*72, HeightMM/25.4*72
	if math.Abs(f.mediaBox[0]-wantW) > 0.1 || math.Abs(f.mediaBox[1]-wantH) > 0.1 {
		t.Errorf("page is %v pt, want %.2f × %.2f (85.6 × 54 mm)", f.mediaBox, wantW, wantH)
	}
}

// rasterise renders page 1 of a PDF at 300 dpi with poppler's pdftoppm, a
// renderer independent of ours, as a print driver would.
func rasterise(t *testing.T, pdf []byte) image.Image {
	t.Helper()
	bin, err := exec.LookPath("pdftoppm")
	if err != nil {
		t.Skip("pdftoppm not installed (Debian: apt-get install poppler-utils); skipping the PDF rasterisation check")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "page")
	if b, err := exec.Command(bin, "-r", "300", "-f", "1", "-l", "1", "-singlefile", "-png", in, out).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, b)
	}
	f, err := os.Open(out + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestSheetPDFRasterisedDecodes(t *testing.T) {
	cs := []Card{testCard(t, "王秀英", "elder"), testCard(t, "欧阳娜娜", "companion"), testCard(t, "李明", "child")}
	var buf bytes.Buffer
	if err := WriteSheetPDF(&buf, cs); err != nil {
		t.Fatal(err)
	}
	page := rasterise(t, buf.Bytes())
	if b := page.Bounds(); abs(b.Dx()-2480) > 1 || abs(b.Dy()-3508) > 1 {
		t.Fatalf("A4 at 300 dpi rasterised to %v", b)
	}
	for i, c := range cs {
		x, y := SheetSlot(i)
		px := func(mm float64) int { return int(math.Round(mm / mmPerPx)) }
		slot := image.Rect(px(x), px(y), px(x+WidthMM), px(y+HeightMM))
		got, err := decodeQR(t, page.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(slot))
		if err != nil || got != c.QRText {
			t.Errorf("slot %d: decoded %q, %v; want the card's text", i, got, err)
		}
	}
}

func TestCardPDFRasterisedMatchesPNG(t *testing.T) {
	c := testCard(t, "王秀英", "elder")
	var buf bytes.Buffer
	if err := WritePDF(&buf, c); err != nil {
		t.Fatal(err)
	}
	page := rasterise(t, buf.Bytes())
	if b := page.Bounds(); abs(b.Dx()-WidthPx) > 1 || abs(b.Dy()-HeightPx) > 1 {
		t.Fatalf("card PDF rasterised to %v, want %d×%d", b, WidthPx, HeightPx)
	}
	got, err := decodeQR(t, page)
	if err != nil || got != c.QRText {
		t.Fatalf("decoded %q, %v; want the card's text", got, err)
	}
	// The PDF's QR lands on the same 300 dpi grid as the PNG's: compare the
	// module centres.
	ref, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := EncodeQR(c.QRText)
	qx, qy := qrOrigin(q)
	diff := 0
	for my := 0; my < q.Size; my++ {
		for mx := 0; mx < q.Size; mx++ {
			x := qx + (QuietZone+mx)*ModulePx + ModulePx/2
			y := qy + (QuietZone+my)*ModulePx + ModulePx/2
			a, _, _, _ := page.At(x, y).RGBA()
			b, _, _, _ := ref.At(x, y).RGBA()
			if (a < 0x8000) != (b < 0x8000) {
				diff++
			}
		}
	}
	if diff != 0 {
		t.Errorf("%d of %d module centres differ between the PDF and the PNG", diff, q.Size*q.Size)
	}
}
