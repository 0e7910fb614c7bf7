package cards

import (
	"fmt"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
)

// QR is an encoded QR symbol without its quiet zone.
type QR struct {
	Size    int      // modules per side
	Version int      // QR version, 1–40
	Mode    string   // encoding mode gozxing chose, e.g. "ALPHANUMERIC"
	dark    [][]bool // [y][x]
}

// Dark reports whether the module at column x, row y is dark.
func (q *QR) Dark(x, y int) bool { return q.dark[y][x] }

// SidePx is the symbol's side in 300 dpi pixels, quiet zone included.
func (q *QR) SidePx() int { return (q.Size + 2*QuietZone) * ModulePx }

// EncodeQR encodes text at error-correction level Q. Text outside the QR
// alphanumeric set (0-9 A-Z space $%*+-./:) is refused: it would fall back
// to byte mode and grow the symbol by about a third, and every identity code
// is alphanumeric by construction.
func EncodeQR(text string) (*QR, error) {
	for i, r := range text {
		if !isAlphanumeric(r) {
			return nil, fmt.Errorf("cards: QR text has %q at %d, outside the QR alphanumeric set", r, i)
		}
	}
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_ERROR_CORRECTION: decoder.ErrorCorrectionLevel_Q,
	}
	code, err := encoder.Encoder_encode(text, decoder.ErrorCorrectionLevel_Q, hints)
	if err != nil {
		return nil, fmt.Errorf("cards: encode QR: %w", err)
	}
	if code.GetMode() != decoder.Mode_ALPHANUMERIC {
		return nil, fmt.Errorf("cards: encoder chose %v mode, want ALPHANUMERIC", code.GetMode())
	}
	m := code.GetMatrix()
	q := &QR{Size: m.GetWidth(), Version: code.GetVersion().GetVersionNumber(), Mode: code.GetMode().String()}
	q.dark = make([][]bool, q.Size)
	for y := range q.dark {
		q.dark[y] = make([]bool, q.Size)
		for x := range q.dark[y] {
			q.dark[y][x] = m.Get(x, y) == 1
		}
	}
	return q, nil
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
