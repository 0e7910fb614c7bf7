package camsim

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"

	"github.com/scangate/scangate/door"
)

// Frame size of the simulated camera.
const (
	Width  = 640
	Height = 480
	focal  = 600.0
)

// Params describes one shot of a card.
type Params struct {
	Scale   float64 // card width as a fraction of the frame width when facing the camera
	TiltX   float64 // degrees the card is turned about its horizontal axis
	TiltY   float64 // degrees the card is turned about its vertical axis
	Roll    float64 // degrees the card is turned in its own plane
	OffsetX float64 // card centre offset from the frame centre, fraction of width
	OffsetY float64 // same, fraction of height
	AimU    float64 // point of the card the camera is aimed at, fraction of its width (0.5 centre)
	AimV    float64 // same, fraction of its height
	Blur    float64 // Gaussian sigma in pixels (defocus, motion)
	Noise   float64 // sensor noise standard deviation in gray levels
	Glare   float64 // peak brightness added by a specular highlight, 0..255
	JPEG    int     // JPEG quality of a round trip (MJPEG cameras); 0 for none
	Invert  bool    // white-on-black print
	Seed    uint64  // seeds the background, noise and glare position
}

// RandomParams draws the conditions of a card held to a kiosk camera at
// 5–15 cm: mostly facing it, sometimes tilted up to 35°.
func RandomParams(rng *rand.Rand) Params {
	tilt, dir := rng.Float64()*35, rng.Float64()*2*math.Pi
	p := Params{
		Scale:   0.5 + 0.4*rng.Float64(),
		TiltX:   tilt * math.Cos(dir),
		TiltY:   tilt * math.Sin(dir),
		Roll:    (rng.Float64()*2 - 1) * 25,
		AimU:    0.5,
		AimV:    0.5,
		OffsetX: (rng.Float64()*2 - 1) * 0.08,
		OffsetY: (rng.Float64()*2 - 1) * 0.08,
		Blur:    rng.Float64() * 1.6,
		Noise:   1 + rng.Float64()*7,
		Seed:    rng.Uint64(),
	}
	if rng.IntN(3) == 0 {
		p.Glare = 60 + rng.Float64()*120
	}
	if rng.IntN(2) == 0 {
		p.JPEG = 50 + rng.IntN(41)
	}
	return p
}

// Render photographs card (gray, any size) under p and returns a packed
// 640×480 frame with its own buffer.
func Render(card *image.Gray, p Params) door.Frame {
	rng := rand.New(rand.NewPCG(p.Seed, 0x5ca9))
	buf := make([]float32, Width*Height)
	background(buf, rng)

	cw, ch := float64(card.Bounds().Dx()), float64(card.Bounds().Dy())
	// World units: the card is W wide at distance 1.
	W := p.Scale * Width / focal
	H := W * ch / cw
	R := rotation(p.TiltX, p.TiltY, p.Roll)
	T := [3]float64{p.OffsetX * Width / focal, p.OffsetY * Height / focal, 1}
	n := [3]float64{R[0][2], R[1][2], R[2][2]}
	nT := n[0]*T[0] + n[1]*T[1] + n[2]*T[2]
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			d := [3]float64{(float64(x) + 0.5 - Width/2) / focal, (float64(y) + 0.5 - Height/2) / focal, 1}
			nd := n[0]*d[0] + n[1]*d[1] + n[2]*d[2]
			if math.Abs(nd) < 1e-9 {
				continue
			}
			t := nT / nd
			q := [3]float64{t*d[0] - T[0], t*d[1] - T[1], t*d[2] - T[2]}
			// Local card coordinates: R transposed times q.
			lu := R[0][0]*q[0] + R[1][0]*q[1] + R[2][0]*q[2]
			lv := R[0][1]*q[0] + R[1][1]*q[1] + R[2][1]*q[2]
			u := (lu/W + p.AimU) * cw
			v := (lv/H + p.AimV) * ch
			if u < 0 || v < 0 || u >= cw || v >= ch {
				continue
			}
			buf[y*Width+x] = sample(card, u-0.5, v-0.5)
		}
	}
	if p.Invert {
		for i, v := range buf {
			buf[i] = 255 - v
		}
	}
	if p.Glare > 0 {
		gx, gy := rng.Float64()*Width, rng.Float64()*Height
		r := 40 + rng.Float64()*80
		for y := 0; y < Height; y++ {
			for x := 0; x < Width; x++ {
				dx, dy := float64(x)-gx, float64(y)-gy
				buf[y*Width+x] += float32(p.Glare * math.Exp(-(dx*dx+dy*dy)/(2*r*r)))
			}
		}
	}
	if p.Blur > 0.05 {
		gaussianBlur(buf, Width, Height, p.Blur)
	}
	return expose(buf, rng, p.Noise, p.JPEG)
}

// Empty renders a scene with no card: what the camera sees between visitors.
func Empty(seed uint64, noise float64) door.Frame {
	rng := rand.New(rand.NewPCG(seed, 0x5ca9))
	buf := make([]float32, Width*Height)
	background(buf, rng)
	gaussianBlur(buf, Width, Height, 1)
	return expose(buf, rng, noise, 0)
}

// expose turns the scene's light into the sensor's frame: noise, then 8-bit
// values, then the MJPEG round trip when jpeg (the quality) is positive.
func expose(buf []float32, rng *rand.Rand, noise float64, jpeg int) door.Frame {
	pix := make([]byte, Width*Height)
	for i, v := range buf {
		v += float32(rng.NormFloat64() * noise)
		pix[i] = byte(math.Max(0, math.Min(255, math.Round(float64(v)))))
	}
	if jpeg > 0 {
		pix = jpegRoundTrip(pix, jpeg)
	}
	return door.Frame{Y: pix, Width: Width, Height: Height, Stride: Width}
}

// WithNoise returns a copy of f with fresh sensor noise: the same still
// scene in the next frame.
func WithNoise(f door.Frame, seed uint64, noise float64) door.Frame {
	rng := rand.New(rand.NewPCG(seed, 0x0150))
	out := door.Frame{Y: make([]byte, f.Width*f.Height), Width: f.Width, Height: f.Height, Stride: f.Width, Seq: f.Seq, At: f.At}
	for y := 0; y < f.Height; y++ {
		for x := 0; x < f.Width; x++ {
			v := float64(f.Y[y*f.Stride+x]) + rng.NormFloat64()*noise
			out.Y[y*f.Width+x] = byte(math.Max(0, math.Min(255, math.Round(v))))
		}
	}
	return out
}

// background fills buf with a dim, smooth gradient and a few shapes.
func background(buf []float32, rng *rand.Rand) {
	base := 40 + rng.Float64()*80
	gx, gy := (rng.Float64()*2-1)*0.08, (rng.Float64()*2-1)*0.08
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			buf[y*Width+x] = float32(base + gx*float64(x) + gy*float64(y))
		}
	}
	for range 3 + rng.IntN(5) {
		x0, y0 := rng.IntN(Width), rng.IntN(Height)
		w, h := 40+rng.IntN(250), 40+rng.IntN(200)
		v := float32(20 + rng.Float64()*150)
		for y := y0; y < min(y0+h, Height); y++ {
			for x := x0; x < min(x0+w, Width); x++ {
				buf[y*Width+x] = v
			}
		}
	}
	gaussianBlur(buf, Width, Height, 6)
}

// rotation returns Rx(tiltX)·Ry(tiltY)·Rz(roll).
func rotation(tx, ty, roll float64) [3][3]float64 {
	a, b, c := tx*math.Pi/180, ty*math.Pi/180, roll*math.Pi/180
	rx := [3][3]float64{{1, 0, 0}, {0, math.Cos(a), -math.Sin(a)}, {0, math.Sin(a), math.Cos(a)}}
	ry := [3][3]float64{{math.Cos(b), 0, math.Sin(b)}, {0, 1, 0}, {-math.Sin(b), 0, math.Cos(b)}}
	rz := [3][3]float64{{math.Cos(c), -math.Sin(c), 0}, {math.Sin(c), math.Cos(c), 0}, {0, 0, 1}}
	return mul3(mul3(rx, ry), rz)
}

func mul3(a, b [3][3]float64) (m [3][3]float64) {
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				m[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return m
}

// sample reads img bilinearly at (u, v) in pixel-centre coordinates.
func sample(img *image.Gray, u, v float64) float32 {
	b := img.Bounds()
	x0, y0 := int(math.Floor(u)), int(math.Floor(v))
	fx, fy := float32(u-float64(x0)), float32(v-float64(y0))
	at := func(x, y int) float32 {
		x = max(0, min(x, b.Dx()-1))
		y = max(0, min(y, b.Dy()-1))
		return float32(img.Pix[y*img.Stride+x])
	}
	top := at(x0, y0)*(1-fx) + at(x0+1, y0)*fx
	bot := at(x0, y0+1)*(1-fx) + at(x0+1, y0+1)*fx
	return top*(1-fy) + bot*fy
}

func gaussianBlur(buf []float32, w, h int, sigma float64) {
	if sigma > 2 {
		// Three box passes approximate a wide Gaussian in linear time.
		r := int(math.Round(math.Sqrt(sigma*sigma+1) - 0.5))
		tmp := make([]float32, len(buf))
		for range 3 {
			boxBlur(buf, tmp, w, h, r)
		}
		return
	}
	r := int(math.Ceil(3 * sigma))
	k := make([]float32, 2*r+1)
	var sum float32
	for i := range k {
		d := float64(i - r)
		k[i] = float32(math.Exp(-d * d / (2 * sigma * sigma)))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	tmp := make([]float32, len(buf))
	for y := 0; y < h; y++ {
		row := buf[y*w : (y+1)*w]
		for x := 0; x < w; x++ {
			var s float32
			for i, kv := range k {
				s += kv * row[max(0, min(w-1, x+i-r))]
			}
			tmp[y*w+x] = s
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float32
			for i, kv := range k {
				s += kv * tmp[max(0, min(h-1, y+i-r))*w+x]
			}
			buf[y*w+x] = s
		}
	}
}

func jpegRoundTrip(pix []byte, quality int) []byte {
	img := &image.Gray{Pix: pix, Stride: Width, Rect: image.Rect(0, 0, Width, Height)}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		return pix // encoding an in-memory gray image does not fail
	}
	out, err := jpeg.Decode(&b)
	if err != nil {
		return pix
	}
	g, ok := out.(*image.Gray)
	if !ok {
		return pix
	}
	res := make([]byte, Width*Height)
	for y := 0; y < Height; y++ {
		copy(res[y*Width:(y+1)*Width], g.Pix[y*g.Stride:])
	}
	return res
}

// boxBlur averages over a (2r+1)² window with running sums, edges clamped.
func boxBlur(buf, tmp []float32, w, h, r int) {
	n := float32(2*r + 1)
	for y := 0; y < h; y++ {
		row := buf[y*w : (y+1)*w]
		var s float32
		for i := -r; i <= r; i++ {
			s += row[max(0, min(w-1, i))]
		}
		for x := 0; x < w; x++ {
			tmp[y*w+x] = s / n
			s += row[min(w-1, x+r+1)] - row[max(0, x-r)]
		}
	}
	for x := 0; x < w; x++ {
		var s float32
		for i := -r; i <= r; i++ {
			s += tmp[max(0, min(h-1, i))*w+x]
		}
		for y := 0; y < h; y++ {
			buf[y*w+x] = s / n
			s += tmp[min(h-1, y+r+1)*w+x] - tmp[max(0, y-r)*w+x]
		}
	}
}
