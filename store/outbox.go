package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// OutboxRecord is one queued check-in with its durable sequence number.
type OutboxRecord struct {
	Seq int64 `json:"seq"`
	// Ledger is the database incarnation the record was made in (see
	// Store.Ledger); salvaged records keep their old one.
	Ledger string `json:"ledger,omitempty"`
	Checkin
	// CorrectedAt is the wall time derived from the monotonic clock once the
	// clock was set (CorrectClock); zero when not corrected.
	CorrectedAt time.Time `json:"corrected_at,omitzero"`
	// Size is the length of the record's JSON encoding, what Outbox counts
	// against maxBytes.
	Size int `json:"-"`
}

// Outbox returns the oldest queued records, seq ascending, all of one
// ledger (the oldest record's): at most maxRecords and, after the first, no
// more than maxBytes of JSON in total. The first record is always
// returned, so one large record cannot stall the queue. Every record of
// that ledger below the first was acknowledged, purged by retention (see
// PurgedRanges) or lost: the first seq less one is the batch's floor.
func (s *Store) Outbox(ctx context.Context, maxRecords, maxBytes int) ([]OutboxRecord, error) {
	if maxRecords <= 0 {
		return nil, nil
	}
	r, err := s.reader()
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	rows, err := r.QueryContext(ctx, `SELECT c.seq, c.ledger, c.at_ns, c.boot_id, c.mono_ns, c.clock_synced, c.corrected_ns,
		c.source, c.decision, c.reason, c.card_id, c.holder, c.category, c.grp, c.name
		FROM outbox o JOIN checkins c ON c.seq = o.seq ORDER BY o.seq LIMIT ?`, maxRecords)
	if err != nil {
		return nil, classify("outbox", err)
	}
	defer rows.Close()
	var out []OutboxRecord
	total := 0
	for rows.Next() {
		var (
			rec         OutboxRecord
			atNs, mono  int64
			correctedNs sql.NullInt64
		)
		if err := rows.Scan(&rec.Seq, &rec.Ledger, &atNs, &rec.BootID, &mono, &rec.ClockSynced, &correctedNs,
			&rec.Source, &rec.Decision, &rec.Reason, &rec.CardID, &rec.Holder, &rec.Category, &rec.Group, &rec.Name); err != nil {
			return nil, classify("outbox", err)
		}
		if len(out) > 0 && rec.Ledger != out[0].Ledger {
			break // one ledger a batch
		}
		rec.At = time.Unix(0, atNs)
		rec.Mono = time.Duration(mono)
		if correctedNs.Valid {
			rec.CorrectedAt = time.Unix(0, correctedNs.Int64)
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return nil, fmt.Errorf("store: outbox: size record %d: %w", rec.Seq, err)
		}
		rec.Size = len(b)
		if len(out) > 0 && total+rec.Size > maxBytes {
			break
		}
		total += rec.Size
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, classify("outbox", err)
	}
	return out, nil
}

// Ack is AckLedger for this file's own ledger.
func (s *Store) Ack(ctx context.Context, upTo int64) (int, error) {
	return s.AckLedger(ctx, s.ledger, upTo)
}

// AckLedger removes the queued records of ledger with seq ≤ upTo (the
// collector's highest contiguous seq for that ledger). For this file's own
// ledger it also moves the uploaded watermark, which makes those check-ins
// eligible for Purge. It only deletes, so it works on a full card (with
// the reserve released, see Usage). An ack of this file's ledger beyond
// the last allocated seq changes nothing and returns ErrAckAhead: the
// collector holds seqs this database never made. A salvaged ledger may be
// acked beyond what it kept: the collector holds what the file lost.
func (s *Store) AckLedger(ctx context.Context, ledger string, upTo int64) (int, error) {
	var n int64
	err := s.freeing(ctx, "ack", func(tx *sql.Tx) error {
		own := ledger == s.ledger
		if own {
			var last int64
			if err := tx.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'seq'`).Scan(&last); err != nil {
				return err
			}
			if upTo > last {
				return fmt.Errorf("ack %d, last seq %d: %w", upTo, last, ErrAckAhead)
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE seq <= ? AND seq IN
			(SELECT seq FROM checkins WHERE ledger = ? AND seq <= ?)`, upTo, ledger, upTo)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		// The collector holds or has accounted every seq up to its ack:
		// purged ranges below it need not be sent again.
		if _, err := tx.ExecContext(ctx, `DELETE FROM purged WHERE ledger = ? AND hi <= ?`, ledger, upTo); err != nil {
			return err
		}
		if !own {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE counters SET value = max(value, ?) WHERE name = 'acked'`, upTo)
		return err
	})
	return int(n), err
}

// OutboxStats describes the upload queue for status and metrics.
type OutboxStats struct {
	Depth   int       // queued records
	Oldest  time.Time // wall time of the oldest queued check-in; zero when empty
	LastSeq int64     // the last seq allocated
	Acked   int64     // the highest seq the collector acknowledged
	// Purged counts the check-ins retention deleted before they were
	// uploaded, ever (see Purge): the collector sees them as purged gaps.
	Purged int64
}

// OutboxStats reads the queue's depth and age.
func (s *Store) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	r, err := s.reader()
	if err != nil {
		return st, fmt.Errorf("store: outbox stats: %w", err)
	}
	var oldest sql.NullInt64
	err = r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM outbox),
		(SELECT c.at_ns FROM outbox o JOIN checkins c ON c.seq = o.seq ORDER BY o.seq LIMIT 1),
		(SELECT value FROM counters WHERE name = 'seq'),
		(SELECT value FROM counters WHERE name = 'acked'),
		(SELECT value FROM counters WHERE name = 'purged')`).Scan(&st.Depth, &oldest, &st.LastSeq, &st.Acked, &st.Purged)
	if err != nil {
		return st, classify("outbox stats", err)
	}
	if oldest.Valid {
		st.Oldest = time.Unix(0, oldest.Int64)
	}
	return st, nil
}
