package config

import "github.com/scangate/scangate/door"

// DoorPolicy is the configured policy in the device's one shape, the one
// the gate applies (the collector's venue policy replaces its venue rules).
func (c Config) DoorPolicy() door.Policy {
	return door.Policy{
		LogOnly:         c.Policy.Mode == "log-only",
		DuplicateWindow: c.Policy.DuplicateWindow.Duration,
		Categories:      c.Policy.Categories,
		CompanionWindow: c.Policy.CompanionWindow.Duration,
		MaxTrustAge:     c.Policy.MaxTrustAge.Duration,
		MaxUnsynced:     c.Policy.MaxUnsynced.Duration,
		FailOpen:        c.Device.FailOpen,
		Capacity:        c.Policy.Capacity,
	}
}

// Exits names the sources that are exits: every one with device.exit,
// else those whose section says exit (camera0, serial0, hid0).
func (c Config) Exits() func(source string) bool {
	if c.Device.Exit {
		return func(string) bool { return true }
	}
	exits := map[string]bool{"camera0": c.Camera.Exit, "serial0": c.Serial.Exit, "hid0": c.HID.Exit}
	return func(source string) bool { return exits[source] }
}
