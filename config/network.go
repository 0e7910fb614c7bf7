package config

import (
	"net/netip"
	"regexp"
	"strings"
)

var country = regexp.MustCompile(`^[A-Z]{2}$`)

func (n Network) check(bad func(key, format string, a ...any)) {
	if n.Address != "" {
		if _, err := netip.ParsePrefix(n.Address); err != nil {
			bad("network.address", "must be an address with its prefix length, e.g. \"192.0.2.10/24\", got %q", n.Address)
		}
	}
	if n.Gateway != "" {
		if n.Address == "" {
			bad("network.gateway", "needs network.address (with DHCP the gateway comes from the DHCP server)")
		} else if _, err := netip.ParseAddr(n.Gateway); err != nil {
			bad("network.gateway", "not an IP address: %q", n.Gateway)
		}
	}
	for _, d := range n.DNS {
		if _, err := netip.ParseAddr(d); err != nil {
			bad("network.dns", "not an IP address: %q", d)
		}
	}
	if n.WiFiSSID == "" {
		return
	}
	if len(n.WiFiSSID) > 32 {
		bad("network.wifi_ssid", "longer than 32 bytes")
	}
	if l := len(n.WiFiPassphrase); l < 8 || l > 63 {
		bad("network.wifi_passphrase", "must be 8..63 characters, got %d", l)
	}
	if strings.ContainsAny(n.WiFiSSID+n.WiFiPassphrase, "\"\n\r") {
		bad("network.wifi_ssid", "SSID and passphrase must not contain quotes or line breaks")
	}
	if !country.MatchString(n.WiFiCountry) {
		bad("network.wifi_country", "must be the two-letter country code of where the kiosk stands (it sets the legal Wi-Fi channels), got %q", n.WiFiCountry)
	}
}
