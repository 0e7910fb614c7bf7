package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scangate/scangate/config"
)

func TestWriteNetwork(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse("n.toml", []byte("[network]\naddress = \"192.0.2.10/24\"\ngateway = \"192.0.2.1\"\ndns = [\"192.0.2.53\"]\nwifi_ssid = \"hall\"\nwifi_passphrase = \"long enough\"\nwifi_country = \"CN\"\n[update]\nurl = \"https://u.example/b.raucb\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeNetwork(dir, cfg); err != nil {
		t.Fatal(err)
	}
	wired, _ := os.ReadFile(filepath.Join(dir, "systemd/network/40-scangate-wired.network"))
	for _, w := range []string{"Type=ether", "Address=192.0.2.10/24", "Gateway=192.0.2.1", "DNS=192.0.2.53"} {
		if !strings.Contains(string(wired), w) {
			t.Errorf("wired file lacks %q:\n%s", w, wired)
		}
	}
	wpa := filepath.Join(dir, "scangate/wpa_supplicant.conf")
	b, _ := os.ReadFile(wpa)
	if !strings.Contains(string(b), "country=CN") || !strings.Contains(string(b), `ssid="hall"`) {
		t.Errorf("wpa_supplicant.conf:\n%s", b)
	}
	if st, err := os.Stat(wpa); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("wpa_supplicant.conf mode: %v %v", st, err)
	}
	// Taking the settings out removes the files again.
	if err := writeNetwork(dir, config.Default()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"systemd/network/40-scangate-wired.network", "scangate/wpa_supplicant.conf", "scangate/update-url"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s still there: %v", f, err)
		}
	}
}
