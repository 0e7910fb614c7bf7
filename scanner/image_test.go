package scanner

import (
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// writeQRPNG encodes text as a QR code (ECC Q) and writes it as a PNG.
func writeQRPNG(t *testing.T, text string, size int) string {
	t.Helper()
	hints := map[gozxing.EncodeHintType]interface{}{gozxing.EncodeHintType_ERROR_CORRECTION: "Q"}
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, size, size, hints)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			if !m.Get(x, y) {
				img.Pix[y*img.Stride+x] = 255
			}
		}
	}
	path := filepath.Join(t.TempDir(), "code.png")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(fh, img); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDecodeFile(t *testing.T) {
	want := "SG1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0B"
	got, err := DecodeFile(writeQRPNG(t, want, 300))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("DecodeFile = %q, want %q", got, want)
	}
}

func TestDecodeFileMissing(t *testing.T) {
	_, err := DecodeFile(filepath.Join(t.TempDir(), "none.png"))
	if err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("DecodeFile(missing) = %v, want a read error", err)
	}
}

func TestDecodeFileBlank(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blank.pgm")
	data := append([]byte("P5\n64 48\n255\n"), make([]byte, 64*48)...)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeFile(path); !errors.Is(err, ErrNotFound) {
		t.Fatalf("DecodeFile(blank) = %v, want ErrNotFound", err)
	}
}
