package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/scangate/scangate/config"
)

// writeNetwork turns [network] into files under dir (the image passes
// /run): a systemd-networkd file that takes precedence over the image's
// DHCP default for a static address, and a wpa_supplicant config for
// Wi-Fi, and the [update] URL. Files not wanted are removed, so a setting taken out of
// scangate.toml is gone after the next boot.
func writeNetwork(dir string, cfg config.Config) error {
	n := cfg.Network
	netFile := filepath.Join(dir, "systemd", "network", "40-scangate-wired.network")
	wpaFile := filepath.Join(dir, "scangate", "wpa_supplicant.conf")
	if n.Address != "" {
		var b strings.Builder
		fmt.Fprintf(&b, "# From scangate.toml [network]\n[Match]\nType=ether\n\n[Network]\nAddress=%s\n", n.Address)
		if n.Gateway != "" {
			fmt.Fprintf(&b, "Gateway=%s\n", n.Gateway)
		}
		for _, d := range n.DNS {
			fmt.Fprintf(&b, "DNS=%s\n", d)
		}
		if err := writeFile(netFile, b.String(), 0o644); err != nil {
			return err
		}
	} else if err := os.Remove(netFile); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("network: %w", err)
	}
	if n.WiFiSSID != "" {
		// The passphrase is a secret: root only, on the RAM-backed /run.
		conf := fmt.Sprintf("country=%s\nctrl_interface=\nupdate_config=0\n\nnetwork={\n\tssid=\"%s\"\n\tpsk=\"%s\"\n\tkey_mgmt=WPA-PSK SAE\n\tieee80211w=1\n}\n",
			n.WiFiCountry, n.WiFiSSID, n.WiFiPassphrase)
		if err := writeFile(wpaFile, conf, 0o600); err != nil {
			return err
		}
	} else if err := os.Remove(wpaFile); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("network: %w", err)
	}
	// The update URL for scangate-update (the shell has no TOML parser).
	upFile := filepath.Join(dir, "scangate", "update-url")
	if cfg.Update.URL != "" {
		if err := writeFile(upFile, cfg.Update.URL+"\n", 0o644); err != nil {
			return err
		}
	} else if err := os.Remove(upFile); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("network: %w", err)
	}
	return nil
}

func writeFile(path, content string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), mode); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	return nil
}
