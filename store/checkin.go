package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DecisionPass is the Decision value LastPass looks for; it matches the
// gate's Outcome string for an admitted and counted check-in.
const DecisionPass = "pass"

// Checkin is one decision at the door, as stored and uploaded. Everything an
// uploader needs to anchor the time later is here: the wall clock, the boot,
// the monotonic time since boot and whether the wall clock was trusted.
type Checkin struct {
	At          time.Time     `json:"at"`                 // wall clock at decision
	BootID      string        `json:"boot_id"`            // CurrentBootID()
	Mono        time.Duration `json:"mono_ns"`            // SinceBoot() at decision
	ClockSynced bool          `json:"clock_synced"`       // wall clock known good (NTP or collector)
	Source      string        `json:"source"`             // scanner source name
	Decision    string        `json:"decision"`           // gate Outcome string: pass, already, fail, fault
	Reason      string        `json:"reason"`             // gate Reason
	CardID      string        `json:"card_id,omitempty"`  // card id (cti hex); in log-only mode, Pseudonym of the text
	Holder      string        `json:"holder,omitempty"`   // holder pseudonym (sub), never raw QR text
	Category    string        `json:"category,omitempty"` // elder, child, companion, staff
	Group       int64         `json:"group,omitempty"`    // companion group, 0 when none
	Name        string        `json:"name,omitempty"`     // masked display name
}

// RecordCheckin stores c and queues it for upload in one transaction, and
// returns its seq once the commit is on disk (WAL fsynced): only then may
// the door signal pass. On error nothing of c is stored and no seq is used.
func (s *Store) RecordCheckin(ctx context.Context, c Checkin) (int64, error) {
	if c.At.IsZero() {
		c.At = s.opts.Now()
	}
	var seq int64
	err := s.write(ctx, "record check-in", func(tx *sql.Tx) (err error) {
		seq, err = s.insertCheckin(ctx, tx, c)
		return err
	})
	if err != nil {
		return 0, err
	}
	s.committedCheckin()
	return seq, nil
}

// insertCheckin numbers c, stores it and queues it for upload within tx.
func (s *Store) insertCheckin(ctx context.Context, tx *sql.Tx, c Checkin) (int64, error) {
	var seq int64
	if err := tx.QueryRowContext(ctx,
		`UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("next seq: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO checkins (seq, at_ns, boot_id, mono_ns, clock_synced,
		source, decision, reason, card_id, holder, category, grp, name, ledger)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		seq, c.At.UnixNano(), c.BootID, int64(c.Mono), c.ClockSynced,
		c.Source, c.Decision, c.Reason, c.CardID, c.Holder, c.Category, c.Group, c.Name, s.ledger); err != nil {
		return 0, err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO outbox (seq) VALUES (?)`, seq)
	return seq, err
}

// committedCheckin wakes the uploader after a check-in's commit.
func (s *Store) committedCheckin() {
	s.countCommit()
	select {
	case s.committed <- struct{}{}:
	default:
	}
}

// LastPass returns the time of the latest counted pass of cardID at or
// after since: the gate's duplicate window. A pass made at the staff desk
// counts like any other; one undone at the desk does not. An empty cardID
// never matches.
func (s *Store) LastPass(ctx context.Context, cardID string, since time.Time) (time.Time, bool, error) {
	if cardID == "" {
		return time.Time{}, false, nil
	}
	r, err := s.reader()
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: last pass: %w", err)
	}
	var at sql.NullInt64
	err = r.QueryRowContext(ctx,
		`SELECT max(c.at_ns) FROM checkins c WHERE c.card_id = ? AND c.decision = ? AND c.at_ns >= ?
		AND NOT EXISTS (SELECT 1 FROM checkins u WHERE u.undoes_seq = c.seq AND u.undoes_ledger = c.ledger)`,
		cardID, DecisionPass, since.UnixNano()).Scan(&at)
	if err != nil {
		return time.Time{}, false, classify("last pass", err)
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	return time.Unix(0, at.Int64), true, nil
}

// ClockAnchor pairs a trusted wall time with the monotonic time (since boot)
// at which it was true.
type ClockAnchor struct {
	Mono time.Duration
	Wall time.Time
}

// WallAt is the wall time at monotonic time mono of the same boot.
func (a ClockAnchor) WallAt(mono time.Duration) time.Time { return a.Wall.Add(mono - a.Mono) }

// CorrectClock sets the corrected time of every check-in of bootID that was
// made before the clock was trusted and not yet corrected, from its
// monotonic time and the anchor. The original wall time is kept beside it.
func (s *Store) CorrectClock(ctx context.Context, bootID string, a ClockAnchor) (int, error) {
	if bootID == "" {
		return 0, errors.New("store: correct clock: empty boot id")
	}
	var n int64
	err := s.write(ctx, "correct clock", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE checkins SET corrected_ns = ? + (mono_ns - ?)
			WHERE boot_id = ? AND clock_synced = 0 AND corrected_ns IS NULL`,
			a.Wall.UnixNano(), int64(a.Mono), bootID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
