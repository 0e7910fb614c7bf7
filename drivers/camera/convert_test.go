package camera

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"
)

// naiveDeinterleave is the obvious byte loop the fast path must equal.
func naiveDeinterleave(dst, src []byte, w, h, stride int) {
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dst[y*w+x] = src[y*stride+2*x]
		}
	}
}

func yuyvFrame(w, h, stride int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, stride*h)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b
}

func TestDeinterleaveYUYV(t *testing.T) {
	for _, sz := range []struct{ w, h, stride int }{
		{640, 480, 1280}, {640, 480, 1344}, {7, 3, 14}, {9, 2, 32}, {1, 1, 2}, {17, 5, 40},
	} {
		src := yuyvFrame(sz.w, sz.h, sz.stride, uint64(sz.w))
		got := make([]byte, sz.w*sz.h)
		want := make([]byte, sz.w*sz.h)
		deinterleaveYUYV(got, src, sz.w, sz.h, sz.stride)
		naiveDeinterleave(want, src, sz.w, sz.h, sz.stride)
		if !bytes.Equal(got, want) {
			t.Errorf("%dx%d stride %d: fast path differs from byte loop", sz.w, sz.h, sz.stride)
		}
	}
}

func FuzzDeinterleaveYUYV(f *testing.F) {
	f.Add(uint8(8), uint8(2), uint8(0), []byte("YUYVYUYVYUYVYUYVYUYVYUYVYUYVYUYVYUYVYUYV"))
	f.Add(uint8(3), uint8(3), uint8(5), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33})
	f.Fuzz(func(t *testing.T, w8, h8, pad uint8, src []byte) {
		w, h := int(w8%64)+1, int(h8%8)+1
		stride := 2*w + int(pad%32)
		if len(src) < stride*(h-1)+2*w {
			return
		}
		got, want := make([]byte, w*h), make([]byte, w*h)
		deinterleaveYUYV(got, src, w, h, stride)
		naiveDeinterleave(want, src, w, h, stride)
		if !bytes.Equal(got, want) {
			t.Fatalf("%dx%d stride %d differs", w, h, stride)
		}
	})
}

func testJPEG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// gradient is a colour image whose luma rises left to right.
func gradient(w, h int) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio422)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.Y[y*m.YStride+x] = byte(x * 255 / (w - 1))
		}
	}
	for i := range m.Cb {
		m.Cb[i], m.Cr[i] = 90, 160
	}
	return m
}

// stripDHT removes the Huffman tables, as AVI1-style UVC MJPEG frames do.
func stripDHT(b []byte) []byte {
	out := append([]byte(nil), b[:2]...)
	i := 2
	for i+4 <= len(b) && b[i+1] != 0xda {
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if b[i+1] != 0xc4 {
			out = append(out, b[i:i+2+n]...)
		}
		i += 2 + n
	}
	return append(out, b[i:]...)
}

func TestDecodeJPEGLuma(t *testing.T) {
	colour := testJPEG(t, gradient(160, 120))
	grey := image.NewGray(image.Rect(0, 0, 160, 120))
	copy(grey.Pix, gradient(160, 120).Y)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"YCbCr", colour},
		{"Gray", testJPEG(t, grey)},
		{"no DHT", stripDHT(colour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var scratch []byte
			y, w, h, stride, err := decodeJPEGLuma(tc.data, &scratch)
			if err != nil {
				t.Fatal(err)
			}
			if w != 160 || h != 120 || stride < w || len(y) < stride*(h-1)+w {
				t.Fatalf("plane %dx%d stride %d len %d", w, h, stride, len(y))
			}
			for _, x := range []int{0, 40, 80, 159} {
				got, want := int(y[60*stride+x]), x*255/159
				if got < want-4 || got > want+4 {
					t.Errorf("Y(%d,60) = %d, want %d±4", x, got, want)
				}
			}
		})
	}
	if _, ok := needsDefaultHuffman(colour); ok {
		t.Error("a JPEG with tables was thought to lack them")
	}
	var scratch []byte
	if _, _, _, _, err := decodeJPEGLuma([]byte("not a jpeg"), &scratch); err == nil {
		t.Error("garbage decoded")
	}
	if _, _, _, _, err := decodeJPEGLuma(colour[:len(colour)/3], &scratch); err == nil {
		t.Error("a truncated frame decoded")
	}
}

func FuzzDecodeJPEGLuma(f *testing.F) {
	colour := testJPEG(f, gradient(32, 16))
	f.Add(colour)
	f.Add(stripDHT(colour))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xda, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		var scratch []byte
		y, w, h, stride, err := decodeJPEGLuma(b, &scratch)
		if err == nil && (w <= 0 || h <= 0 || len(y) < stride*(h-1)+w) {
			t.Fatalf("plane %dx%d stride %d len %d", w, h, stride, len(y))
		}
	})
}

func benchDeinterleave(b *testing.B, w, h int) {
	src := yuyvFrame(w, h, 2*w, 1)
	dst := make([]byte, w*h)
	b.SetBytes(int64(w * h))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		deinterleaveYUYV(dst, src, w, h, 2*w)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
}

// BenchmarkDeinterleaveYUYV is the per-frame price of the YUYV path.
func BenchmarkDeinterleaveYUYV(b *testing.B) {
	b.Run("640x480", func(b *testing.B) { benchDeinterleave(b, 640, 480) })
	b.Run("1280x720", func(b *testing.B) { benchDeinterleave(b, 1280, 720) })
}

// BenchmarkDeinterleaveNaive is the byte loop, for the ratio.
func BenchmarkDeinterleaveNaive(b *testing.B) {
	src := yuyvFrame(640, 480, 1280, 1)
	dst := make([]byte, 640*480)
	b.ReportAllocs()
	for b.Loop() {
		naiveDeinterleave(dst, src, 640, 480, 1280)
	}
}

// BenchmarkCopyGrey is a plain copy of a 640×480 plane: the floor any
// consumer that copies luminance (gozxing's GetMatrix does) pays anyway.
func BenchmarkCopyGrey(b *testing.B) {
	src := make([]byte, 640*480)
	dst := make([]byte, 640*480)
	b.ReportAllocs()
	for b.Loop() {
		copy(dst, src)
	}
}

// BenchmarkDecodeJPEGLuma is the per-frame price of the MJPEG path.
func BenchmarkDecodeJPEGLuma(b *testing.B) {
	data := testJPEG(b, gradient(640, 480))
	var scratch []byte
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, _, err := decodeJPEGLuma(data, &scratch); err != nil {
			b.Fatal(err)
		}
	}
}
