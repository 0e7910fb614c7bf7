package store

import (
	"context"
	"fmt"
	"time"

	"github.com/scangate/scangate/door"
)

// Decision values the occupancy count reads; they are door.Outcome's
// strings, as stored.
const (
	DecisionExit       = "exit"
	decisionNotEntered = "not_entered"
)

var _ door.Occupancy = (*Store)(nil)

// notUndone keeps rows staff have not undone at the desk (c is the row).
const notUndone = `NOT EXISTS (SELECT 1 FROM checkins u WHERE u.undoes_seq = c.seq AND u.undoes_ledger = c.ledger)`

// PeopleIn counts who is inside from the records at or after since (by
// corrected time, what the desk shows): passes, including the desk's
// manual ones, less their not_entered records and less the counted exits
// of cards that passed here since then (someone admitted yesterday, or at
// another kiosk, leaving does not free a place taken today); an undone
// record does not count. It reads the file each time, so it is right
// after a restart and sees every writer (gate, relay, desk); a day's
// rows are one range of the time index.
func (s *Store) PeopleIn(ctx context.Context, since time.Time) (int, error) {
	r, err := s.reader()
	if err != nil {
		return 0, fmt.Errorf("store: people in: %w", err)
	}
	var n int
	// A not_entered record or an exit takes a place back only from a pass
	// of the same card made here since then.
	err = r.QueryRowContext(ctx, `SELECT coalesce(sum(CASE
			WHEN c.decision = ? THEN 1
			WHEN (c.decision = ? AND c.reason != ? OR c.decision = ? AND c.reason != ?) AND EXISTS (SELECT 1 FROM checkins p
				WHERE p.card_id = c.card_id AND p.decision = ? AND p.at_ns >= ? AND p.seq < c.seq) THEN -1
			ELSE 0 END), 0)
		FROM checkins c WHERE coalesce(c.corrected_ns, c.at_ns) >= ? AND c.decision IN (?, ?, ?) AND `+notUndone,
		DecisionPass, decisionNotEntered, string(door.ReasonAlreadyIn), DecisionExit, string(door.ReasonAlreadyOut),
		DecisionPass, since.UnixNano(),
		since.UnixNano(), DecisionPass, decisionNotEntered, DecisionExit).Scan(&n)
	if err != nil {
		return 0, classify("people in", err)
	}
	return max(n, 0), nil
}

// ExitedSince reports whether cardID's latest pass or counted exit at or
// after since is an exit: the card already left (a second exit is not
// counted). An empty cardID never matches.
func (s *Store) ExitedSince(ctx context.Context, cardID string, since time.Time) (bool, error) {
	exit, pass, err := s.lastPassExit(ctx, cardID, since)
	return exit > pass, err
}

// lastPassExit returns the seqs of cardID's latest counted exit and pass
// at or after since (0: none). Seqs order the file's own records exactly,
// even on a clock that did not move.
func (s *Store) lastPassExit(ctx context.Context, cardID string, since time.Time) (exit, pass int64, err error) {
	if cardID == "" {
		return 0, 0, nil
	}
	r, err := s.reader()
	if err != nil {
		return 0, 0, fmt.Errorf("store: last pass and exit: %w", err)
	}
	err = r.QueryRowContext(ctx, `SELECT
		coalesce((SELECT max(c.seq) FROM checkins c WHERE c.card_id = ? AND c.decision = ? AND c.reason != ?
			AND c.at_ns >= ? AND `+notUndone+`), 0),
		coalesce((SELECT max(c.seq) FROM checkins c WHERE c.card_id = ? AND c.decision = ? AND c.at_ns >= ?
			AND `+notUndone+`), 0)`,
		cardID, DecisionExit, string(door.ReasonAlreadyOut), since.UnixNano(),
		cardID, DecisionPass, since.UnixNano()).Scan(&exit, &pass)
	if err != nil {
		return 0, 0, classify("last pass and exit", err)
	}
	return exit, pass, nil
}
