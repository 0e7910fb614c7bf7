package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AuditEntry is one line of the staff desk's audit trail on the kiosk.
type AuditEntry struct {
	At     time.Time
	Staff  string // the signed-in staff member's id; "" for a refused sign-in
	Action string
	Detail string // never a name or a card id
	Seq    int64  // the check-in the action made, 0 when none
}

// Ref names a check-in: its ledger and seq.
type Ref struct {
	Ledger string
	Seq    int64
}

// Row is a stored check-in as the staff desk reads it.
type Row struct {
	Seq    int64
	Ledger string
	Checkin
	CorrectedAt time.Time // zero when not corrected
	Undoes      Ref       // the check-in a desk undo takes back; zero otherwise
}

// Time is when the check-in happened: the corrected time when there is one.
func (r Row) Time() time.Time {
	if !r.CorrectedAt.IsZero() {
		return r.CorrectedAt
	}
	return r.At
}

// ErrUndone: the check-in to undo is already undone.
var ErrUndone = errors.New("store: check-in already undone")

// RecordDesk stores a check-in made at the staff desk and its audit line
// in one transaction, queued for upload like any check-in, stamped with
// the boot id and the time since boot as Record does. A non-zero
// undoes names the check-in c takes back: it must exist and not be undone
// yet (ErrNotFound, ErrUndone).
func (s *Store) RecordDesk(ctx context.Context, c Checkin, undoes Ref, a AuditEntry) (int64, error) {
	if c.At.IsZero() {
		c.At = s.opts.Now()
	}
	if a.At.IsZero() {
		a.At = c.At
	}
	// Stamped like the gate's check-ins, so the uplink can correct the
	// wall time of one made before the clock was set.
	c.BootID = s.opts.BootID
	c.Mono, _ = s.opts.SinceBoot()
	var seq int64
	err := s.write(ctx, "record desk check-in", func(tx *sql.Tx) (err error) {
		if undoes != (Ref{}) {
			var n, undone int
			if err := tx.QueryRowContext(ctx, `SELECT
				(SELECT count(*) FROM checkins WHERE ledger = ? AND seq = ?),
				(SELECT count(*) FROM checkins WHERE undoes_ledger = ? AND undoes_seq = ?)`,
				undoes.Ledger, undoes.Seq, undoes.Ledger, undoes.Seq).Scan(&n, &undone); err != nil {
				return err
			}
			switch {
			case n == 0:
				return fmt.Errorf("undo %s/%d: %w", undoes.Ledger, undoes.Seq, ErrNotFound)
			case undone > 0:
				return fmt.Errorf("undo %s/%d: %w", undoes.Ledger, undoes.Seq, ErrUndone)
			}
		}
		if seq, err = s.insertCheckin(ctx, tx, c); err != nil {
			return err
		}
		if undoes != (Ref{}) {
			if _, err := tx.ExecContext(ctx, `UPDATE checkins SET undoes_ledger = ?, undoes_seq = ? WHERE seq = ?`,
				undoes.Ledger, undoes.Seq, seq); err != nil {
				return err
			}
		}
		a.Seq = seq
		return insertAudit(ctx, tx, a)
	})
	if err != nil {
		return 0, err
	}
	s.committedCheckin()
	return seq, nil
}

// Audit appends a to the staff desk's audit trail.
func (s *Store) Audit(ctx context.Context, a AuditEntry) error {
	if a.At.IsZero() {
		a.At = s.opts.Now()
	}
	return s.write(ctx, "desk audit", func(tx *sql.Tx) error { return insertAudit(ctx, tx, a) })
}

func insertAudit(ctx context.Context, tx *sql.Tx, a AuditEntry) error {
	var seq sql.NullInt64
	if a.Seq != 0 {
		seq = sql.NullInt64{Int64: a.Seq, Valid: true}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO desk_audit (at_ns, staff, action, detail, seq) VALUES (?, ?, ?, ?, ?)`,
		a.At.UnixNano(), a.Staff, a.Action, a.Detail, seq)
	return err
}

// AuditLog returns the audit lines at or after since, oldest first, at
// most limit of them.
func (s *Store) AuditLog(ctx context.Context, since time.Time, limit int) ([]AuditEntry, error) {
	r, err := s.reader()
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	rows, err := r.QueryContext(ctx, `SELECT at_ns, staff, action, detail, coalesce(seq, 0) FROM desk_audit
		WHERE at_ns >= ? ORDER BY id LIMIT ?`, since.UnixNano(), limit)
	if err != nil {
		return nil, classify("audit log", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var a AuditEntry
		var at int64
		if err := rows.Scan(&at, &a.Staff, &a.Action, &a.Detail, &a.Seq); err != nil {
			return nil, classify("audit log", err)
		}
		a.At = time.Unix(0, at)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, classify("audit log", err)
	}
	return out, nil
}

// Rows returns the check-ins of [from, to) by their (corrected) time,
// oldest first. A non-empty cardPrefix keeps only cards whose id starts
// with it (the printed number's 8 hex digits), case-insensitively.
func (s *Store) Rows(ctx context.Context, from, to time.Time, cardPrefix string) ([]Row, error) {
	r, err := s.reader()
	if err != nil {
		return nil, fmt.Errorf("store: rows: %w", err)
	}
	q := `SELECT seq, ledger, at_ns, boot_id, mono_ns, clock_synced, corrected_ns, source, decision, reason,
		card_id, holder, category, grp, name, coalesce(undoes_ledger, ''), coalesce(undoes_seq, 0)
		FROM checkins WHERE coalesce(corrected_ns, at_ns) >= ? AND coalesce(corrected_ns, at_ns) < ?`
	args := []any{from.UnixNano(), to.UnixNano()}
	if cardPrefix != "" {
		q += ` AND lower(substr(card_id, 1, ?)) = ?`
		args = append(args, len(cardPrefix), strings.ToLower(cardPrefix))
	}
	rows, err := r.QueryContext(ctx, q+` ORDER BY coalesce(corrected_ns, at_ns), seq`, args...)
	if err != nil {
		return nil, classify("rows", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var (
			row        Row
			at, mono   int64
			correctedN sql.NullInt64
		)
		if err := rows.Scan(&row.Seq, &row.Ledger, &at, &row.BootID, &mono, &row.ClockSynced, &correctedN,
			&row.Source, &row.Decision, &row.Reason, &row.CardID, &row.Holder, &row.Category, &row.Group, &row.Name,
			&row.Undoes.Ledger, &row.Undoes.Seq); err != nil {
			return nil, classify("rows", err)
		}
		row.At, row.Mono = time.Unix(0, at), time.Duration(mono)
		if correctedN.Valid {
			row.CorrectedAt = time.Unix(0, correctedN.Int64)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, classify("rows", err)
	}
	return out, nil
}
