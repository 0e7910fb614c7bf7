package camsim

import (
	"fmt"
	"image"
	"math/rand/v2"

	"github.com/scangate/scangate/door"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// alnum is the QR alphanumeric alphabet, which base45 identity codes use.
const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// CardText returns an identity-code-like text: "SG1:" and n base45 characters.
func CardText(rng *rand.Rand, n int) string {
	b := []byte("SG1:")
	for range n {
		b = append(b, alnum[rng.IntN(len(alnum))])
	}
	return string(b)
}

// QR renders text as a QR code at ECC level Q with a 4-module quiet zone,
// module pixels wide per module, black on white.
func QR(text string, module int) (*image.Gray, error) {
	hints := map[gozxing.EncodeHintType]interface{}{gozxing.EncodeHintType_ERROR_CORRECTION: "Q"}
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 1, 1, hints)
	if err != nil {
		return nil, fmt.Errorf("camsim: encode QR: %w", err)
	}
	n := m.GetWidth()
	img := image.NewGray(image.Rect(0, 0, n*module, n*module))
	for y := range img.Pix {
		img.Pix[y] = 255
	}
	for my := 0; my < n; my++ {
		for mx := 0; mx < n; mx++ {
			if !m.Get(mx, my) {
				continue
			}
			for y := my * module; y < (my+1)*module; y++ {
				row := img.Pix[y*img.Stride:]
				for x := mx * module; x < (mx+1)*module; x++ {
					row[x] = 0
				}
			}
		}
	}
	return img, nil
}

// Card draws a printed card 856×540 (ID-1 at 10 px/mm): off-white stock,
// the QR code on the left, a header bar and lines of text-like marks on the
// right, so that the decoder meets print clutter as on a real card.
func Card(text string, rng *rand.Rand) (*image.Gray, error) {
	const w, h = cardW, cardH
	img := image.NewGray(image.Rect(0, 0, w, h))
	paper := byte(228 + rng.IntN(20))
	for i := range img.Pix {
		img.Pix[i] = paper
	}
	ink := byte(15 + rng.IntN(30))
	fill := func(x0, y0, x1, y1 int, v byte) {
		for y := max(y0, 0); y < min(y1, h); y++ {
			for x := max(x0, 0); x < min(x1, w); x++ {
				img.Pix[y*w+x] = v
			}
		}
	}
	fill(0, 0, w, 70, byte(90+rng.IntN(60))) // header bar
	for i := 0; i < 14; i++ {                // a title in the bar
		x := 30 + i*26
		fill(x, 20, x+18, 50, 235)
	}
	qr, err := QR(text, 1)
	if err != nil {
		return nil, err
	}
	side := qr.Bounds().Dx()
	module := cardQRSide / side
	qx, qy := cardQRLeft, cardQRTop
	for y := 0; y < side*module; y++ {
		for x := 0; x < side*module; x++ {
			if qr.Pix[(y/module)*qr.Stride+x/module] == 0 {
				img.Pix[(qy+y)*w+qx+x] = ink
			} else {
				img.Pix[(qy+y)*w+qx+x] = paper
			}
		}
	}
	for line := 0; line < 8; line++ { // text lines: words of glyph-sized marks
		y := 110 + line*50
		x := 470
		for x < w-30 {
			word := 2 + rng.IntN(6)
			for range word {
				gw := 10 + rng.IntN(10)
				if x+gw > w-30 {
					break
				}
				fill(x, y+rng.IntN(6), x+gw, y+26, ink)
				x += gw + 4
			}
			x += 14
		}
	}
	return img, nil
}

// Card layout: the QR code's square on the card.
const (
	cardW, cardH          = 856, 540
	cardQRLeft, cardQRTop = 20, 95
	cardQRSide            = 420
)

// CardQRCentre returns the centre of the card's QR code as fractions of
// the card's width and height.
func CardQRCentre() (u, v float64) {
	return (cardQRLeft + cardQRSide/2.0) / cardW, (cardQRTop + cardQRSide/2.0) / cardH
}

// Sample is one synthetic frame with the text it holds ("" for none).
type Sample struct {
	Frame  door.Frame
	Text   string
	Params Params
}

// CardSet renders n frames of distinct cards under RandomParams, the set
// the decode benchmarks and the synthetic corpus test use. Texts are
// 180–220 characters, which at ECC Q is QR version 9–10 like real cards.
func CardSet(seed uint64, n int) ([]Sample, error) {
	rng := rand.New(rand.NewPCG(seed, 0xca4d))
	out := make([]Sample, 0, n)
	for i := 0; i < n; i++ {
		text := CardText(rng, 176+rng.IntN(41))
		card, err := Card(text, rng)
		if err != nil {
			return nil, err
		}
		p := RandomParams(rng)
		// Visitors aim the code, not the card, at the camera.
		p.AimU, p.AimV = CardQRCentre()
		f := Render(card, p)
		f.Seq = uint64(i + 1)
		out = append(out, Sample{Frame: f, Text: text, Params: p})
	}
	return out, nil
}

// EmptySet renders n frames with no code: the first is a still scene and
// the following ones repeat it with fresh sensor noise, every tenth frame
// switching to a new scene (someone walks past).
func EmptySet(seed uint64, n int) []door.Frame {
	rng := rand.New(rand.NewPCG(seed, 0xe417))
	out := make([]door.Frame, 0, n)
	var scene door.Frame
	for i := 0; i < n; i++ {
		if i%10 == 0 {
			scene = Empty(rng.Uint64(), 0)
		}
		f := WithNoise(scene, rng.Uint64(), 2+rng.Float64()*3)
		f.Seq = uint64(i + 1)
		out = append(out, f)
	}
	return out
}
