package camsim

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	"github.com/scangate/scangate/door"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
)

// The held-card set: frames of printed cards as people hold them up to a
// USB webcam, harder than CardSet. The card is drawn at the printed card's
// geometry (ID-1 at 300 dpi, the QR in a fixed box on the right, the way
// cards prints it), and each frame draws its conditions independently:
// perspective tilt on both axes, in-plane rotation, distance, defocus and
// motion blur, sensor noise, MJPEG compression, dim and uneven light, a
// glare spot, a bent card, a thumb, a shadow and the edge of a card rest.

// Printed card geometry in 300 dpi pixels (cards.WidthPx and friends).
const (
	heldCardW, heldCardH = 1011, 638
	heldBand             = 132
	// HeldBoxPx is the side of the QR box, quiet zone included: what a
	// version-12 SG1 code takes at 6 px (0.508 mm) a module. SG2 is
	// printed in the same box with larger modules.
	HeldBoxPx   = 73 * 6
	heldQRRight = 10
)

// Held describes one frame of the held-card set.
type Held struct {
	Params            // perspective, blur, noise, glare, JPEG (Params.Scale is derived from QRPx)
	QRPx      float64 // side of the QR symbol (without quiet zone) in frame pixels when facing the camera
	Motion    float64 // motion blur length in pixels, 0 for none
	MotionDir float64 // its direction, radians
	Light     float64 // overall gain of the scene light (1 normal, 0.3 dim)
	LightGrad float64 // uneven light: relative gain change across the frame
	LightDir  float64 // its direction, radians
	Bend      float64 // sagitta of a card bent about its vertical axis, fraction of its width
	Thumb     bool    // a thumb over the card's edge
	Shadow    float64 // depth of a hand's shadow across the frame, 0 none, 0.6 dark
	Rest      bool    // the border of a card rest in front of the card's lower edge
	NoCode    bool    // the card's back: print, no QR
}

// RandomHeld draws the conditions of one held-up card.
func RandomHeld(rng *rand.Rand) Held {
	h := Held{
		Params: Params{
			TiltX:   (rng.Float64()*2 - 1) * 35,
			TiltY:   (rng.Float64()*2 - 1) * 35,
			Roll:    (rng.Float64()*2 - 1) * 40,
			OffsetX: (rng.Float64()*2 - 1) * 0.15,
			OffsetY: (rng.Float64()*2 - 1) * 0.15,
			AimU:    0.5,
			AimV:    0.5,
			Blur:    rng.Float64() * 1.1,
			Noise:   1.5 + rng.Float64()*4.5,
			Seed:    rng.Uint64(),
		},
		QRPx:  60 + rng.Float64()*240,
		Light: 1,
	}
	if rng.IntN(6) == 0 { // sideways or upside down
		h.Roll = rng.Float64()*360 - 180
	}
	if rng.IntN(3) == 0 {
		h.Motion, h.MotionDir = 1+rng.Float64()*3, rng.Float64()*math.Pi
	}
	if rng.IntN(5) == 0 { // defocus: held too close or too far
		h.Blur += rng.Float64() * 1.0
	}
	if rng.IntN(4) != 0 {
		h.JPEG = 40 + rng.IntN(51)
	}
	if rng.IntN(3) == 0 { // dim entrance: low gain, more noise
		h.Light = 0.3 + rng.Float64()*0.4
		h.Noise *= 1.5
	}
	if rng.IntN(2) == 0 {
		h.LightGrad, h.LightDir = rng.Float64()*0.7, rng.Float64()*2*math.Pi
	}
	if rng.IntN(4) == 0 {
		h.Glare = 50 + rng.Float64()*150
	}
	if rng.IntN(3) == 0 {
		h.Bend = (rng.Float64()*2 - 1) * 0.06
	}
	h.Thumb = rng.IntN(3) == 0
	if rng.IntN(4) == 0 {
		h.Shadow = 0.25 + rng.Float64()*0.4
	}
	h.Rest = rng.IntN(4) == 0
	return h
}

// HeldCard draws a printed card with text's QR code at ECC level Q in the
// QR box, modules as large as the box allows (whole 300 dpi pixels, as
// cards prints them). text "" draws the card with an empty box (the back
// of a card, a leaflet). It returns the card and the QR's version.
func HeldCard(text string, rng *rand.Rand) (*image.Gray, int, error) {
	img := image.NewGray(image.Rect(0, 0, heldCardW, heldCardH))
	paper := byte(232 + rng.IntN(22))
	ink := byte(12 + rng.IntN(30))
	for i := range img.Pix {
		img.Pix[i] = paper
	}
	fill := func(x0, y0, x1, y1 int, v byte) {
		for y := max(y0, 0); y < min(y1, heldCardH); y++ {
			row := img.Pix[y*heldCardW:]
			for x := max(x0, 0); x < min(x1, heldCardW); x++ {
				row[x] = v
			}
		}
	}
	band := byte(70 + rng.IntN(70)) // the category colour, in gray
	fill(0, 0, heldCardW, heldBand, band)
	for i := 0; i < 3+rng.IntN(4); i++ { // category label in the band
		x := 40 + i*70
		fill(x, 30, x+56, 100, 250)
	}
	fill(40, heldBand+34, 40+192, heldBand+34+246, byte(200+rng.IntN(30))) // photo box
	for y := heldBand + 60; y < heldBand+246; y += 8 {                     // a face-like blob of tones
		w := 40 + rng.IntN(60)
		fill(136-w, y, 136+w, y+8, byte(90+rng.IntN(90)))
	}
	box := HeldBoxPx
	qx, qy := heldCardW-heldQRRight-box, heldBand+(heldCardH-heldBand-box)/2
	textRight := qx - 10
	if text == "" {
		textRight = heldCardW - 40
	}
	for line := 0; line < 6; line++ { // name, expiry, issuer lines
		y := heldBand + 50 + line*70
		x := 256
		if line >= 4 {
			x = 40
			y += 120
		}
		gh := 26 + rng.IntN(30)
		for x < textRight-30 {
			gw := 14 + rng.IntN(24)
			if x+gw > textRight-30 {
				break
			}
			fill(x, y+rng.IntN(6), x+gw, y+gh, ink)
			x += gw + 6 + rng.IntN(6)*rng.IntN(2)*4
		}
	}
	if text == "" {
		return img, 0, nil
	}
	code, err := encoder.Encoder_encode(text, decoder.ErrorCorrectionLevel_Q, map[gozxing.EncodeHintType]any{})
	if err != nil {
		return nil, 0, fmt.Errorf("camsim: encode QR: %w", err)
	}
	m := code.GetMatrix()
	n := m.GetWidth()
	mod := box / (n + 8)
	side := mod * (n + 8)
	fill(qx, qy, qx+box, qy+box, 255)
	ox, oy := qx+(box-side)/2+4*mod, qy+(box-side)/2+4*mod
	for my := 0; my < n; my++ {
		for mx := 0; mx < n; mx++ {
			if m.Get(mx, my) == 1 {
				fill(ox+mx*mod, oy+my*mod, ox+(mx+1)*mod, oy+(my+1)*mod, ink)
			}
		}
	}
	return img, code.GetVersion().GetVersionNumber(), nil
}

// heldQRCentre is the centre of the QR box as fractions of the card.
func heldQRCentre() (u, v float64) {
	return (heldCardW - heldQRRight - HeldBoxPx/2.0) / heldCardW, (heldBand + (heldCardH-heldBand)/2.0) / heldCardH
}

// HeldSample is one frame of the held-card set.
type HeldSample struct {
	Frame   door.Frame
	Text    string // "" for a frame with no code
	Version int    // QR version, 0 for none
	Held    Held
}

// HeldSet renders n frames of distinct held cards whose QR texts come
// from text (one call per frame). Sets of different seeds share nothing:
// the tuning and check halves are two seeds.
func HeldSet(seed uint64, n int, text func(*rand.Rand) string) ([]HeldSample, error) {
	rng := rand.New(rand.NewPCG(seed, 0x4e1d))
	out := make([]HeldSample, 0, n)
	for i := 0; i < n; i++ {
		t := text(rng)
		card, ver, err := HeldCard(t, rng)
		if err != nil {
			return nil, err
		}
		h := RandomHeld(rng)
		f := RenderHeld(card, h)
		f.Seq = uint64(i + 1)
		out = append(out, HeldSample{Frame: f, Text: t, Version: ver, Held: h})
	}
	return out, nil
}

// HeldEmptySet renders n frames with no code in a changing scene: cards
// shown from the back, hands, a card rest, each frame a new scene.
func HeldEmptySet(seed uint64, n int) ([]door.Frame, error) {
	rng := rand.New(rand.NewPCG(seed, 0xe4e1))
	out := make([]door.Frame, 0, n)
	for i := 0; i < n; i++ {
		var f door.Frame
		if i%3 == 2 {
			f = Empty(rng.Uint64(), 2+rng.Float64()*4)
		} else {
			card, _, err := HeldCard("", rng)
			if err != nil {
				return nil, err
			}
			h := RandomHeld(rng)
			h.NoCode = true
			f = RenderHeld(card, h)
		}
		f.Seq = uint64(i + 1)
		out = append(out, f)
	}
	return out, nil
}

// SG1Text and SG2Text return identity-code-like texts of the lengths real
// cards have: SG1 codes of 260–292 characters (QR version 12 at ECC Q),
// SG2 codes of 176–186 (version 9).
func SG1Text(rng *rand.Rand) string { return prefixed("SG1:", 256+rng.IntN(33), rng) }

// SG2Text is SG1Text for the compact format.
func SG2Text(rng *rand.Rand) string { return prefixed("SG2:", 172+rng.IntN(11), rng) }

func prefixed(p string, n int, rng *rand.Rand) string {
	b := []byte(p)
	for range n {
		b = append(b, alnum[rng.IntN(len(alnum))])
	}
	return string(b)
}

// RenderHeld photographs card under h and returns a packed 640×480 frame.
func RenderHeld(card *image.Gray, h Held) door.Frame {
	rng := rand.New(rand.NewPCG(h.Seed, 0x4e1d))
	card = thumbed(card, h, rng)
	buf := make([]float32, Width*Height)
	background(buf, rng)
	cw, ch := float64(card.Bounds().Dx()), float64(card.Bounds().Dy())
	p := h.Params
	// Scale so that a version-12 symbol (65 of the box's 73 modules)
	// spans QRPx pixels facing the camera; SG2 shares the box.
	p.Scale = h.QRPx / (float64(HeldBoxPx) * 65 / 73 / cw) / Width
	if !h.NoCode {
		p.AimU, p.AimV = heldQRCentre()
	}
	W := p.Scale * Width / focal
	H := W * ch / cw
	R := rotation(p.TiltX, p.TiltY, p.Roll)
	T := [3]float64{p.OffsetX * Width / focal, p.OffsetY * Height / focal, 1}
	// Card frame: columns of R are its u, v and normal axes.
	n := [3]float64{R[0][2], R[1][2], R[2][2]}
	nT := n[0]*T[0] + n[1]*T[1] + n[2]*T[2]
	bend := h.Bend * W
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			d := [3]float64{(float64(x) + 0.5 - Width/2) / focal, (float64(y) + 0.5 - Height/2) / focal, 1}
			nd := n[0]*d[0] + n[1]*d[1] + n[2]*d[2]
			if math.Abs(nd) < 1e-9 {
				continue
			}
			// Ray against the bent surface w = bend·(1-(2u/W)²), by a few
			// fixed-point steps from the flat card.
			t := nT / nd
			var lu, lv float64
			for it := 0; ; it++ {
				q := [3]float64{t*d[0] - T[0], t*d[1] - T[1], t*d[2] - T[2]}
				lu = R[0][0]*q[0] + R[1][0]*q[1] + R[2][0]*q[2]
				lv = R[0][1]*q[0] + R[1][1]*q[1] + R[2][1]*q[2]
				if bend == 0 || it == 4 {
					break
				}
				a := 2 * (lu/W + p.AimU - 0.5)
				w := bend * (1 - a*a)
				t = (nT + w) / nd
			}
			u := (lu/W + p.AimU) * cw
			v := (lv/H + p.AimV) * ch
			if u < 0 || v < 0 || u >= cw || v >= ch {
				continue
			}
			val := sample(card, u-0.5, v-0.5)
			if bend != 0 { // the bent card's far side catches less light
				a := 2 * (u/cw - 0.5)
				val *= float32(1 - 0.2*math.Abs(h.Bend)/0.06*a*a)
			}
			buf[y*Width+x] = val
		}
	}
	if h.Rest {
		rest(buf, rng)
	}
	light(buf, h, rng)
	if h.Glare > 0 {
		gx, gy := Width/2+(rng.Float64()*2-1)*200, Height/2+(rng.Float64()*2-1)*150
		r := 15 + rng.Float64()*50
		for y := 0; y < Height; y++ {
			for x := 0; x < Width; x++ {
				dx, dy := float64(x)-gx, float64(y)-gy
				buf[y*Width+x] += float32(h.Glare * math.Exp(-(dx*dx+dy*dy)/(2*r*r)))
			}
		}
	}
	if h.Motion > 0 {
		motionBlur(buf, h.Motion, h.MotionDir)
	}
	if h.Blur > 0.05 {
		gaussianBlur(buf, Width, Height, h.Blur)
	}
	return expose(buf, rng, h.Noise, h.JPEG)
}

// thumbed returns card with a thumb over one of its edges when h asks: a
// soft-edged ellipse of skin tone, reaching into the card from the left,
// bottom or right edge, sometimes over the QR's quiet zone.
func thumbed(card *image.Gray, h Held, rng *rand.Rand) *image.Gray {
	if !h.Thumb {
		return card
	}
	c := image.NewGray(card.Bounds())
	copy(c.Pix, card.Pix)
	w, ht := float64(card.Bounds().Dx()), float64(card.Bounds().Dy())
	var cx, cy float64
	switch rng.IntN(3) {
	case 0: // bottom edge, under the QR
		cx, cy = w*(0.6+0.35*rng.Float64()), ht*(1.02+0.06*rng.Float64())
	case 1: // right edge
		cx, cy = w*(1.02+0.05*rng.Float64()), ht*(0.3+0.6*rng.Float64())
	default: // left edge, over the photo
		cx, cy = w*(-0.02+0.05*rng.Float64()), ht*(0.3+0.6*rng.Float64())
	}
	rx, ry := 90+rng.Float64()*50, 120+rng.Float64()*60
	tone := 140 + rng.Float64()*60
	for y := 0; y < card.Bounds().Dy(); y++ {
		for x := 0; x < card.Bounds().Dx(); x++ {
			dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
			r := dx*dx + dy*dy
			if r >= 1.15 {
				continue
			}
			a := math.Min(1, (1.15-r)/0.15)
			shade := tone * (1 - 0.25*r) // rounder towards the edge
			i := y*c.Stride + x
			c.Pix[i] = byte(float64(c.Pix[i])*(1-a) + shade*a)
		}
	}
	return c
}

// rest draws the border of a card rest: a dark or pale bar across the
// lower part of the frame, in front of the card.
func rest(buf []float32, rng *rand.Rand) {
	y0 := int(Height * (0.72 + 0.2*rng.Float64()))
	slope := (rng.Float64()*2 - 1) * 0.08
	v := float32(30 + rng.Float64()*190)
	for x := 0; x < Width; x++ {
		top := y0 + int(slope*float64(x-Width/2))
		for y := max(top, 0); y < Height; y++ {
			edge := float32(1)
			if y-top < 6 { // a bevel
				edge = 1.25
			}
			buf[y*Width+x] = v * edge
		}
	}
}

// light applies the scene light: overall gain, a gradient across the
// frame, and a soft shadow of a hand over part of it.
func light(buf []float32, h Held, rng *rand.Rand) {
	gx, gy := math.Cos(h.LightDir)*h.LightGrad/Width, math.Sin(h.LightDir)*h.LightGrad/Height
	var sx, sy, sd float64
	if h.Shadow > 0 {
		a := rng.Float64() * 2 * math.Pi
		sx, sy = math.Cos(a), math.Sin(a)
		sd = (rng.Float64()*2 - 1) * 150
	}
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			dx, dy := float64(x)-Width/2, float64(y)-Height/2
			g := h.Light * (1 + gx*dx + gy*dy)
			if h.Shadow > 0 {
				s := (dx*sx + dy*sy - sd) / 25 // soft edge, 25 px
				g *= 1 - h.Shadow/(1+math.Exp(-s))
			}
			buf[y*Width+x] *= float32(math.Max(0.05, g))
		}
	}
}

// motionBlur averages along a line of length l pixels in direction a.
func motionBlur(buf []float32, l, a float64) {
	steps := int(math.Ceil(l)) + 1
	src := make([]float32, len(buf))
	copy(src, buf)
	dx, dy := math.Cos(a), math.Sin(a)
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			var s float32
			for k := 0; k < steps; k++ {
				t := (float64(k)/float64(steps-1) - 0.5) * l
				sx := max(0, min(Width-1, x+int(math.Round(t*dx))))
				sy := max(0, min(Height-1, y+int(math.Round(t*dy))))
				s += src[sy*Width+sx]
			}
			buf[y*Width+x] = s / float32(steps)
		}
	}
}
