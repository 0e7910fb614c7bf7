package camera

import (
	"strings"
	"testing"
)

func TestParseControl(t *testing.T) {
	tests := []struct {
		key   string
		value int64
		want  Control
		err   string
	}{
		{"exposure_absolute", 250, Control{Name: "exposure_absolute", ID: CIDExposureAbsolute, Value: 250}, ""},
		{"Exposure Time, Absolute", 250, Control{Name: "exposure_time_absolute", ID: CIDExposureAbsolute, Value: 250}, ""},
		{"focus_auto", 0, Control{Name: "focus_auto", ID: CIDFocusAuto}, ""},
		{"Brightness", 128, Control{Name: "brightness", Value: 128}, ""},
		{"0x00f0f025", 1, Control{ID: 0x00f0f025, Value: 1}, ""},
		{"15790081", 2, Control{ID: 0x00f0f001, Value: 2}, ""},
		{" 0x00F0F001 ", 2, Control{ID: 0x00f0f001, Value: 2}, ""},
		{"", 1, Control{}, "empty"},
		{"0xzz", 1, Control{}, "not a 32-bit number"},
		{"0x100000000", 1, Control{}, "not a 32-bit number"},
		{"0", 1, Control{}, "not a 32-bit number"},
		{"gain", 1 << 40, Control{}, "out of 32-bit range"},
		{", -", 1, Control{}, "no letters"},
	}
	for _, tt := range tests {
		got, err := ParseControl(tt.key, tt.value)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseControl(%q) err = %v, want %q", tt.key, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseControl(%q) = %+v, %v; want %+v", tt.key, got, err, tt.want)
		}
	}
}

func TestParseControlsOrder(t *testing.T) {
	got, err := ParseControls(map[string]int64{
		"exposure_absolute": 100, "focus_absolute": 30, "exposure_auto": 1, "focus_auto": 0, "0x00f0f025": 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range got {
		names = append(names, c.String())
	}
	want := "exposure_auto=1 focus_auto=0 0x00f0f025=1 exposure_absolute=100 focus_absolute=30"
	if s := strings.Join(names, " "); s != want {
		t.Errorf("order %q, want %q", s, want)
	}
	if _, err := ParseControls(map[string]int64{"ok": 1, "0xq": 2}); err == nil {
		t.Error("a bad entry was accepted")
	}
}

func TestResolveControl(t *testing.T) {
	driver := map[uint32]string{0x00980900: "Brightness", 0x009a0902: "Exposure Time, Absolute", 0x00f0f025: "Loop Video"}
	for _, tt := range []struct {
		c    Control
		id   uint32
		okay bool
	}{
		{Control{Name: "brightness"}, 0x00980900, true},
		{Control{Name: "loop_video"}, 0x00f0f025, true},
		{Control{Name: "zoom_absolute"}, 0, false},
		{Control{ID: 0x00f0f001}, 0x00f0f001, true}, // ids are tried as given
	} {
		id, ok := resolveControl(tt.c, driver)
		if id != tt.id || ok != tt.okay {
			t.Errorf("resolveControl(%v) = %#x, %v", tt.c, id, ok)
		}
	}
}

func FuzzParseControl(f *testing.F) {
	for _, s := range []string{"exposure_absolute", "0x00f0f025", "Focus, Absolute", "", "0", "0b101", "é-auto"} {
		f.Add(s, int64(1))
	}
	f.Fuzz(func(t *testing.T, key string, v int64) {
		c, err := ParseControl(key, v)
		if err != nil {
			return
		}
		if c.ID == 0 && c.Name == "" {
			t.Fatalf("ParseControl(%q) = %+v: neither id nor name", key, c)
		}
		if c.Name != "" && normalizeControlName(c.Name) != c.Name {
			t.Fatalf("name %q not normalized", c.Name)
		}
		if int64(c.Value) != v {
			t.Fatalf("value %d became %d", v, c.Value)
		}
	})
}

func TestConfigDefaults(t *testing.T) {
	c, err := Config{Device: "/dev/video0"}.withDefaults()
	if err != nil || c.Width != 640 || c.Height != 480 || c.FPS != 30 || c.Buffers != 3 || c.FrameTimeout == 0 {
		t.Fatalf("defaults = %+v, %v", c, err)
	}
	for _, bad := range []Config{{}, {Device: "x", Buffers: 1}, {Device: "x", Width: -1, Height: 2}, {Device: "x", FPS: -3}} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}
