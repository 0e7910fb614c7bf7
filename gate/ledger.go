package gate

import (
	"context"
	"time"

	"github.com/scangate/scangate/store"
)

// StoreLedger records check-ins in the store, stamping each with the boot
// id and the time since boot so the uplink can correct the wall time later.
type StoreLedger struct {
	Store  *store.Store
	BootID string
	// SinceBoot reads the monotonic time since boot; nil means store.SinceBoot.
	SinceBoot func() (time.Duration, error)
}

var _ Ledger = (*StoreLedger)(nil)

// Record commits e durably and returns its seq.
func (l *StoreLedger) Record(ctx context.Context, e Entry) (int64, error) {
	since := l.SinceBoot
	if since == nil {
		since = store.SinceBoot
	}
	mono, _ := since() // without it the record is still kept; only later correction suffers
	return l.Store.RecordCheckin(ctx, store.Checkin{
		At: e.At, BootID: l.BootID, Mono: mono, ClockSynced: e.Synced,
		Source: e.Source, Decision: e.Outcome.String(), Reason: string(e.Reason),
		CardID: e.CardID, Holder: e.Holder, Category: e.Category, Group: e.Group, Name: e.Name,
	})
}

// AdmittedSince reports whether cardID had a counted pass at or after since.
func (l *StoreLedger) AdmittedSince(ctx context.Context, cardID string, since time.Time) (bool, error) {
	_, ok, err := l.Store.LastPass(ctx, cardID, since)
	return ok, err
}

// Pseudonym is the store's keyed hash.
func (l *StoreLedger) Pseudonym(text string) string { return l.Store.Pseudonym(text) }
