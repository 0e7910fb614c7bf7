package camera

import (
	"encoding/binary"
	"errors"
	"testing"
)

func discrete(w, h int, fps float64) FrameSize {
	return FrameSize{MinWidth: w, MaxWidth: w, MinHeight: h, MaxHeight: h, MaxFPS: fps}
}

func TestChooseFormat(t *testing.T) {
	uvc := []FormatOption{ // a typical UVC webcam
		{Format: FormatMJPEG, Sizes: []FrameSize{discrete(640, 480, 30), discrete(1280, 720, 30), discrete(1920, 1080, 30)}},
		{Format: FormatYUYV, Sizes: []FrameSize{discrete(640, 480, 30), discrete(1280, 720, 10), discrete(1920, 1080, 5)}},
	}
	tests := []struct {
		name       string
		opts       []FormatOption
		w, h, fps  int
		want       FormatChoice
		wantErrNot bool
	}{
		{"YUYV beats MJPEG at the same size and rate", uvc, 640, 480, 30, FormatChoice{FormatYUYV, 640, 480, 30}, false},
		{"MJPEG when YUYV cannot reach the rate", uvc, 1280, 720, 30, FormatChoice{FormatMJPEG, 1280, 720, 30}, false},
		{"YUYV when the rate allows it", uvc, 1280, 720, 10, FormatChoice{FormatYUYV, 1280, 720, 10}, false},
		{"smallest larger size when none is exact", uvc, 800, 600, 30, FormatChoice{FormatMJPEG, 1280, 720, 30}, false},
		{"largest when none is large enough", uvc, 4000, 3000, 5, FormatChoice{FormatYUYV, 1920, 1080, 5}, false},
		{"GREY first", append([]FormatOption{{Format: FormatGrey, Sizes: []FrameSize{discrete(640, 480, 0)}}}, uvc...),
			640, 480, 30, FormatChoice{FormatGrey, 640, 480, 0}, false},
		{"size before format", append([]FormatOption{{Format: FormatGrey, Sizes: []FrameSize{discrete(320, 240, 30)}}}, uvc...),
			640, 480, 30, FormatChoice{FormatYUYV, 640, 480, 30}, false},
		{"stepwise rounds up to the step", []FormatOption{{Format: FormatYUYV, Sizes: []FrameSize{
			{MinWidth: 48, MaxWidth: 4096, StepWidth: 16, MinHeight: 32, MaxHeight: 2160, StepHeight: 8}}}},
			650, 481, 30, FormatChoice{FormatYUYV, 656, 488, 0}, false},
		{"continuous takes the wanted size", []FormatOption{{Format: FormatYUYV, Sizes: []FrameSize{{}}}},
			1280, 720, 30, FormatChoice{FormatYUYV, 1280, 720, 0}, false},
		{"JPEG fourcc counts as MJPEG", []FormatOption{{Format: FormatJPEG, Sizes: []FrameSize{discrete(640, 480, 30)}}},
			640, 480, 30, FormatChoice{FormatJPEG, 640, 480, 30}, false},
		{"unusable formats only", []FormatOption{{Format: fourcc('R', 'G', 'B', '3'), Sizes: []FrameSize{discrete(640, 480, 30)}}},
			640, 480, 30, FormatChoice{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chooseFormat(tt.opts, tt.w, tt.h, tt.fps)
			if tt.wantErrNot {
				if !errors.Is(err, ErrNoUsableFormat) {
					t.Fatalf("err = %v, want ErrNoUsableFormat", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("chooseFormat = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestChooseForcedFormat(t *testing.T) {
	opts := []FormatOption{
		{Format: FormatGrey, Sizes: []FrameSize{discrete(1280, 720, 30)}},
		{Format: FormatYUYV, Sizes: []FrameSize{{}}}, // vivid's HDMI input enumerates no sizes
		{Format: FormatJPEG, Sizes: []FrameSize{discrete(640, 480, 30)}},
	}
	got, err := chooseFormat(onlyFormat(opts, FormatYUYV), 1280, 720, 30)
	if err != nil || got.Format != FormatYUYV {
		t.Errorf("forced YUYV: %+v, %v", got, err)
	}
	got, err = chooseFormat(onlyFormat(opts, FormatMJPEG), 1280, 720, 30)
	if err != nil || got.Format != FormatJPEG {
		t.Errorf("forced MJPG on a JPEG camera: %+v, %v", got, err)
	}
	if _, err := chooseFormat(onlyFormat(opts[:1], FormatYUYV), 640, 480, 30); !errors.Is(err, ErrNoUsableFormat) {
		t.Errorf("forced format the camera lacks: %v", err)
	}
}

func pixBytes(w, h uint32, f PixelFormat, bpl, size uint32) []byte {
	b := make([]byte, 200)
	for i, v := range []uint32{w, h, uint32(f), 1, bpl, size} {
		binary.NativeEndian.PutUint32(b[4*i:], v)
	}
	return b
}

func TestParsePixFormat(t *testing.T) {
	pf, err := parsePixFormat(pixBytes(640, 480, FormatGrey, 704, 704*480))
	if err != nil || pf != (pixFormat{640, 480, FormatGrey, 704, 704 * 480}) {
		t.Fatalf("GREY padded: %+v, %v", pf, err)
	}
	if pf.frameBytes() != 704*479+640 {
		t.Errorf("frameBytes = %d", pf.frameBytes())
	}
	pf, err = parsePixFormat(pixBytes(1280, 720, FormatYUYV, 0, 0))
	if err != nil || pf.BytesPerLine != 2560 {
		t.Fatalf("YUYV without bytesperline: %+v, %v", pf, err)
	}
	for _, b := range [][]byte{
		pixBytes(640, 480, FormatYUYV, 640, 0),               // bytesperline < 2×width
		pixBytes(0, 480, FormatGrey, 0, 0),                   // no width
		pixBytes(640, 480, fourcc('R', 'G', 'B', '3'), 0, 0), // not ours
		make([]byte, 10),
	} {
		if pf, err := parsePixFormat(b); err == nil {
			t.Errorf("parsePixFormat accepted %+v", pf)
		}
	}
}

// FuzzParsePixFormat: whatever the driver answers, an accepted format
// must be safe to index with frameBytes.
func FuzzParsePixFormat(f *testing.F) {
	f.Add(pixBytes(640, 480, FormatGrey, 704, 0))
	f.Add(pixBytes(1280, 720, FormatYUYV, 2560, 1843200))
	f.Add(pixBytes(1920, 1080, FormatMJPEG, 0, 1<<20))
	f.Fuzz(func(t *testing.T, b []byte) {
		pf, err := parsePixFormat(b)
		if err != nil {
			return
		}
		if pf.Width <= 0 || pf.Height <= 0 {
			t.Fatalf("accepted %+v", pf)
		}
		if pf.Format != FormatMJPEG && pf.Format != FormatJPEG {
			row := pf.Width
			if pf.Format == FormatYUYV {
				row *= 2
			}
			if pf.BytesPerLine < row || pf.frameBytes() < row*pf.Height {
				t.Fatalf("accepted %+v: frameBytes %d", pf, pf.frameBytes())
			}
		}
	})
}

func TestPixelFormatString(t *testing.T) {
	if s := FormatYUYV.String(); s != "YUYV" {
		t.Errorf("YUYV.String() = %q", s)
	}
	if s := PixelFormat(0x01).String(); s != "????" {
		t.Errorf("unprintable fourcc = %q", s)
	}
}

func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"", "auto", "GREY", "yuyv", " MJPEG ", "JPEG", "RGB3", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseFormat(s)
		if err == nil && p != 0 && formatRank(p) < 0 {
			t.Fatalf("ParseFormat(%q) = %s, which the driver cannot read", s, p)
		}
	})
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]PixelFormat{"": 0, "Auto": 0, "grey": FormatGrey, "YUYV": FormatYUYV, "mjpeg": FormatMJPEG} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("NV12"); err == nil {
		t.Error("NV12 accepted")
	}
}
