//go:build !kiosk

package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/scanner"
)

const testIssuerID = "org.sunshine.centre"

// testIssuer is a key directory as keygen leaves it: issuer.key and a
// trust.json signed by that key.
type testIssuer struct {
	dir, key string
	pub      ed25519.PublicKey
	trust    []byte
}

func newTestIssuer(t *testing.T, passphrase string) testIssuer {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ti := testIssuer{dir: dir, key: filepath.Join(dir, "issuer.key"), pub: pub}
	if err := idcode.WritePrivateKey(ti.key, priv, []byte(passphrase)); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ti.trust, err = idcode.SignTrustList(idcode.TrustList{
		Version: 1, IssuedAt: now, Expires: now.AddDate(1, 0, 0),
		Issuers: []idcode.Issuer{{ID: testIssuerID, Name: "阳光社区服务中心", PublicKey: pub}},
	}, priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "trust.json"), ti.trust, 0o644); err != nil {
		t.Fatal(err)
	}
	return ti
}

// verify checks text as a device would, against the issuer's trust list.
func (ti testIssuer) verify(t *testing.T, text string, now time.Time) idcode.Verdict {
	t.Helper()
	list, err := idcode.OpenTrustList(ti.trust, []ed25519.PublicKey{ti.pub})
	if err != nil {
		t.Fatal(err)
	}
	trust, err := idcode.NewTrust(list, nil, idcode.TrustOptions{RevocationsOptional: true})
	if err != nil {
		t.Fatal(err)
	}
	card, err := idcode.Parse(text)
	if err != nil {
		return idcode.Verdict{Reason: idcode.ReasonMalformed, Detail: err.Error()}
	}
	return idcode.Verify(card, trust, now)
}

func runIssueCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(append([]string{"issue"}, args...), &o, &e)
	return code, o.String(), e.String()
}

func readManifest(t *testing.T, path string) []manifestEntry {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m []manifestEntry
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("manifest %s: %v", path, err)
	}
	return m
}

func decodeImage(img image.Image) (string, error) {
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

// photograph imitates a 640×480 webcam frame of the card held about 10 cm
// from the lens: slightly defocused (a 3×3 box blur at print resolution),
// scaled to half size (3 px a module), foreshortened 8 % along its width as
// when tilted away, rotated by deg, on a grey desk.
func photograph(src image.Image, deg float64) *image.Gray {
	b := src.Bounds()
	card := image.NewGray(b)
	draw.Draw(card, b, src, b.Min, draw.Src)
	card = boxBlur(card)
	frame := image.NewGray(image.Rect(0, 0, 640, 480))
	draw.Draw(frame, frame.Bounds(), image.NewUniform(color.Gray{0x70}), image.Point{}, draw.Src)
	sx, sy := 0.5*0.92, 0.5
	sin, cos := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	a, bb, c, d := sx*cos, -sy*sin, sx*sin, sy*cos
	m := f64.Aff3{a, bb, 320 - (a*cx + bb*cy), c, d, 240 - (c*cx + d*cy)}
	draw.BiLinear.Transform(frame, m, card, card.Bounds(), draw.Over, nil)
	return frame
}

func boxBlur(g *image.Gray) *image.Gray {
	out := image.NewGray(g.Bounds())
	w, h := g.Rect.Dx(), g.Rect.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sum, n := 0, 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					if xx, yy := x+dx, y+dy; xx >= 0 && yy >= 0 && xx < w && yy < h {
						sum += int(g.Pix[yy*g.Stride+xx])
						n++
					}
				}
			}
			out.Pix[y*out.Stride+x] = uint8(sum / n)
		}
	}
	return out
}

// TestIssuedPNGDecodesAndVerifies is issue 2's "done when": a card issued
// as PNG decodes straight and as a tilted, blurred 640×480 frame, verifies
// against the issuer's trust list, and no one-character change passes.
func TestIssuedPNGDecodesAndVerifies(t *testing.T) {
	ti := newTestIssuer(t, "")
	out := filepath.Join(t.TempDir(), "card.png")
	code, stdout, stderr := runIssueCmd(t, "--key", ti.key, "--name", "王秀英", "--category", "elder",
		"--expires", time.Now().AddDate(1, 0, 0).Format(time.DateOnly), "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, out) {
		t.Errorf("stdout does not name the output: %q", stdout)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1011 || b.Dy() != 638 {
		t.Errorf("card PNG is %v, want 1011×638", b)
	}

	text, err := decodeImage(img)
	if err != nil {
		t.Fatalf("decode the PNG as issued: %v", err)
	}
	m := readManifest(t, out+".json")
	if len(m) != 1 || m[0].QR != text {
		t.Fatalf("manifest %+v does not hold the decoded text", m)
	}
	now := time.Now()
	v := ti.verify(t, text, now)
	if !v.Valid {
		t.Fatalf("issued card refused: %s (%s)", v.Reason, v.Detail)
	}
	if v.Card.Name != "王*英" || v.Card.Category != "elder" || v.Card.Issuer != testIssuerID || v.Card.CardIDHex() != m[0].CardID {
		t.Errorf("claims %+v do not match the card issued (manifest %+v)", v.Card.Claims, m[0])
	}
	if strings.Contains(text, "王秀英") {
		t.Error("QR text holds the full name")
	}

	// The photographed frames go through the kiosk's own decode stage
	// (gozxing with its retries). Between 16° and 19° this synthetic tilt
	// defeats gozxing for about two cards in three; 15° and 20° read.
	dec := scanner.NewDecoder()
	for _, deg := range []float64{15, 20} {
		frame := photograph(img, deg)
		got, err := dec.Decode(scanner.FrameFromImage(frame))
		if err != nil || got != text {
			t.Errorf("640×480 frame tilted %.0f° with blur: decoded %q, %v", deg, got, err)
			continue
		}
		if v := ti.verify(t, got, now); !v.Valid {
			t.Errorf("photographed card refused: %s", v.Reason)
		}
	}

	// Tamper with every character in turn.
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	reasons := map[idcode.Reason]int{}
	for i := 0; i < len(text); i++ {
		j := strings.IndexByte(alphabet, text[i])
		b := []byte(text)
		b[i] = alphabet[(j+1)%len(alphabet)]
		v := ti.verify(t, string(b), now)
		if v.Valid {
			t.Fatalf("text with character %d changed %q→%q verifies", i, text[i], b[i])
		}
		switch v.Reason {
		case idcode.ReasonMalformed, idcode.ReasonBadSignature, idcode.ReasonUnknownKey:
		default:
			t.Errorf("character %d changed: reason %s, want malformed, bad_signature or unknown_key", i, v.Reason)
		}
		reasons[v.Reason]++
	}
	if reasons[idcode.ReasonBadSignature] == 0 || reasons[idcode.ReasonMalformed] == 0 {
		t.Errorf("reasons over %d tamperings: %v; want both malformed and bad_signature among them", len(text), reasons)
	}
	t.Logf("%d characters tampered one at a time: %v", len(text), reasons)
}

var rePDFPage = regexp.MustCompile(`/Type /Page\b[^s]`)

func writeJPEG(t *testing.T, path string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 350, 450))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{0x9c, 0xb4, 0xc8, 0xff}), image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestIssueSheetFromCSV(t *testing.T) {
	ti := newTestIssuer(t, "correct horse")
	pass := filepath.Join(t.TempDir(), "pass.txt")
	if err := os.WriteFile(pass, []byte("correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeJPEG(t, filepath.Join(dir, "photos", "wang.jpg"))
	names := []string{"王秀英", "欧阳娜娜", "李明", "Anna Li", "张伟", "阿卜杜·热合曼", "陈静", "刘洋", "赵敏"}
	csv := "name,category,expires,photo\n"
	for i, n := range names {
		cat := []string{"elder", "child", "companion", "staff", "长者"}[i%5]
		photo := ""
		if i == 0 {
			photo = "photos/wang.jpg"
		}
		csv += n + "," + cat + ",2030-06-30," + photo + "\n"
	}
	people := filepath.Join(dir, "people.csv")
	if err := os.WriteFile(people, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "sheet.pdf")
	code, stdout, stderr := runIssueCmd(t, "--key", ti.key, "--passphrase-file", pass, "--csv", people, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "9 card(s) on 2 A4 page(s)") {
		t.Errorf("stdout %q", stdout)
	}
	pdf, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rePDFPage.FindAll(pdf, -1)); n != 2 {
		t.Errorf("sheet has %d pages for 9 cards, want 2", n)
	}
	if n := bytes.Count(pdf, []byte("/FontFile2 ")); n != 3 {
		t.Errorf("%d embedded fonts, want 3", n)
	}
	if !bytes.Contains(pdf, []byte("/Subtype /Image")) {
		t.Error("the photo is not in the PDF")
	}
	m := readManifest(t, out+".json")
	if len(m) != len(names) {
		t.Fatalf("manifest has %d cards, want %d", len(m), len(names))
	}
	raw, _ := os.ReadFile(out + ".json")
	ids := map[string]bool{}
	for i, e := range m {
		if e.Row != i+2 || e.Index != i+1 {
			t.Errorf("entry %d: row %d index %d", i, e.Row, e.Index)
		}
		if e.Name != idcode.MaskName(names[i]) || e.Expires != "2030-06-30" {
			t.Errorf("entry %d: %+v", i, e)
		}
		if bytes.Contains(raw, []byte(names[i])) && names[i] != idcode.MaskName(names[i]) {
			t.Errorf("manifest holds the full name %q", names[i])
		}
		v := ti.verify(t, e.QR, time.Now())
		if !v.Valid || v.Card.CardIDHex() != e.CardID || v.Card.Category != e.Category {
			t.Errorf("entry %d: %s, claims %+v", i, v.Reason, v.Card)
		}
		if ids[e.CardID] {
			t.Errorf("card id %s issued twice", e.CardID)
		}
		ids[e.CardID] = true
	}
	if m[4].Category != "elder" {
		t.Errorf("category 长者 became %q", m[4].Category)
	}
}

func TestIssuePNGDirectory(t *testing.T) {
	ti := newTestIssuer(t, "")
	dir := t.TempDir()
	people := filepath.Join(dir, "people.csv")
	if err := os.WriteFile(people, []byte("category,name\nchild,李明\nelder,王秀英\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "cards")
	if code, _, stderr := runIssueCmd(t, "--key", ti.key, "--csv", people, "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := readManifest(t, out+".json")
	if len(m) != 2 {
		t.Fatalf("%d cards", len(m))
	}
	for _, e := range m {
		f, err := os.Open(filepath.Join(out, e.File))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got, err := decodeImage(img); err != nil || got != e.QR {
			t.Errorf("%s: decoded %q, %v", e.File, got, err)
		}
	}
	// A batch into one .png is refused before anything is written.
	code, _, stderr := runIssueCmd(t, "--key", ti.key, "--csv", people, "--out", filepath.Join(dir, "x.png"))
	if code != 2 || !strings.Contains(stderr, "directory") {
		t.Errorf("batch into x.png: exit %d, %q", code, stderr)
	}
}

func TestIssueExpiredCardWarnsButIssues(t *testing.T) {
	ti := newTestIssuer(t, "")
	out := filepath.Join(t.TempDir(), "expired.pdf")
	code, _, stderr := runIssueCmd(t, "--key", ti.key, "--name", "测试卡", "--category", "staff", "--expires", "2020-01-01", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "2020-01-01") {
		t.Errorf("no warning naming the date: %q", stderr)
	}
	m := readManifest(t, out+".json")
	if v := ti.verify(t, m[0].QR, time.Now()); v.Reason != idcode.ReasonExpired {
		t.Errorf("expired card: %s, want expired", v.Reason)
	}
	if v := ti.verify(t, m[0].QR, time.Date(2019, 12, 31, 12, 0, 0, 0, time.Local)); !v.Valid {
		t.Errorf("the card is not valid on its last day: %s", v.Reason)
	}
}

func TestIssueDefaultsAndIssuerFromTrustList(t *testing.T) {
	ti := newTestIssuer(t, "")
	out := filepath.Join(t.TempDir(), "card.png")
	if code, _, stderr := runIssueCmd(t, "--key", ti.key, "--name", "李明", "--category", "儿童", "--valid-days", "30", "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := readManifest(t, out+".json")
	if m[0].Issuer != testIssuerID || m[0].Category != "child" {
		t.Errorf("manifest %+v: want issuer from trust.json and category child", m[0])
	}
	want := time.Now().AddDate(0, 0, 30).Format(time.DateOnly)
	if m[0].Expires != want {
		t.Errorf("--valid-days 30: expires %s, want %s", m[0].Expires, want)
	}

	// A key with no trust.json beside it needs --issuer.
	other := t.TempDir()
	data, _ := os.ReadFile(ti.key)
	lone := filepath.Join(other, "issuer.key")
	if err := os.WriteFile(lone, data, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runIssueCmd(t, "--key", lone, "--name", "李明", "--category", "child", "--out", filepath.Join(other, "c.pdf"))
	if code != 2 || !strings.Contains(stderr, "--issuer is required") {
		t.Errorf("no trust.json: exit %d, %q", code, stderr)
	}
	code, _, stderr = runIssueCmd(t, "--key", lone, "--issuer", "org.other", "--name", "李明", "--category", "child", "--out", filepath.Join(other, "c.pdf"))
	if code != 0 {
		t.Errorf("with --issuer: exit %d, %q", code, stderr)
	}
}

func TestIssueErrorsNameTheFault(t *testing.T) {
	ti := newTestIssuer(t, "secret")
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.txt", "secret\n")
	wrong := write("wrong.txt", "guess\n")
	badDate := write("baddate.csv", "name,category,expires\n王秀英,elder,2027-12-31\n李明,child,2027-02-30\n")
	badCat := write("badcat.csv", "name,category\n王秀英,visitor\n")
	noPhoto := write("nophoto.csv", "name,category,photo\n王秀英,elder,missing.jpg\n")
	noGlyph := write("noglyph.csv", "name,category\n王䶮,elder\n李\U0010FFFD明,child\n")
	out := filepath.Join(dir, "out.pdf")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"missing key", []string{"--key", filepath.Join(dir, "nope.key"), "--name", "王秀英", "--category", "elder", "--out", out},
			[]string{"nope.key", "does not exist", "keygen"}},
		{"passphrase needed", []string{"--key", ti.key, "--name", "王秀英", "--category", "elder", "--out", out},
			[]string{"encrypted", "--passphrase-file"}},
		{"wrong passphrase", []string{"--key", ti.key, "--passphrase-file", wrong, "--name", "王秀英", "--category", "elder", "--out", out},
			[]string{"wrong passphrase"}},
		{"unknown category", []string{"--key", ti.key, "--passphrase-file", good, "--name", "王秀英", "--category", "visitor", "--out", out},
			[]string{`"visitor"`, "elder, child, companion or staff"}},
		{"bad date in CSV", []string{"--key", ti.key, "--passphrase-file", good, "--csv", badDate, "--out", out},
			[]string{"row 3", `"2027-02-30"`, "YYYY-MM-DD"}},
		{"bad category in CSV", []string{"--key", ti.key, "--passphrase-file", good, "--csv", badCat, "--out", out},
			[]string{"row 2", `"visitor"`}},
		{"missing photo", []string{"--key", ti.key, "--passphrase-file", good, "--csv", noPhoto, "--out", out},
			[]string{"row 2", "missing.jpg", "does not exist"}},
		{"missing photo flag", []string{"--key", ti.key, "--passphrase-file", good, "--name", "王秀英", "--category", "elder", "--photo", filepath.Join(dir, "face.jpg"), "--out", out},
			[]string{"face.jpg", "does not exist"}},
		{"bad --expires", []string{"--key", ti.key, "--passphrase-file", good, "--name", "王秀英", "--category", "elder", "--expires", "31.12.2027x", "--out", out},
			[]string{"--expires", "31.12.2027x"}},
		{"bad output type", []string{"--key", ti.key, "--passphrase-file", good, "--name", "王秀英", "--category", "elder", "--out", filepath.Join(dir, "card.jpg")},
			[]string{"card.jpg", ".pdf or .png"}},
		{"a character no font has", []string{"--key", ti.key, "--passphrase-file", good, "--name", "王\U0010FFFD英", "--category", "elder", "--out", out},
			[]string{"--name", "no font has", "U+10FFFD"}},
		{"a character no font has in CSV", []string{"--key", ti.key, "--passphrase-file", good, "--csv", noGlyph, "--out", out},
			[]string{"row 3", "U+10FFFD", "empty box"}},
		{"name and csv", []string{"--key", ti.key, "--name", "王秀英", "--csv", badDate, "--out", out},
			[]string{"either --name", "--csv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runIssueCmd(t, tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not contain %q", stderr, w)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("an output was written despite the error")
			}
		})
	}
}

// Names with rare characters (CJK Extension A and B) issue and print;
// the card decodes and verifies.
func TestIssueRareCharacters(t *testing.T) {
	ti := newTestIssuer(t, "")
	out := filepath.Join(t.TempDir(), "card.png")
	code, stdout, stderr := runIssueCmd(t, "--key", ti.key, "--name", "王䶮𠀀", "--category", "elder", "--out", out)
	if code != 0 {
		t.Fatalf("issue: %d %s %s", code, stdout, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	text, err := decodeImage(img)
	if err != nil {
		t.Fatal(err)
	}
	if v := ti.verify(t, text, time.Now()); !v.Valid {
		t.Fatalf("verify: %+v", v)
	}
	if m := readManifest(t, out+".json"); m[0].Name != "王*𠀀" {
		t.Errorf("masked name %q", m[0].Name)
	}
}

func TestParseRoster(t *testing.T) {
	gbCSV, err := simplifiedchinese.GB18030.NewEncoder().String("name,category,expires\n王秀英,长者,2027/1/5\n")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := parseRoster([]byte(gbCSV))
	if err != nil {
		t.Fatalf("GB18030 CSV: %v", err)
	}
	if len(rows) != 1 || rows[0].Name != "王秀英" || rows[0].Category != "elder" ||
		rows[0].Expires.Format(time.DateOnly) != "2027-01-05" {
		t.Errorf("GB18030 CSV: %+v", rows)
	}

	rows, err = parseRoster([]byte("\xef\xbb\xbfName , Category,Photo,Subject\r\n  Anna   Li ,companion,a.jpg,h-17\r\n,,,\r\n王秀英,staff,,\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Name != "Anna Li" || rows[0].Photo != "a.jpg" || rows[0].Subject != "h-17" ||
		rows[1].Line != 4 || !rows[1].Expires.IsZero() {
		t.Errorf("BOM, CRLF, spaces, blank row: %+v", rows)
	}

	for _, tc := range []struct{ in, want string }{
		{"", "empty file"},
		{"name,category\n", "no rows"},
		{"name,expires\n王秀英,2027-01-01\n", `no "category" column`},
		{"name,category,expiry\n", `unknown column "expiry"`},
		{"name,category,name\n", "twice"},
		{"name,category\n王秀英,elder\n,child\n", "row 3: empty name"},
		{"name,category,expires\n王秀英,elder,2027-1\n", `row 2: expires "2027-1"`},
		{"name,category\n\"王秀英,elder\n", "line"},
		{"name,category\n" + strings.Repeat("x", 300) + ",elder\n", "row 2"},
	} {
		_, err := parseRoster([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseRoster(%q) = %v, want an error with %q", tc.in, err, tc.want)
		}
	}
}

func FuzzParseRoster(f *testing.F) {
	for _, s := range []string{
		"name,category,expires,photo\n王秀英,elder,2027-12-31,face.jpg\n",
		"\xef\xbb\xbfname,category\r\nAnna Li,companion\r\n",
		"category,name,subject\n长者,欧阳娜娜,h1\n,,\n",
		"name,category,expires\n李明,child,2027/2/30\n",
		"name,category\n\"unterminated,elder\n",
		"name,category\n\xcd\xf5\xd0\xe3\xd3\xa2,elder\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := parseRoster(data)
		if err != nil {
			if len(rows) != 0 {
				t.Errorf("rows returned with error %v", err)
			}
			return
		}
		if len(rows) == 0 {
			t.Error("no rows and no error")
		}
		for _, r := range rows {
			if r.Name == "" || r.Line < 2 {
				t.Errorf("row %+v: empty name or line before the header", r)
			}
			if !idcode.ValidCategory(r.Category) {
				t.Errorf("row %+v: category not a card category", r)
			}
		}
	})
}
