package uplink

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/idcode"
)

// Status is the uplink's state for `scangate status` and metrics.
type Status struct {
	URL          string
	Enrolled     bool
	DeviceID     string
	Venue        string
	Refused      string        // why the collector refuses this device; "" when it does not
	OutboxDepth  int           // records not yet acknowledged
	OldestUnsent time.Duration // age of the oldest of them; 0 when none
	LastSuccess  time.Time
	LastError    string // "" once a later exchange succeeded
	LastErrorAt  time.Time
	BundleETag   string
	ClockOffset  time.Duration // collector clock minus device clock, from the last answer
	Uploaded     uint64        // records acknowledged since start
	Batches      uint64
	Conflicts    uint64 // records the collector held differently under the same seq, since start
}

// Status reports the current state. It reads the outbox's depth from the
// store, bounded by a short timeout.
func (u *Uplink) Status() Status {
	u.mu.Lock()
	st := Status{
		URL: u.opts.URL, Enrolled: u.enrolled, DeviceID: u.deviceID, Venue: u.venue, Refused: u.refused,
		LastSuccess: u.lastSuccess, LastError: u.lastError, LastErrorAt: u.lastErrorAt,
		BundleETag: u.etag, ClockOffset: u.offset, Uploaded: u.uploaded, Batches: u.batches, Conflicts: u.conflicts,
	}
	u.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ob, err := u.opts.Store.OutboxStats(ctx)
	if err != nil {
		if st.LastError == "" {
			st.LastError = "outbox: " + err.Error()
		}
		return st
	}
	st.OutboxDepth = ob.Depth
	if !ob.Oldest.IsZero() {
		st.OldestUnsent = max(u.opts.Clock.Now().Sub(ob.Oldest), 0)
	}
	return st
}

// Control is the status in the shape `scangate status` shows.
func (s Status) Control() control.UplinkStatus {
	last := s.LastError
	if s.Refused != "" && last == "" {
		last = "refused: " + s.Refused
	}
	if s.Conflicts > 0 && last == "" {
		last = fmt.Sprintf("collector reported %d conflicting check-ins (kept aside there)", s.Conflicts)
	}
	return control.UplinkStatus{URL: s.URL, Enrolled: s.Enrolled, DeviceID: s.DeviceID,
		LastSuccess: s.LastSuccess, LastError: last, BundleETag: s.BundleETag}
}

// KeyFileName is the device key's name in the data directory.
const KeyFileName = "uplink.key"

// OptionsFromConfig fills the connection part of Options from the
// technician's configuration; dataDir is the data partition's directory.
// The caller adds Store, Trust, ApplyPolicy, Clock and Sync.
func OptionsFromConfig(c config.Uplink, dataDir string) (Options, error) {
	if !c.Enabled {
		return Options{}, errors.New("uplink: disabled in the configuration")
	}
	key, err := ParseCollectorKey(c.CollectorKey)
	if err != nil {
		return Options{}, err
	}
	return Options{
		URL: c.URL, CollectorKey: key, EnrollToken: c.EnrollToken,
		KeyFile: filepath.Join(dataDir, KeyFileName), PollInterval: c.PollInterval.Duration,
	}, nil
}

// ParseCollectorKey reads the pinned collector key as the configuration
// gives it: a PEM "PUBLIC KEY" file's path, PEM text, or base64 of the 32
// raw bytes.
func ParseCollectorKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("uplink: no collector key")
	}
	if strings.HasPrefix(s, "-----BEGIN") {
		return idcode.ParsePublicKey([]byte(s))
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
		return ed25519.PublicKey(b), nil
	}
	data, err := os.ReadFile(s)
	if err != nil {
		return nil, fmt.Errorf("uplink: collector key is neither base64 of 32 bytes nor a readable PEM file: %w", err)
	}
	k, err := idcode.ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("uplink: collector key %s: %w", s, err)
	}
	return k, nil
}
