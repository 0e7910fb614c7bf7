package lcd

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"unsafe"
)

var (
	green = color.RGBA{0x00, 0x8a, 0x3e, 0xff}
	red   = color.RGBA{0xc8, 0x10, 0x1e, 0xff}
	amber = color.RGBA{0xf5, 0xa6, 0x00, 0xff}
)

// golden compares img with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, img image.Image) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if !want.Bounds().Eq(img.Bounds()) {
		t.Fatalf("%s: bounds %v, golden %v", name, img.Bounds(), want.Bounds())
	}
	diff := 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r1, g1, b1, _ := img.At(x, y).RGBA()
			r2, g2, b2, _ := want.At(x, y).RGBA()
			if r1>>8 != r2>>8 || g1>>8 != g2>>8 || b1>>8 != b2>>8 {
				diff++
			}
		}
	}
	if diff > 0 {
		t.Errorf("%s: %d pixels differ from the golden image (run with -update and look at it)", name, diff)
	}
}

func TestRenderGolden(t *testing.T) {
	r := NewTextRenderer(0.24, 0.11)
	for _, tc := range []struct {
		name  string
		bg    color.Color
		lines []string
	}{
		{"fb_pass.png", green, []string{"请通行", "Welcome", "王*英"}},
		{"fb_fail.png", red, []string{"无效码", "Invalid", "已过期", "Expired"}},
		{"fb_fault.png", amber, []string{"设备故障 请找工作人员", "Device fault, see staff"}},
	} {
		img := image.NewRGBA(image.Rect(0, 0, 480, 320))
		if err := r.Render(img, tc.bg, tc.lines); err != nil {
			t.Fatal(err)
		}
		golden(t, tc.name, img)
		// Sanity that does not depend on the golden file: text was drawn
		// in the text colour, centred, and the corners keep the background.
		if img.At(0, 0) != color.RGBAModel.Convert(tc.bg) || img.At(479, 319) != color.RGBAModel.Convert(tc.bg) {
			t.Errorf("%s: corners are not the background", tc.name)
		}
		left, right := inkColumns(img, tc.bg)
		if left < 0 || abs((left+right)-479) > 8 {
			t.Errorf("%s: text spans columns %d..%d, not centred", tc.name, left, right)
		}
	}
}

func inkColumns(img *image.RGBA, bg color.Color) (left, right int) {
	left, right = -1, -1
	want := color.RGBAModel.Convert(bg)
	b := img.Bounds()
	for x := b.Min.X; x < b.Max.X; x++ {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			if img.At(x, y) != want {
				if left < 0 {
					left = x
				}
				right = x
				break
			}
		}
	}
	return left, right
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func TestTextColor(t *testing.T) {
	if TextColor(amber) != color.Black || TextColor(green) != color.White || TextColor(red) != color.White {
		t.Error("text colour: want black on amber, white on green and red")
	}
}

func TestFBStructLayout(t *testing.T) {
	if s := unsafe.Sizeof(fbVarScreenInfo{}); s != 160 {
		t.Errorf("fb_var_screeninfo is %d bytes, want 160", s)
	}
	want := uintptr(80) // 64-bit: unsigned long fields are 8 bytes
	if unsafe.Sizeof(uintptr(0)) == 4 {
		want = 68
	}
	if s := unsafe.Sizeof(fbFixScreenInfo{}); s != want {
		t.Errorf("fb_fix_screeninfo is %d bytes, want %d", s, want)
	}
	if o := unsafe.Offsetof(fbFixScreenInfo{}.LineLength); o != 48 && want == 80 {
		t.Errorf("line_length at %d, want 48", o)
	}
}

// fakeFB makes a regular file of the framebuffer's size and maps it the
// way OpenFramebuffer maps the device.
func fakeFB(t *testing.T, g Geometry) (*Framebuffer, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fb0")
	if err := os.WriteFile(path, make([]byte, g.Stride*g.Height), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := MapFramebuffer(f, g)
	if err != nil {
		t.Fatal(err)
	}
	return fb, path
}

func TestFramebufferPacking(t *testing.T) {
	for _, tc := range []struct {
		name string
		g    Geometry
		// expected bytes of the first pixel for the pass green
		first []byte
	}{
		// 0x00,0x8a,0x3e -> R 0, G 0x8a>>2=0x22, B 0x3e>>3=0x07: 0x22<<5|7 = 0x0447
		{"RGB565", withSize(RGB565, Geometry{Width: 100, Height: 60, Stride: 224}), []byte{0x47, 0x04}},
		{"XRGB8888", withSize(XRGB8888, Geometry{Width: 100, Height: 60, Stride: 400}), []byte{0x3e, 0x8a, 0x00, 0xff}},
	} {
		fb, path := fakeFB(t, tc.g)
		if err := fb.ShowText(green, []string{"请通行", "王*英"}); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(path) // through the page cache the mapping wrote
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw[:len(tc.first)], tc.first) {
			t.Errorf("%s: first pixel % x, want % x", tc.name, raw[:len(tc.first)], tc.first)
		}
		// Every pixel must be the packed form of the rendered image, and the
		// stride padding untouched.
		bpp := tc.g.BitsPerPixel / 8
		bad := 0
		for y := range tc.g.Height {
			for x := range tc.g.Width {
				c := fb.img.RGBAAt(x, y)
				var got, want uint32
				off := y*tc.g.Stride + x*bpp
				if bpp == 2 {
					got = uint32(binary.LittleEndian.Uint16(raw[off:]))
					want = uint32(c.R>>3)<<11 | uint32(c.G>>2)<<5 | uint32(c.B>>3)
				} else {
					got = binary.LittleEndian.Uint32(raw[off:])
					want = 0xff000000 | uint32(c.R)<<16 | uint32(c.G)<<8 | uint32(c.B)
				}
				if got != want {
					bad++
				}
			}
			for _, b := range raw[y*tc.g.Stride+tc.g.Width*bpp : (y+1)*tc.g.Stride] {
				if b != 0 {
					bad++
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d pixels packed wrong", tc.name, bad)
		}
		if err := fb.Close(); err != nil {
			t.Fatal(err)
		}
		if err := fb.ShowText(green, nil); err == nil {
			t.Error("ShowText after Close succeeded")
		}
	}
}

func TestPackGenericBGR(t *testing.T) {
	g := Geometry{Width: 1, Height: 1, Stride: 2, BitsPerPixel: 16,
		Red: Bitfield{Offset: 0, Length: 5}, Green: Bitfield{Offset: 5, Length: 6}, Blue: Bitfield{Offset: 11, Length: 5}}
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.SetRGBA(0, 0, color.RGBA{0xff, 0, 0, 0xff})
	dst := make([]byte, 2)
	Pack(dst, img, g)
	if v := binary.LittleEndian.Uint16(dst); v != 0x001f {
		t.Errorf("BGR565 red = %#04x, want 0x001f", v)
	}
}

func TestMapFramebufferRejectsBadGeometry(t *testing.T) {
	for _, g := range []Geometry{
		withSize(RGB565, Geometry{Width: 10, Height: 10, Stride: 10}), // stride too short
		withSize(Geometry{BitsPerPixel: 24}, Geometry{Width: 10, Height: 10, Stride: 30}),
		withSize(RGB565, Geometry{Width: 0, Height: 10, Stride: 20}),
	} {
		if err := g.check(); err == nil {
			t.Errorf("geometry %+v accepted", g)
		}
	}
}

func TestOpenFramebufferNotAFramebuffer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fb0")
	os.WriteFile(path, make([]byte, 64), 0o600)
	if _, err := OpenFramebuffer(path); err == nil {
		t.Error("a regular file passed FBIOGET_VSCREENINFO")
	}
}

func BenchmarkFramebufferShowText(b *testing.B) {
	for _, g := range []Geometry{withSize(RGB565, Geometry{Width: 800, Height: 480, Stride: 1600}), withSize(XRGB8888, Geometry{Width: 800, Height: 480, Stride: 3200})} {
		b.Run(map[int]string{16: "RGB565", 32: "XRGB8888"}[g.BitsPerPixel], func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "fb0")
			os.WriteFile(path, make([]byte, g.Stride*g.Height), 0o600)
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			fb, err := MapFramebuffer(f, g)
			if err != nil {
				b.Fatal(err)
			}
			defer fb.Close()
			for b.Loop() {
				if err := fb.ShowText(red, []string{"无效码", "Invalid", "已过期", "Expired"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPack(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 800, 480))
	for _, g := range []Geometry{withSize(RGB565, Geometry{Width: 800, Height: 480, Stride: 1600}), withSize(XRGB8888, Geometry{Width: 800, Height: 480, Stride: 3200})} {
		dst := make([]byte, g.Stride*g.Height)
		b.Run(map[int]string{16: "RGB565", 32: "XRGB8888"}[g.BitsPerPixel], func(b *testing.B) {
			for b.Loop() {
				Pack(dst, img, g)
			}
		})
	}
}
