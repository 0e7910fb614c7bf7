package uplink

import (
	"context"
	"time"
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
	Errors       uint64 // failed exchanges (uploads, bundles, enrolment), since start
	Conflicts    uint64 // records the collector held differently under the same seq, since start
	// Purged counts check-ins retention deleted before they were uploaded,
	// ever; the collector records their gap as purged (store.Purge).
	Purged int64
}

// Status reports the current state. It reads the outbox's depth from the
// store, bounded by a short timeout.
func (u *Uplink) Status() Status {
	u.mu.Lock()
	st := Status{
		URL: u.opts.URL, Enrolled: u.enrolled, DeviceID: u.deviceID, Venue: u.venue, Refused: u.refused,
		LastSuccess: u.lastSuccess, LastError: u.lastError, LastErrorAt: u.lastErrorAt,
		BundleETag: u.etag, ClockOffset: u.offset, Uploaded: u.uploaded, Batches: u.batches, Errors: u.errors, Conflicts: u.conflicts,
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
	st.OutboxDepth, st.Purged = ob.Depth, ob.Purged
	if !ob.Oldest.IsZero() {
		st.OldestUnsent = max(u.opts.Clock.Now().Sub(ob.Oldest), 0)
	}
	return st
}

// KeyFileName is the device key's name in the data directory.
const KeyFileName = "uplink.key"
