// Package statusreport turns the state of the kiosk's parts (the ledger,
// the trust data, the uplink) into the sections of its status report,
// control.Status, which the status page, `scangate status` and the
// control socket serve. It holds no state and no personal data: the kiosk
// asks it for each section when a status is wanted.
package statusreport

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/sync/uplink"
	"github.com/scangate/scangate/trust"
)

// Ledger is what the report reads from the store.
type Ledger interface {
	Health() store.Health
	Recoveries(ctx context.Context) ([]store.Recovery, error)
	OutboxStats(ctx context.Context) (store.OutboxStats, error)
}

// Store is the ledger's section: health, recoveries, the outbox. A failed
// outbox read is the section's last error, never an empty outbox.
func Store(ctx context.Context, l Ledger, now time.Time, loc *time.Location) control.StoreStatus {
	h := l.Health()
	st := control.StoreStatus{Health: string(h.State), LastError: h.Err}
	if h.Recovered != "" {
		st.LastError = strings.TrimSpace(st.LastError + " database was corrupt, moved to " + h.Recovered)
	}
	if rs, err := l.Recoveries(ctx); err == nil {
		for _, r := range rs {
			st.Recoveries = append(st.Recoveries, control.Recovery{At: r.At.In(loc), Salvaged: r.Salvaged, Lost: r.Lost})
		}
	}
	if ob, err := l.OutboxStats(ctx); err == nil {
		st.OutboxDepth, st.PurgedUnsent = ob.Depth, ob.Purged
		st.Checkins = ob.LastSeq
		if !ob.Oldest.IsZero() {
			st.OldestAgeS = now.Sub(ob.Oldest).Seconds()
		}
	} else {
		st.LastError = err.Error()
	}
	return st
}

// Trust is the trust data's section: the lists in force, their age and
// the keys pinned. No lists at all is stale: every card would be refused.
// The kiosk adds what only it knows (the refusal date, the warning, the
// last file installed).
func Trust(t *idcode.Trust, pins []trust.Pin, now time.Time) control.TrustStatus {
	var st control.TrustStatus
	if t != nil {
		st.ListVersion = t.List.Version
		st.Issuers = len(t.List.Issuers)
		ref := t.FetchedAt
		if ref.IsZero() {
			ref = t.List.IssuedAt
		}
		st.AgeS = now.Sub(ref).Seconds()
		if t.Revoked != nil {
			st.RevocationVersion = t.Revoked.Version
		}
		st.Stale = t.Stale(now) != ""
	} else {
		st.Stale = true
	}
	for _, p := range pins {
		st.Pins = append(st.Pins, control.Pin{KID: p.KID(), Origin: p.Origin})
	}
	return st
}

// Uplink is the uplink's section, its times in loc. A refusal or a
// conflict the collector reported is the last error when there is no
// other, so a technician sees why nothing moves.
func Uplink(s uplink.Status, loc *time.Location) control.UplinkStatus {
	last := s.LastError
	if s.Refused != "" && last == "" {
		last = "refused: " + s.Refused
	}
	if s.Conflicts > 0 && last == "" {
		last = fmt.Sprintf("collector reported %d conflicting check-ins (kept aside there)", s.Conflicts)
	}
	us := control.UplinkStatus{URL: s.URL, Enrolled: s.Enrolled, DeviceID: s.DeviceID,
		LastSuccess: s.LastSuccess, LastError: last, BundleETag: s.BundleETag}
	if !us.LastSuccess.IsZero() {
		us.LastSuccess = us.LastSuccess.In(loc)
	}
	return us
}
