package store

import (
	"context"
	"time"

	"github.com/scangate/scangate/door"
)

var _ door.Ledger = (*Store)(nil)

// Record is the gate's ledger: it commits e durably (RecordCheckin),
// stamped with the boot id and the time since boot so the uplink can
// correct the wall time later, and returns its seq.
func (s *Store) Record(ctx context.Context, e door.Entry) (int64, error) {
	mono, _ := s.opts.SinceBoot() // without it the record is still kept; only later correction suffers
	return s.RecordCheckin(ctx, Checkin{
		At: e.At, BootID: s.opts.BootID, Mono: mono, ClockSynced: e.Synced,
		Source: e.Source, Decision: e.Outcome.String(), Reason: string(e.Reason),
		CardID: e.CardID, Holder: e.Holder, Category: e.Category, Group: e.Group, Name: e.Name,
	})
}

// AdmittedSince reports whether cardID had a counted pass at or after
// since and has not left through an exit after it (back in after leaving
// is a new pass, not "already checked in").
func (s *Store) AdmittedSince(ctx context.Context, cardID string, since time.Time) (bool, error) {
	exit, pass, err := s.lastPassExit(ctx, cardID, since)
	return pass > exit, err
}
