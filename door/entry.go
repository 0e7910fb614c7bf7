package door

import (
	"context"
	"time"
)

// Entry is one check-in as the gate hands it to the ledger.
type Entry struct {
	At       time.Time
	Source   string
	Outcome  Outcome
	Reason   Reason
	CardID   string // card id hex, or "" when the code did not parse
	Holder   string // pseudonymous holder id (sub), or the keyed hash in log-only mode
	Name     string // masked name
	Category string
	Group    int64
	Synced   bool // the wall clock was confirmed when this was decided
}

// Ledger is where check-ins become durable. Record must return only after
// the entry is committed: the door signals pass only then.
type Ledger interface {
	Record(ctx context.Context, e Entry) (seq int64, err error)
	// AdmittedSince reports whether card was admitted at or after since
	// and has not left through an exit after that admission.
	AdmittedSince(ctx context.Context, cardID string, since time.Time) (bool, error)
	// Pseudonym is a keyed hash of text, for codes that must not be stored raw.
	Pseudonym(text string) string
}

// Occupancy counts who is inside, from the ledger's own records, so the
// count is right again at once after a restart. The kiosk's store is one.
type Occupancy interface {
	// PeopleIn is passes (less their not_entered records) minus counted
	// exits at or after since; never below zero.
	PeopleIn(ctx context.Context, since time.Time) (int, error)
	// ExitedSince reports whether card's latest pass or counted exit at or
	// after since is an exit: it is already out.
	ExitedSince(ctx context.Context, cardID string, since time.Time) (bool, error)
}
