package camera

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config selects and sets up one V4L2 capture device.
type Config struct {
	// Device is the node to open. Prefer a stable /dev/v4l/by-id/... link:
	// it survives replugging into another port. Links are resolved anew on
	// every open.
	Device        string
	Width, Height int // requested frame size; 0 means 640×480
	FPS           int // requested frame rate; 0 means 30
	// Buffers is the number of mmap buffers requested with SetBufferCount
	// (the library's default is 256). 0 means 3: one held by the decoder,
	// two queued so the driver never stalls while a frame is decoded.
	Buffers int
	// Format forces a pixel format (FormatGrey, FormatYUYV, FormatMJPEG);
	// 0 lets chooseFormat pick. vivid loops output to capture only when
	// both use the same fourcc, so the VM test sets YUYV.
	Format PixelFormat
	// Input is the V4L2 input index selected with VIDIOC_S_INPUT before the
	// format is set; -1 keeps the driver's. vivid's HDMI loopback is 3.
	Input int
	// Controls are applied in order after the format; put an "auto" control
	// before its manual value (exposure_auto=1 before exposure_absolute).
	Controls []Control
	// FrameTimeout is how long NextFrame waits for a frame before it
	// returns ErrTimeout; 0 means 2 s.
	FrameTimeout time.Duration
	// RetryMin and RetryMax bound the wait between reopen attempts, which
	// doubles from RetryMin; 0 means 100 ms and 1 s.
	RetryMin, RetryMax time.Duration
	Logger             *slog.Logger // nil means slog.Default()
}

func (c Config) withDefaults() (Config, error) {
	if c.Device == "" {
		return c, errors.New("camera: no device path")
	}
	if c.Width == 0 && c.Height == 0 {
		c.Width, c.Height = 640, 480
	}
	if c.Width <= 0 || c.Height <= 0 || c.Width > 8192 || c.Height > 8192 {
		return c, fmt.Errorf("camera: frame size %dx%d out of range", c.Width, c.Height)
	}
	if c.FPS == 0 {
		c.FPS = 30
	}
	if c.FPS < 0 || c.FPS > 1000 {
		return c, fmt.Errorf("camera: frame rate %d out of range", c.FPS)
	}
	if c.Buffers == 0 {
		c.Buffers = 3
	}
	if c.Buffers < 2 || c.Buffers > 32 {
		return c, fmt.Errorf("camera: buffer count %d out of range 2..32", c.Buffers)
	}
	if c.Format != 0 && formatRank(c.Format) < 0 {
		return c, fmt.Errorf("camera: format %s not supported (GREY, YUYV, MJPG)", c.Format)
	}
	if c.FrameTimeout <= 0 {
		c.FrameTimeout = 2 * time.Second
	}
	if c.RetryMin <= 0 {
		c.RetryMin = 100 * time.Millisecond
	}
	if c.RetryMax <= 0 {
		c.RetryMax = time.Second
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = c.RetryMin
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// Control is one V4L2 control to set when the device opens. A nonzero ID
// is used as is; otherwise Name is looked up among the well-known names
// below and then among the names the driver reports, compared without case
// or punctuation ("Exposure Time, Absolute" = "exposure_time_absolute").
// A control the camera lacks is logged as a warning, never fatal: the same
// configuration serves cameras with and without manual focus.
type Control struct {
	Name  string
	ID    uint32
	Value int32
}

func (c Control) String() string {
	if c.Name != "" {
		return fmt.Sprintf("%s=%d", c.Name, c.Value)
	}
	return fmt.Sprintf("%#08x=%d", c.ID, c.Value)
}

// V4L2 camera-class control ids (linux/v4l2-controls.h,
// V4L2_CID_CAMERA_CLASS_BASE 0x009a0900 + n).
const (
	CIDExposureAuto     uint32 = 0x009a0901 // menu: 0 auto, 1 manual, 2 shutter priority, 3 aperture priority
	CIDExposureAbsolute uint32 = 0x009a0902 // in 100 µs units
	CIDFocusAbsolute    uint32 = 0x009a090a
	CIDFocusAuto        uint32 = 0x009a090c // boolean: continuous autofocus
)

// wellKnownControls maps the short names used in scangate.toml to ids, so
// a config works whatever the driver calls the control.
var wellKnownControls = map[string]uint32{
	"exposure_auto":              CIDExposureAuto,
	"auto_exposure":              CIDExposureAuto,
	"exposure_absolute":          CIDExposureAbsolute,
	"exposure_time_absolute":     CIDExposureAbsolute,
	"focus_absolute":             CIDFocusAbsolute,
	"focus_auto":                 CIDFocusAuto,
	"focus_automatic_continuous": CIDFocusAuto,
}

// normalizeControlName folds a control name to lower case words joined by
// single underscores.
func normalizeControlName(s string) string {
	var b strings.Builder
	pending := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if pending && b.Len() > 0 {
				b.WriteByte('_')
			}
			pending = false
			b.WriteRune(r)
			continue
		}
		pending = true
	}
	return b.String()
}

// ParseControl turns one configuration entry into a Control. key is a
// control name ("exposure_absolute", "Focus, Absolute") or a numeric id
// ("0x00f0f025" or decimal); value must fit in 32 bits.
func ParseControl(key string, value int64) (Control, error) {
	k := strings.TrimSpace(key)
	if k == "" {
		return Control{}, errors.New("camera: empty control name")
	}
	if value < math.MinInt32 || value > math.MaxInt32 {
		return Control{}, fmt.Errorf("camera: control %q: value %d out of 32-bit range", k, value)
	}
	if k[0] >= '0' && k[0] <= '9' {
		id, err := strconv.ParseUint(k, 0, 32)
		if err != nil || id == 0 {
			return Control{}, fmt.Errorf("camera: control id %q: not a 32-bit number", k)
		}
		return Control{ID: uint32(id), Value: int32(value)}, nil
	}
	n := normalizeControlName(k)
	if n == "" {
		return Control{}, fmt.Errorf("camera: control name %q has no letters", k)
	}
	return Control{Name: n, ID: wellKnownControls[n], Value: int32(value)}, nil
}

// ParseControls parses a [camera.controls] table. Map order is random, so
// the result is ordered: "auto" switches first (a manual value is refused
// while its auto mode is on), then by name or id.
func ParseControls(m map[string]int64) ([]Control, error) {
	out := make([]Control, 0, len(m))
	for k, v := range m {
		c, err := ParseControl(k, v)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		ai, aj := isAutoControl(out[i]), isAutoControl(out[j])
		if ai != aj {
			return ai
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func isAutoControl(c Control) bool {
	return c.ID == CIDExposureAuto || c.ID == CIDFocusAuto || strings.Contains(c.Name, "auto")
}

// resolveControl finds the id of c on a device whose controls are named
// by driverNames (id → name as the driver reports it).
func resolveControl(c Control, driverNames map[uint32]string) (uint32, bool) {
	if c.ID != 0 {
		return c.ID, true
	}
	for id, name := range driverNames {
		if normalizeControlName(name) == c.Name {
			return id, true
		}
	}
	return 0, false
}
