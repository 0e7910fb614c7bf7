package cards

import (
	"bytes"
	"crypto/ed25519"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"

	"github.com/scangate/scangate/idcode"
)

// signedText returns a real identity code, so QR sizes are the real ones.
func signedText(t testing.TB, name, category string) string {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := idcode.NewCardID()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	text, err := idcode.Sign(idcode.Claims{
		Issuer: "org.sunshine.centre", Subject: "3f9a12c0d4e5f6a7", IssuedAt: now,
		Expires: now.AddDate(2, 0, 0), CardID: id, Name: idcode.MaskName(name), Category: category,
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func testCard(t testing.TB, name, category string) Card {
	return Card{
		Name: name, Category: category, IssuerName: "阳光社区服务中心", IssuerID: "org.sunshine.centre",
		Expires: time.Date(2027, 12, 31, 0, 0, 0, 0, time.Local), Number: "3F9A-12C0",
		QRText: signedText(t, name, category),
	}
}

// decodeQR reads one QR code from img with gozxing, as the kiosk does.
func decodeQR(t testing.TB, img image.Image) (string, error) {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(gozxing.NewLuminanceSourceFromImage(img)))
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func TestEncodeQRAlphanumericLevelQ(t *testing.T) {
	text := signedText(t, "欧阳娜娜", "elder")
	q, err := EncodeQR(text)
	if err != nil {
		t.Fatal(err)
	}
	if q.Mode != "ALPHANUMERIC" {
		t.Errorf("mode %s, want ALPHANUMERIC", q.Mode)
	}
	if q.Size != 17+4*q.Version {
		t.Errorf("size %d does not match version %d", q.Size, q.Version)
	}
	// A real card must fit the body below the band at ModulePx.
	if q.SidePx() > HeightPx-bandPx {
		t.Errorf("QR of %d characters is %d px, more than the %d px card body", len(text), q.SidePx(), HeightPx-bandPx)
	}
	t.Logf("%d characters: version %d, %d modules, %.1f mm with quiet zone", len(text), q.Version, q.Size, float64(q.SidePx())*mmPerPx)
	if _, err := EncodeQR("SG1:lower case"); err == nil {
		t.Error("lower-case text accepted; it would need byte mode")
	}
}

func TestRenderPNGGeometry(t *testing.T) {
	c := testCard(t, "王秀英", "elder")
	var buf bytes.Buffer
	if err := WritePNG(&buf, c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes()[:64], []byte("pHYs")) {
		t.Error("PNG has no pHYs chunk declaring 300 dpi")
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if abs(b.Dx()-1011) > 1 || abs(b.Dy()-638) > 1 {
		t.Fatalf("card is %d×%d px, want 1011×638 ±1 (85.6×54 mm at 300 dpi)", b.Dx(), b.Dy())
	}

	got, err := decodeQR(t, img)
	if err != nil || got != c.QRText {
		t.Fatalf("decoded %q, %v; want the card's text", got, err)
	}

	q, _ := EncodeQR(c.QRText)
	side := q.SidePx()
	qx, qy := qrOrigin(q)
	region := image.Rect(qx, qy, qx+side, qy+side)
	for y := region.Min.Y; y < region.Max.Y; y++ {
		for x := region.Min.X; x < region.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if !(r == g && g == bl && (r == 0 || r == 0xffff)) {
				t.Fatalf("QR pixel (%d,%d) is %v, want pure black or white", x, y, img.At(x, y))
			}
		}
	}
	// The quiet zone is white all round.
	for i := 0; i < side; i++ {
		for _, p := range []image.Point{{qx + i, qy}, {qx + i, qy + side - 1}, {qx, qy + i}, {qx + side - 1, qy + i}} {
			if r, _, _, _ := img.At(p.X, p.Y).RGBA(); r != 0xffff {
				t.Fatalf("quiet zone pixel %v is dark", p)
			}
		}
	}
	// Module size from the top-left finder pattern: its top edge is a run of
	// 7 dark modules, preceded by the 4-module quiet zone.
	y := qy + QuietZone*ModulePx
	x := qx
	for ; x < qx+side; x++ {
		if r, _, _, _ := img.At(x, y).RGBA(); r == 0 {
			break
		}
	}
	start := x
	for ; x < qx+side; x++ {
		if r, _, _, _ := img.At(x, y).RGBA(); r != 0 {
			break
		}
	}
	run := x - start
	if run%7 != 0 || run/7 < 6 {
		t.Fatalf("finder pattern edge is %d px, want 7 modules of ≥ 6 px", run)
	}
	if quiet := start - qx; quiet != QuietZone*run/7 {
		t.Errorf("quiet zone is %d px, want %d modules of %d px", quiet, QuietZone, run/7)
	}
	t.Logf("module %d px = %.3f mm", run/7, float64(run/7)*mmPerPx)
}

func TestRenderBandColourPerCategory(t *testing.T) {
	seen := map[color.RGBA]string{}
	for _, cat := range Categories {
		img, err := Render(testCard(t, "李明", cat.Key))
		if err != nil {
			t.Fatal(err)
		}
		// A point on the band clear of any text.
		got := img.RGBAAt(WidthPx/2, 8)
		if got != cat.Colour {
			t.Errorf("%s band is %v, want %v", cat.Key, got, cat.Colour)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%s and %s share a band colour", cat.Key, other)
		}
		seen[got] = cat.Key
	}
	bad := testCard(t, "李明", "child")
	bad.Category = "visitor"
	if _, err := Render(bad); err == nil || !strings.Contains(err.Error(), "visitor") {
		t.Errorf("unknown category: err = %v, want it named", err)
	}
}

func TestLookupCategoryAcceptsChinese(t *testing.T) {
	for in, want := range map[string]string{"elder": "elder", " ELDER ": "elder", "长者": "elder", "儿童": "child", "陪同": "companion", "员工": "staff", "Staff": "staff"} {
		c, ok := LookupCategory(in)
		if !ok || c.Key != want {
			t.Errorf("LookupCategory(%q) = %q, %v; want %q", in, c.Key, ok, want)
		}
	}
	if _, ok := LookupCategory("guest"); ok {
		t.Error("guest accepted")
	}
}

func TestNameFitsItsColumn(t *testing.T) {
	m := newMeasurer()
	defer m.close()
	// The column beside a typical card's version-12 QR.
	q, err := EncodeQR(signedText(t, "欧阳娜娜", "elder"))
	if err != nil {
		t.Fatal(err)
	}
	width := nameColumn(q)
	for _, tc := range []struct {
		name  string
		lines int
	}{
		{"王秀英", 1},
		{"欧阳娜娜", 1},
		{"阿卜杜·热合曼", 2},
		{"Maria Fernanda González", 2},
		{"Anna Li", 1},
		{"Wolfeschlegelsteinhausenbergerdorff", 1}, // cut with an ellipsis
	} {
		lines, st := fitName(m, tc.name, width)
		if len(lines) != tc.lines {
			t.Errorf("%q: %d lines %q, want %d", tc.name, len(lines), lines, tc.lines)
		}
		for _, l := range lines {
			if w := m.width(l, st); w > width {
				t.Errorf("%q: line %q is %.0f px, column is %.0f", tc.name, l, w, width)
			}
		}
		if len(lines) == 2 && st.size > nameMaxWrap {
			t.Errorf("%q: two lines at %.0f px run into the expiry date", tc.name, st.size)
		}
		if st.size < nameMinWrap {
			t.Errorf("%q: size %.0f below the minimum %d", tc.name, st.size, nameMinWrap)
		}
		if tc.name == "王秀英" && st.size != nameMax {
			t.Errorf("王秀英 drawn at %.0f px, want the full %d", st.size, nameMax)
		}
	}
}

func TestSplitRunsSeparatesScripts(t *testing.T) {
	runs := splitRuns("姓名 Name 王秀英 王䶮𠀀英")
	want := []run{{"姓名 ", true, false}, {"Name ", false, false}, {"王秀英 王", true, false}, {"䶮𠀀", true, true}, {"英", true, false}}
	if len(runs) != len(want) {
		t.Fatalf("runs %+v, want %+v", runs, want)
	}
	for i := range want {
		if runs[i] != want[i] {
			t.Errorf("run %d = %+v, want %+v", i, runs[i], want[i])
		}
	}
}

func TestPhotoIsDrawnCroppedToTheBox(t *testing.T) {
	// A wide photo: left third red, middle green, right third blue. The
	// crop keeps the middle.
	src := image.NewRGBA(image.Rect(0, 0, 900, 400))
	for y := 0; y < 400; y++ {
		for x := 0; x < 900; x++ {
			c := color.RGBA{0, 0xc0, 0, 0xff}
			if x < 300 {
				c = color.RGBA{0xc0, 0, 0, 0xff}
			} else if x >= 600 {
				c = color.RGBA{0, 0, 0xc0, 0xff}
			}
			src.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	c := testCard(t, "王秀英", "elder")
	c.Photo = buf.Bytes()
	img, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []image.Point{{marginPx + 10, photoTop + 10}, {marginPx + photoW/2, photoTop + photoH/2}, {marginPx + photoW - 10, photoTop + photoH - 10}} {
		got := img.RGBAAt(p.X, p.Y)
		if got.G < 0x90 || got.R > 0x40 || got.B > 0x40 {
			t.Errorf("photo pixel %v = %v, want the green middle of the photo", p, got)
		}
	}
	c.Photo = []byte("not an image")
	if _, err := Render(c); err == nil || !strings.Contains(err.Error(), "JPEG or PNG") {
		t.Errorf("bad photo: err = %v", err)
	}
}

func TestEncodeQRReadsBackEveryTime(t *testing.T) {
	// About one default-mask symbol in forty failed to read before masks
	// were read back; 25 texts often meet such a symbol.
	remasked := 0
	for i := 0; i < 25; i++ {
		text := signedText(t, "王秀英", "elder")
		q, err := EncodeQR(text)
		if err != nil {
			t.Fatal(err)
		}
		img, err := Render(Card{Name: "王秀英", Category: "elder", QRText: text})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := decodeQR(t, img); got != text {
			t.Fatalf("card %d (mask %d) does not read: %v", i, q.Mask, err)
		}
		if def := encoderDefaultMask(t, text); def != q.Mask {
			remasked++
		}
	}
	t.Logf("%d of 25 symbols needed another mask than the encoder's choice", remasked)
}

func encoderDefaultMask(t *testing.T, text string) int {
	code, err := encoder.Encoder_encode(text, decoder.ErrorCorrectionLevel_Q, nil)
	if err != nil {
		t.Fatal(err)
	}
	return code.GetMaskPattern()
}
