package kiosk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/sync/uplink"
)

// uplinkOptions fills the connection part of uplink.Options from the
// technician's [uplink]; the caller adds the store, trust and clock. A
// relative collector key path is relative to the data directory, like the
// trust files (else to where the daemon was started).
func uplinkOptions(c config.Uplink, dataDir string) (uplink.Options, error) {
	if !c.Enabled {
		return uplink.Options{}, errors.New("kiosk: uplink disabled in the configuration")
	}
	spec := strings.TrimSpace(c.CollectorKey)
	if spec == "" {
		return uplink.Options{}, errors.New("kiosk: no collector key (uplink.collector_key)")
	}
	dir := dataDir
	if !strings.HasPrefix(spec, "-----BEGIN") && !filepath.IsAbs(spec) && !fileExists(filepath.Join(dataDir, spec)) {
		if _, err := os.Stat(spec); err == nil {
			dir = ""
		}
	}
	key, err := idcode.ReadPublicKey(spec, dir)
	if err != nil {
		return uplink.Options{}, fmt.Errorf("kiosk: collector key (uplink.collector_key): %w", err)
	}
	return uplink.Options{
		URL: c.URL, CollectorKey: key, EnrollToken: c.EnrollToken,
		KeyFile: filepath.Join(dataDir, uplink.KeyFileName), PollInterval: c.PollInterval.Duration,
	}, nil
}
