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
	}
}
