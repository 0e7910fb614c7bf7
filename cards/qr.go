package cards

import (
	"fmt"
	"image"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
)

// QR is an encoded QR symbol without its quiet zone.
type QR struct {
	Size    int      // modules per side
	Version int      // QR version, 1–40
	Mode    string   // encoding mode gozxing chose, e.g. "ALPHANUMERIC"
	Mask    int      // mask pattern, 0–7
	dark    [][]bool // [y][x]
}

// Dark reports whether the module at column x, row y is dark.
func (q *QR) Dark(x, y int) bool { return q.dark[y][x] }

// SidePx is the symbol's side in 300 dpi pixels, quiet zone included.
func (q *QR) SidePx() int { return (q.Size + 2*QuietZone) * q.Module() }

// BoxPx is the side of the QR box on the card, quiet zone included: a
// version-12 code (SG1) at ModulePx. SG2's version 9 fills it with 7 px
// (0.59 mm) modules.
const BoxPx = (65 + 2*QuietZone) * ModulePx

// Module is the module side in 300 dpi pixels: ModulePx, or more for a
// symbol (SG2's version 9) that fits the box a version-12 code takes at
// ModulePx, so that a smaller code is printed in the same box with larger
// modules.
func (q *QR) Module() int { return max(ModulePx, BoxPx/(q.Size+2*QuietZone)) }

// EncodeQR encodes text at error-correction level Q and checks that gozxing
// reads the symbol back. Text outside the QR alphanumeric set (0-9 A-Z
// space $%*+-./:) is refused: it would fall back to byte mode and grow the
// symbol by about a third, and every identity code is alphanumeric by
// construction.
func EncodeQR(text string) (*QR, error) { return encodeQR(text, nil) }

// encodeQR is EncodeQR with a further check of each candidate symbol in
// its place on the card (nil: none).
//
// The encoder's mask choice (lowest ISO 18004 penalty) leaves about one
// symbol in forty that gozxing cannot locate even in a perfect image, and a
// few more that it cannot locate beside the card's text: data that mimics a
// finder pattern. Every symbol is read back, and the next mask is tried
// until one reads.
func encodeQR(text string, inCard func(*QR) error) (*QR, error) {
	for i, r := range text {
		if !isAlphanumeric(r) {
			return nil, fmt.Errorf("cards: QR text has %q at %d, outside the QR alphanumeric set", r, i)
		}
	}
	var firstErr error
	for attempt := -1; attempt < 8; attempt++ {
		hints := map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_ERROR_CORRECTION: decoder.ErrorCorrectionLevel_Q}
		if attempt >= 0 {
			hints[gozxing.EncodeHintType_QR_MASK_PATTERN] = attempt
		}
		code, werr := encoder.Encoder_encode(text, decoder.ErrorCorrectionLevel_Q, hints)
		if werr != nil {
			return nil, fmt.Errorf("cards: encode QR: %w", werr)
		}
		if code.GetMode() != decoder.Mode_ALPHANUMERIC {
			return nil, fmt.Errorf("cards: encoder chose %v mode, want ALPHANUMERIC", code.GetMode())
		}
		q := newQR(code)
		err := q.readBack(text)
		if err == nil && inCard != nil {
			err = inCard(q)
		}
		if err == nil {
			return q, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, fmt.Errorf("cards: no mask gives a QR that reads back: %w", firstErr)
}

// readsIn checks that gozxing finds want in img, both in its quick mode and
// trying harder: the two take different paths through the detector.
func readsIn(img image.Image, want string) error {
	for _, hints := range []map[gozxing.DecodeHintType]any{nil, {gozxing.DecodeHintType_TRY_HARDER: true}} {
		bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(gozxing.NewLuminanceSourceFromImage(img)))
		if err != nil {
			return err
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
		if err != nil {
			return err
		}
		if res.GetText() != want {
			return fmt.Errorf("read a different text")
		}
	}
	return nil
}

func newQR(code *encoder.QRCode) *QR {
	m := code.GetMatrix()
	q := &QR{Size: m.GetWidth(), Version: code.GetVersion().GetVersionNumber(), Mode: code.GetMode().String()}
	q.dark = make([][]bool, q.Size)
	for y := range q.dark {
		q.dark[y] = make([]bool, q.Size)
		for x := range q.dark[y] {
			q.dark[y][x] = m.Get(x, y) == 1
		}
	}
	q.Mask = code.GetMaskPattern()
	return q
}

// readBack decodes the symbol drawn at its module size with its quiet zone.
func (q *QR) readBack(want string) error {
	side := q.SidePx()
	g := image.NewGray(image.Rect(0, 0, side, side))
	for i := range g.Pix {
		g.Pix[i] = 0xff
	}
	for my := 0; my < q.Size; my++ {
		for mx := 0; mx < q.Size; mx++ {
			if !q.dark[my][mx] {
				continue
			}
			for y := (QuietZone + my) * q.Module(); y < (QuietZone+my+1)*q.Module(); y++ {
				row := g.Pix[y*g.Stride:]
				for x := (QuietZone + mx) * q.Module(); x < (QuietZone+mx+1)*q.Module(); x++ {
					row[x] = 0
				}
			}
		}
	}
	if err := readsIn(g, want); err != nil {
		return fmt.Errorf("read back mask %d: %w", q.Mask, err)
	}
	return nil
}

func isAlphanumeric(r rune) bool {
	switch {
	case r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
		return true
	}
	switch r {
	case ' ', '$', '%', '*', '+', '-', '.', '/', ':':
		return true
	}
	return false
}
