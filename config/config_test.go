package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The commented example must parse to exactly the defaults: otherwise the
// file technicians copy says one thing and the kiosk does another.
func TestExampleIsDefault(t *testing.T) {
	c, err := Parse("scangate.example.toml", Example)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	if want.Policy.Categories == nil {
		want.Policy.Categories = []string{}
	}
	want.Trust.ListKeys = []string{}
	want.Camera.Controls = map[string]int64{}
	want.Voice.Files = map[string]string{}
	want.Network.DNS = []string{}
	want.Desk.Staff = []DeskStaff{}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("example differs from Default():\n got %+v\nwant %+v", c, want)
	}
}

// Every key the struct knows appears in the example, so it stays complete.
func TestExampleMentionsEveryKey(t *testing.T) {
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			key := f.Tag.Get("toml")
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(Duration{}) {
				if !strings.Contains(string(Example), "["+key+"]") {
					t.Errorf("example lacks section [%s]", key)
				}
				walk(key, f.Type)
				continue
			}
			if !strings.Contains(string(Example), "\n"+key+" = ") {
				t.Errorf("example lacks key %s.%s", prefix, key)
			}
		}
	}
	walk("", reflect.TypeOf(Config{}))
}

func TestParseValues(t *testing.T) {
	c, err := Parse("t.toml", []byte(`
[device]
venue = "lib-7"
[policy]
mode = "log-only"
duplicate_window = "5m"
categories = ["elder", "child"]
[camera]
controls = { focus_absolute = 250, "0x00f0f025" = 1 }
[serial]
enabled = true
device = "/dev/ttyACM0"
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Device.Venue != "lib-7" || c.Policy.Mode != "log-only" || c.Policy.DuplicateWindow.Duration != 5*time.Minute {
		t.Errorf("values not applied: %+v", c)
	}
	if c.Camera.Controls["0x00f0f025"] != 1 || c.Serial.Baud != 9600 {
		t.Errorf("controls/defaults wrong: %+v %+v", c.Camera, c.Serial)
	}
}

// Each bad file gets an error that names the file, the line where it can
// tell, and the key.
func TestParseErrorsNameLineAndKey(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"unknown key", "[camera]\nwidht = 640\n", []string{"k.toml:2", `"camera.widht"`, "unknown key"}},
		{"unknown section", "\n\n[cam]\nx=1\n", []string{"k.toml:3", "unknown key"}},
		{"bad duration", "[policy]\n\nduplicate_window = \"ten minutes\"\n", []string{"k.toml:3", "duplicate_window", "not a duration"}},
		{"wrong type", "[camera]\nwidth = \"wide\"\n", []string{"k.toml:2", "camera.width"}},
		{"bad mode", "[policy]\nmode = \"open\"\n", []string{"k.toml", `"policy.mode"`, "verify"}},
		{"bad fps", "[camera]\nfps = 0\n", []string{`"camera.fps"`}},
		{"bad category", "[policy]\ncategories = [\"adult\"]\n", []string{`"policy.categories"`, "adult"}},
		{"syntax", "[camera\n", []string{"k.toml:1"}},
		{"bad parity", "[serial]\nenabled = true\nparity = \"mark\"\n", []string{`"serial.parity"`}},
		{"uplink without key", "[uplink]\nenabled = true\nurl = \"https://c.example\"\n", []string{`"uplink.collector_key"`}},
		{"slow poll", "[uplink]\nenabled = true\nurl = \"https://c\"\ncollector_key = \"k\"\npoll_interval = \"5m\"\n", []string{`"uplink.poll_interval"`}},
		{"negative", "[scanner]\nreread = \"-1s\"\n", []string{"reread", "negative"}},
		{"bad time zone", "[device]\ntimezone = \"Asia/Beijing\"\n", []string{"k.toml:2", `"device.timezone"`, "Asia/Beijing"}},
		{"empty time zone", "[device]\ntimezone = \"\"\n", []string{`"device.timezone"`}},
		{"metrics no port", "[metrics]\nlisten = \"localhost\"\n", []string{`"metrics.listen"`, "[host]:port"}},
		{"metrics bad port", "[metrics]\nlisten = \":http\"\n", []string{`"metrics.listen"`}},
		{"metrics on the status page", "[status]\nlisten = \":8080\"\n[metrics]\nlisten = \":8080\"\n", []string{`"metrics.listen"`, "differ from status.listen"}},
		{"warn days", "[trust]\nwarn_days = -1\n", []string{`"trust.warn_days"`}},
		{"relative watch dir", "[trust]\nwatch_dirs = [\"boot\"]\n", []string{`"trust.watch_dirs"`, "absolute"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("k.toml", []byte(tc.text))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// The zone is a real IANA zone: its offset is the venue's, not UTC's.
func TestTimeZone(t *testing.T) {
	c, err := Parse("k.toml", []byte("[device]\ntimezone = \"Europe/Berlin\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	loc, err := c.Device.Location()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC).In(loc)
	if _, off := at.Zone(); off != 2*3600 {
		t.Errorf("Europe/Berlin in July: offset %d s", off)
	}
	def, _ := Default().Device.Location()
	if _, off := at.In(def).Zone(); def.String() != "Asia/Shanghai" || off != 8*3600 {
		t.Errorf("default zone %s, offset %d", def, off)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "scangate.toml")
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	if err := os.WriteFile(p, []byte("[device]\nname = \"door-1\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil || c.Device.Name != "door-1" {
		t.Fatalf("Load: %v %+v", err, c.Device)
	}
	if err := os.WriteFile(p, make([]byte, MaxSize+10), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Errorf("oversized file: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Example)
	f.Add([]byte("[camera]\nwidth = 1\n"))
	f.Add([]byte("[policy]\nduplicate_window = \"1h\"\n"))
	f.Add([]byte("[[x]]\n"))
	f.Add([]byte("a = {b = [1, {c = 2}]}\n"))
	f.Add([]byte("[metrics]\nlisten = \"[::1]:9100\"\n"))
	f.Add([]byte("[policy]\ncapacity = 250\n[device]\nexit = true\n[camera]\nexit = true\n[hid]\nexit = false\n"))
	f.Add([]byte("[policy]\ncapacity = -1\n"))
	f.Add([]byte("[desk]\nlisten = \":8081\"\n[[desk.staff]]\nid = \"li\"\npassword_hash = \"$2a$04$x\"\n"))
	f.Add([]byte("[desk]\nstaff = [{ id = \"a\", name = \"王\" }, { id = \"a\" }]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.toml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "config") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed config fails validation: %v", err)
		}
	})
}

// Notepad's UTF-8 BOM and CRLF line ends are accepted, line numbers intact.
func TestParseBOMAndCRLF(t *testing.T) {
	c, err := Parse("n.toml", []byte("\xef\xbb\xbf[device]\r\nname = \"door-2\"\r\n"))
	if err != nil || c.Device.Name != "door-2" {
		t.Fatalf("BOM+CRLF: %v %+v", err, c.Device)
	}
	_, err = Parse("n.toml", []byte("\xef\xbb\xbf[device]\r\n\r\nretention_days = 0\r\n"))
	ps := Problems(err)
	if len(ps) != 1 || ps[0].Line != 3 || ps[0].Key != "device.retention_days" {
		t.Fatalf("problems %+v", ps)
	}
}

// Every mistake in a file is reported at once, each with its line and key.
func TestParseReportsAllErrors(t *testing.T) {
	text := "[camera]\nwidht = 640\nfps = 0\n\n[policy]\nmode = \"open\"\n[network]\naddress = \"10.0.0.5\"\n"
	_, err := Parse("k.toml", []byte(text))
	got := map[string]int{}
	for _, p := range Problems(err) {
		if p.File != "k.toml" {
			t.Errorf("problem without file: %+v", p)
		}
		got[p.Key] = p.Line
	}
	want := map[string]int{"camera.widht": 2, "camera.fps": 3, "policy.mode": 6, "network.address": 8}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v (err %v)", got, want, err)
	}
}

func TestNetworkChecks(t *testing.T) {
	for _, tc := range []struct{ text, key string }{
		{"[network]\ngateway = \"10.0.0.1\"\n", "network.gateway"},
		{"[network]\ndns = [\"x\"]\n", "network.dns"},
		{"[network]\nwifi_ssid = \"venue\"\nwifi_passphrase = \"short\"\nwifi_country = \"CN\"\n", "network.wifi_passphrase"},
		{"[network]\nwifi_ssid = \"venue\"\nwifi_passphrase = \"long enough\"\n", "network.wifi_country"},
		{"[update]\nurl = \"ftp://x\"\n", "update.url"},
	} {
		_, err := Parse("n.toml", []byte(tc.text))
		ps := Problems(err)
		if len(ps) != 1 || ps[0].Key != tc.key {
			t.Errorf("%q: problems %+v, want one for %s", tc.text, ps, tc.key)
		}
	}
	if _, err := Parse("n.toml", []byte("[network]\naddress = \"192.0.2.10/24\"\ngateway = \"192.0.2.1\"\ndns = [\"192.0.2.1\"]\nwifi_ssid = \"venue\"\nwifi_passphrase = \"long enough\"\nwifi_country = \"CN\"\n")); err != nil {
		t.Errorf("good network: %v", err)
	}
}
