// Package config reads scangate.toml, the one file a technician edits (on the
// device it sits on the FAT boot partition, editable from any PC).
//
// Parsing is strict: an unknown key or a bad value is an error that names the
// file, the line and the key, because a typo that silently falls back to a
// default would leave a kiosk at a door doing the wrong thing. Defaults work
// with one USB camera and the GPIO pins documented in scangate.example.toml.
//
// The package holds plain values only; cmd/scangated maps them onto the
// drivers' own option types, so no driver depends on the file format.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// MaxSize bounds the config file: it is outside input on a FAT partition.
const MaxSize = 256 << 10

// Duration is a time.Duration written as "500ms", "10m", "672h".
type Duration struct{ time.Duration }

// UnmarshalText parses Go duration syntax; negative durations are refused.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration (use e.g. \"500ms\", \"10m\", \"672h\"): %q", b)
	}
	if v < 0 {
		return fmt.Errorf("negative duration %q", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back in Go syntax.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// Config is the whole of scangate.toml.
type Config struct {
	Device  Device  `toml:"device"`
	Trust   Trust   `toml:"trust"`
	Policy  Policy  `toml:"policy"`
	Scanner Scanner `toml:"scanner"`
	Camera  Camera  `toml:"camera"`
	Serial  Serial  `toml:"serial"`
	HID     HID     `toml:"hid"`
	GPIO    GPIO    `toml:"gpio"`
	Screen  Screen  `toml:"screen"`
	Voice   Voice   `toml:"voice"`
	Relay   Relay   `toml:"relay"`
	Uplink  Uplink  `toml:"uplink"`
	Status  Status  `toml:"status"`
	Metrics Metrics `toml:"metrics"`
	Desk    Desk    `toml:"desk"`
	Log     Log     `toml:"log"`
	Network Network `toml:"network"`
	Update  Update  `toml:"update"`
}

// Device is the kiosk's identity and storage.
type Device struct {
	Name          string `toml:"name"`           // shown in status; not secret
	Venue         string `toml:"venue"`          // venue id, checked against issuers' venue lists
	Data          string `toml:"data"`           // data directory: database, keys, control socket
	RetentionDays int    `toml:"retention_days"` // check-ins older than this are purged, uploaded or not
	FailOpen      bool   `toml:"fail_open"`      // on a storage fault: admit (true) or refuse (false, default)
	// KeepUntilUploaded keeps a check-in not yet uploaded past
	// retention_days, until the collector has it.
	KeepUntilUploaded bool `toml:"keep_until_uploaded"`
	// TimeZone is the IANA zone the kiosk shows and reports times in
	// (status, screens). Stored times stay absolute (UTC).
	TimeZone string `toml:"timezone"`
	// Exit makes every source of this kiosk an exit: a card shown records
	// that its holder left (and frees a place under policy.capacity).
	Exit bool `toml:"exit"`
}

// Location loads device.timezone (from the binary's embedded zone data
// where the image has no zoneinfo: cmd/scangated imports time/tzdata).
func (d Device) Location() (*time.Location, error) {
	loc, err := time.LoadLocation(d.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("unknown IANA time zone %q (e.g. \"Asia/Shanghai\", \"UTC\")", d.TimeZone)
	}
	return loc, nil
}

// Trust names the trust data used until a collector provides it.
type Trust struct {
	File        string   `toml:"file"`        // signed trust list (scangate keygen writes trust.json)
	Revocations string   `toml:"revocations"` // signed revocation list
	ListKeys    []string `toml:"list_keys"`   // pinned list-signing public keys (PEM files or base64)
	// FirstUse pins the signer of the first trust list installed, on a
	// device that has never had a pinned key (no list_keys, no collector).
	FirstUse bool `toml:"first_use"`
	// WatchDirs are watched for renewed trust.json and revocations.json
	// (the boot partition, a USB stick), installed while running.
	WatchDirs []string `toml:"watch_dirs"`
	// WarnDays before the trust data would refuse every card, the idle
	// screen and status warn; 0: no warning.
	WarnDays int `toml:"warn_days"`
}

// Policy is the venue's admission policy (the collector may override it).
type Policy struct {
	Mode            string   `toml:"mode"`             // "verify" or "log-only"
	DuplicateWindow Duration `toml:"duplicate_window"` // same card within this is "already checked in"
	MaxTrustAge     Duration `toml:"max_trust_age"`    // older trust data is refused as stale
	Categories      []string `toml:"categories"`       // admitted categories; empty admits all
	CompanionWindow Duration `toml:"companion_window"` // cards following a companion card within this join its group
	MaxUnsynced     Duration `toml:"max_unsynced"`     // refuse when the clock has gone unconfirmed this long; 0: no limit
	// Capacity refuses entries (venue_full) while people in now, counted
	// from this kiosk's own records since midnight (device.timezone), is
	// at least this; 0: no limit. The collector's venue policy replaces it.
	Capacity int `toml:"capacity"`
}

// Scanner tunes decoding and debouncing.
type Scanner struct {
	RearmAbsent Duration `toml:"rearm_absent"` // the same code re-arms after being absent this long
	RearmText   Duration `toml:"rearm_text"`   // the same for serial and HID scanners (which resend a held code)
	Reread      Duration `toml:"reread"`       // or after being held this long; 0: never (one check-in per presentation)
}

// Camera is the V4L2 camera.
type Camera struct {
	Enabled  bool             `toml:"enabled"`
	Device   string           `toml:"device"` // prefer /dev/v4l/by-id/... paths
	Width    int              `toml:"width"`
	Height   int              `toml:"height"`
	FPS      int              `toml:"fps"`
	Buffers  int              `toml:"buffers"`
	Format   string           `toml:"format"`   // "" chooses (GREY, YUYV, MJPEG); or force one
	Input    int              `toml:"input"`    // V4L2 input index; -1 keeps the driver's
	Controls map[string]int64 `toml:"controls"` // by name ("exposure_absolute") or id ("0x00f0f025")
	Exit     bool             `toml:"exit"`     // this source is an exit (camera0)
}

// Serial is a UART or USB-CDC barcode scanner.
type Serial struct {
	Enabled      bool     `toml:"enabled"`
	Device       string   `toml:"device"` // prefer /dev/serial/by-id/...
	Baud         int      `toml:"baud"`
	DataBits     int      `toml:"data_bits"`
	Parity       string   `toml:"parity"` // none, even, odd
	StopBits     int      `toml:"stop_bits"`
	Terminator   string   `toml:"terminator"` // "cr", "lf", "crlf", "any" or a literal suffix
	CharTimeout  Duration `toml:"char_timeout"`
	FlushPartial bool     `toml:"flush_partial"` // a line cut by the timeout: deliver (true) or drop (false)
	Exit         bool     `toml:"exit"`          // this source is an exit (serial0)
}

// HID is a USB keyboard-wedge scanner.
type HID struct {
	Enabled    bool     `toml:"enabled"`
	Device     string   `toml:"device"` // /dev/input/by-id/...-event-kbd or an event node
	Name       string   `toml:"name"`   // or choose by device name
	EndTimeout Duration `toml:"end_timeout"`
	Exit       bool     `toml:"exit"` // this source is an exit (hid0)
}

// GPIO names the feedback lines.
type GPIO struct {
	Enabled   bool   `toml:"enabled"`
	Chip      string `toml:"chip"` // gpiochip0
	Green     string `toml:"green"`
	Red       string `toml:"red"`
	Amber     string `toml:"amber"`
	Buzzer    string `toml:"buzzer"`
	Button    string `toml:"button"`
	ActiveLow bool   `toml:"active_low"`
	PWMChip   int    `toml:"pwm_chip"`    // passive buzzer on /sys/class/pwm/pwmchipN; -1 none
	PWMChan   int    `toml:"pwm_channel"` //
	ToneHz    int    `toml:"tone_hz"`
}

// Screen is the text output.
type Screen struct {
	Type  string `toml:"type"` // none, hd44780, ssd1306, fb
	Bus   string `toml:"bus"`  // I2C bus, e.g. /dev/i2c-1
	Addr  int    `toml:"addr"` // I2C address, e.g. 0x27
	Cols  int    `toml:"cols"`
	Rows  int    `toml:"rows"`
	SMBus bool   `toml:"smbus"` // adapter speaks SMBus only
	FB    string `toml:"fb"`    // framebuffer device
}

// Uplink is the collector connection.
type Uplink struct {
	Enabled      bool     `toml:"enabled"`
	URL          string   `toml:"url"`
	CollectorKey string   `toml:"collector_key"` // pinned collector public key (PEM file or base64)
	EnrollToken  string   `toml:"enroll_token"`  // one-time token from the administrator
	PollInterval Duration `toml:"poll_interval"`
}

// Status is the local status page.
type Status struct {
	Listen       string `toml:"listen"`        // e.g. ":8080"; empty disables the page
	PasswordHash string `toml:"password_hash"` // bcrypt, from `scangate hash-password`; required with listen
}

// Network is the kiosk's own network: DHCP on every Ethernet port unless
// address is set, and Wi-Fi on boards that have it.
type Network struct {
	Address string   `toml:"address"` // static "192.0.2.10/24"; empty: DHCP
	Gateway string   `toml:"gateway"` // with a static address
	DNS     []string `toml:"dns"`     // with a static address
	// One WPA2/WPA3-personal network, on boards with Wi-Fi.
	WiFiSSID       string `toml:"wifi_ssid"`       // empty: Wi-Fi off
	WiFiPassphrase string `toml:"wifi_passphrase"` // 8..63 characters
	WiFiCountry    string `toml:"wifi_country"`    // ISO 3166 code, sets the legal channels: "CN", "DE"
}

// Update is where the kiosk looks for a newer RAUC bundle on its own.
type Update struct {
	URL string `toml:"url"` // https URL of a .raucb, polled and installed (streamed) when its version changes; empty: off
}

// Log sets the log level.
type Log struct {
	Level string `toml:"level"` // debug, info, warn, error
}

// USBMount is where the image mounts a USB stick (read-only, by
// scangate-usb@.service) for the kiosk to pick renewed trust files from.
const USBMount = "/run/scangate/usb"

// Default is the configuration with nothing set: one USB camera, the GPIO
// pins of docs/wiring, no screen, no uplink.
func Default() Config {
	return Config{
		Device: Device{Name: "kiosk", Data: "/data/scangate", RetentionDays: 90, TimeZone: "Asia/Shanghai"},
		Trust: Trust{File: "trust.json", Revocations: "revocations.json", WatchDirs: []string{"/boot", USBMount},
			WarnDays: 14},
		Policy: Policy{
			Mode:            "verify",
			DuplicateWindow: Duration{10 * time.Minute},
			MaxTrustAge:     Duration{28 * 24 * time.Hour},
			CompanionWindow: Duration{30 * time.Second},
			MaxUnsynced:     Duration{0},
		},
		Scanner: Scanner{RearmAbsent: Duration{500 * time.Millisecond}, RearmText: Duration{1500 * time.Millisecond}},
		Camera:  Camera{Enabled: true, Device: "/dev/video0", Width: 640, Height: 480, FPS: 30, Buffers: 3, Input: -1},
		Serial: Serial{Device: "/dev/ttyUSB0", Baud: 9600, DataBits: 8, Parity: "none", StopBits: 1,
			Terminator: "any", CharTimeout: Duration{100 * time.Millisecond}},
		HID:    HID{EndTimeout: Duration{150 * time.Millisecond}},
		GPIO:   GPIO{Enabled: true, Chip: "gpiochip0", Green: "GPIO17", Red: "GPIO27", Buzzer: "GPIO22", PWMChip: -1, ToneHz: 2700},
		Screen: Screen{Type: "none", Bus: "/dev/i2c-1", Addr: 0x27, Cols: 16, Rows: 2, FB: "/dev/fb0"},
		Voice:  voiceDefaults(),
		Relay:  relayDefaults(),
		Uplink: Uplink{PollInterval: Duration{30 * time.Second}},
		Log:    Log{Level: "info"},
	}
}

// Load reads and validates the file at path over the defaults.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := readCapped(f)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return Parse(path, data)
}

func readCapped(f *os.File) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(limitReader{f, MaxSize + 1})
	if err != nil {
		return nil, err
	}
	if n > MaxSize {
		return nil, fmt.Errorf("file larger than %d bytes", MaxSize)
	}
	return buf.Bytes(), nil
}

type limitReader struct {
	f *os.File
	n int64
}

func (l limitReader) Read(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	return l.f.Read(p)
}

// Parse decodes data (named name in errors) over the defaults and validates it.
// On an error (a config.Errors) the Config holds what could be read: the
// defaults after a syntax error, the decoded values otherwise.
func Parse(name string, data []byte) (Config, error) {
	if len(data) > MaxSize {
		return Config{}, fmt.Errorf("config %s: file larger than %d bytes", name, MaxSize)
	}
	// Notepad writes a BOM and CRLF; neither is a mistake of the technician's.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	c := Default()
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	var errs Errors
	if err := dec.Decode(&c); err != nil {
		var strict *toml.StrictMissingError
		if !errors.As(err, &strict) {
			// A syntax or type error stops go-toml; nothing after it is known.
			return Default(), describe(name, err)
		}
		// Unknown keys: the rest of the file was decoded, so its values
		// are checked too and every problem is reported at once.
		for _, e := range strict.Errors {
			row, _ := e.Position()
			errs = append(errs, Problem{File: name, Line: row, Key: strings.Join(e.Key(), "."), Msg: msgUnknown})
		}
	}
	lines := keyLines(data)
	for _, p := range c.problems() {
		p.File, p.Line = name, lines[p.Key]
		errs = append(errs, p)
	}
	if len(errs) > 0 {
		// What was read is returned with the errors, so a kiosk can still
		// show them on the screen the file names.
		return c, errs
	}
	return c, nil
}

const msgUnknown = "unknown key"

// Problem is one mistake in the file: where it is and what is wrong.
type Problem struct {
	File string
	Line int // 0: the key is not in the file (a default that conflicts)
	Key  string
	Msg  string
}

func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	switch {
	case p.Msg == msgUnknown:
		fmt.Fprintf(&b, ": unknown key %q", p.Key)
		return b.String()
	case p.Key != "":
		fmt.Fprintf(&b, ": key %q", p.Key)
	}
	b.WriteString(": " + p.Msg)
	return b.String()
}

// Errors is every problem found in one file, in file order where known.
type Errors []Problem

func (e Errors) Error() string {
	msgs := make([]string, len(e))
	for i, p := range e {
		msgs[i] = p.Error()
	}
	return "config: " + strings.Join(msgs, "; ")
}

// Problems returns the problems of a Load or Parse error, or one problem
// without a line for any other error.
func Problems(err error) []Problem {
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var p Problem
	if errors.As(err, &p) {
		return []Problem{p}
	}
	return []Problem{{Msg: err.Error()}}
}

// describe turns go-toml's syntax and type errors into a Problem.
func describe(name string, err error) error {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		return Errors{{File: name, Line: row, Key: strings.Join(de.Key(), "."), Msg: de.Error()}}
	}
	return Errors{{File: name, Msg: err.Error()}}
}

// keyLines maps each "table.key" to the line it is set on. The technician's
// file is plain tables and keys; a key this misses gets no line number.
func keyLines(data []byte) map[string]int {
	m := map[string]int{}
	table := ""
	for i, raw := range strings.Split(string(data), "\n") {
		l := strings.TrimSpace(raw)
		switch {
		case l == "" || l[0] == '#':
		case strings.HasPrefix(l, "[") && !strings.HasPrefix(l, "[["):
			if end := strings.IndexByte(l, ']'); end > 0 {
				table = strings.TrimSpace(l[1:end])
			}
		default:
			eq := strings.IndexByte(l, '=')
			if eq <= 0 {
				continue
			}
			key := strings.Trim(strings.TrimSpace(l[:eq]), `"`)
			if table != "" {
				key = table + "." + key
			}
			if _, seen := m[key]; !seen {
				m[key] = i + 1
			}
		}
	}
	return m
}

// Validate checks values that parse but make no sense. Each message names the key.
func (c *Config) Validate() error {
	ps := c.problems()
	if len(ps) == 0 {
		return nil
	}
	return Errors(ps)
}

func (c *Config) problems() []Problem {
	var errs []Problem
	bad := func(key, format string, a ...any) {
		errs = append(errs, Problem{Key: key, Msg: fmt.Sprintf(format, a...)})
	}
	if c.Device.Data == "" {
		bad("device.data", "must not be empty")
	}
	if c.Device.TimeZone == "" {
		bad("device.timezone", "must name an IANA time zone, e.g. \"Asia/Shanghai\" or \"UTC\"")
	} else if _, err := c.Device.Location(); err != nil {
		bad("device.timezone", "%v", err)
	}
	if c.Trust.WarnDays < 0 || c.Trust.WarnDays > 365 {
		bad("trust.warn_days", "must be 0..365, got %d", c.Trust.WarnDays)
	}
	for _, d := range c.Trust.WatchDirs {
		if !strings.HasPrefix(d, "/") {
			bad("trust.watch_dirs", "must be absolute paths, got %q", d)
		}
	}
	if c.Device.RetentionDays < 1 {
		bad("device.retention_days", "must be at least 1, got %d", c.Device.RetentionDays)
	}
	switch c.Policy.Mode {
	case "verify", "log-only":
	default:
		bad("policy.mode", "must be \"verify\" or \"log-only\", got %q", c.Policy.Mode)
	}
	for _, cat := range c.Policy.Categories {
		switch cat {
		case "elder", "child", "companion", "staff":
		default:
			bad("policy.categories", "unknown category %q (elder, child, companion, staff)", cat)
		}
	}
	if c.Policy.Capacity < 0 || c.Policy.Capacity > 1_000_000 {
		bad("policy.capacity", "must be 0 (no limit) ..1000000, got %d", c.Policy.Capacity)
	}
	if c.Policy.MaxTrustAge.Duration == 0 {
		bad("policy.max_trust_age", "must be positive")
	}
	if c.Camera.Enabled {
		if c.Camera.Device == "" {
			bad("camera.device", "must not be empty when the camera is enabled")
		}
		if c.Camera.Width < 160 || c.Camera.Height < 120 || c.Camera.Width > 4096 || c.Camera.Height > 4096 {
			bad("camera.width", "frame %dx%d out of range 160x120..4096x4096", c.Camera.Width, c.Camera.Height)
		}
		if c.Camera.FPS < 1 || c.Camera.FPS > 120 {
			bad("camera.fps", "must be 1..120, got %d", c.Camera.FPS)
		}
		if c.Camera.Buffers < 2 || c.Camera.Buffers > 32 {
			bad("camera.buffers", "must be 2..32, got %d", c.Camera.Buffers)
		}
	}
	if c.Serial.Enabled {
		if c.Serial.Device == "" {
			bad("serial.device", "must not be empty when the serial scanner is enabled")
		}
		if c.Serial.Baud <= 0 {
			bad("serial.baud", "must be positive, got %d", c.Serial.Baud)
		}
		if c.Serial.DataBits < 5 || c.Serial.DataBits > 8 {
			bad("serial.data_bits", "must be 5..8, got %d", c.Serial.DataBits)
		}
		switch c.Serial.Parity {
		case "none", "even", "odd":
		default:
			bad("serial.parity", "must be none, even or odd, got %q", c.Serial.Parity)
		}
		if c.Serial.StopBits != 1 && c.Serial.StopBits != 2 {
			bad("serial.stop_bits", "must be 1 or 2, got %d", c.Serial.StopBits)
		}
		if c.Serial.Terminator == "" {
			bad("serial.terminator", "must not be empty")
		}
	}
	if c.HID.Enabled && c.HID.Device == "" && c.HID.Name == "" {
		bad("hid.device", "set hid.device or hid.name when the HID scanner is enabled")
	}
	if c.GPIO.Enabled && c.GPIO.Green == "" && c.GPIO.Red == "" && c.GPIO.Buzzer == "" {
		bad("gpio.green", "no GPIO line configured while gpio.enabled is true")
	}
	switch c.Screen.Type {
	case "none", "fb":
	case "hd44780", "ssd1306":
		if c.Screen.Addr <= 0 || c.Screen.Addr > 0x7f {
			bad("screen.addr", "I2C address must be 0x01..0x7f, got %#x", c.Screen.Addr)
		}
		if c.Screen.Type == "hd44780" && !((c.Screen.Cols == 16 && c.Screen.Rows == 2) || (c.Screen.Cols == 20 && c.Screen.Rows == 4)) {
			bad("screen.cols", "HD44780 must be 16x2 or 20x4, got %dx%d", c.Screen.Cols, c.Screen.Rows)
		}
	default:
		bad("screen.type", "must be none, hd44780, ssd1306 or fb, got %q", c.Screen.Type)
	}
	if c.Uplink.Enabled {
		if !strings.HasPrefix(c.Uplink.URL, "https://") && !strings.HasPrefix(c.Uplink.URL, "http://") {
			bad("uplink.url", "must be an http(s) URL, got %q", c.Uplink.URL)
		}
		if c.Uplink.CollectorKey == "" {
			bad("uplink.collector_key", "must pin the collector's public key")
		}
		if p := c.Uplink.PollInterval.Duration; p < time.Second || p > 30*time.Second {
			bad("uplink.poll_interval", "must be 1s..30s so revocations arrive within a minute, got %s", p)
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	c.Voice.check(bad)
	c.Relay.check(bad)
	c.Network.check(bad)
	c.Metrics.check(c.Status.Listen, bad)
	c.Status.check(bad)
	c.Desk.check(c.Status.Listen, c.Metrics.Listen, bad)
	if u := c.Update.URL; u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		bad("update.url", "must be an http(s) URL of a .raucb bundle, got %q", u)
	}
	return errs
}
