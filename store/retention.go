package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// purgeBatch bounds one purge transaction so the writer is never held for
// long while a card waits.
const purgeBatch = 2000

// plausibleNs is the earliest wall time retention believes for a check-in
// not yet uploaded: a board without a real-time clock stamps 1970 until it
// learns the time, and such a row is minutes old, not decades. Its age is
// unknown, so it waits for the upload (where the collector corrects it).
var plausibleNs = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

// SeqRange is an inclusive range of seqs of one ledger.
type SeqRange struct {
	Lo, Hi int64
}

// Purge deletes the check-ins older than RetentionDays before now, by
// their best known time (corrected when known). Uploaded or not: a venue
// keeps no record longer than it said it would. With KeepUntilUploaded a
// row still queued for upload is kept whatever its age, as are queued rows
// whose time cannot be believed (before 2020: a clock that was never set).
//
// A queued row that goes is accounted, never silently dropped: its seq
// joins the ledger's purged ranges (sent with the next batch, so the
// collector records the gap as purged, not lost) and the purged counter
// (OutboxStats.Purged) goes up. The seq counter is untouched, so seqs stay
// gap-free and are never reused. It returns how many rows went.
func (s *Store) Purge(ctx context.Context, now time.Time) (int, error) {
	cutoff := now.Add(-time.Duration(s.opts.RetentionDays) * 24 * time.Hour).UnixNano()
	total := 0
	for after := int64(0); ; {
		// Candidates are found on a reader, so the writer is held only
		// for deleting rows already known by seq.
		cand, err := s.purgeCandidates(ctx, cutoff, after)
		if err != nil {
			return total, err
		}
		if len(cand) == 0 {
			break
		}
		after = cand[len(cand)-1]
		n, err := s.purgeRows(ctx, cand, cutoff)
		total += n
		if err != nil {
			return total, err
		}
		if len(cand) < purgeBatch {
			break
		}
	}
	err := s.freeing(ctx, "purge events", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM events WHERE at_ns < ? AND id NOT IN (
			SELECT id FROM events ORDER BY id DESC LIMIT 100)`, cutoff); err != nil {
			return err
		}
		// The desk's audit lines go with the check-ins they are about.
		_, err := tx.ExecContext(ctx, `DELETE FROM desk_audit WHERE at_ns < ?`, cutoff)
		return err
	})
	return total, err
}

// purgeCandidates returns up to purgeBatch seqs above after whose best
// known time is before cutoff, ascending. Old rows sit at low seqs, so the
// rowid walk finds them without an index on time.
func (s *Store) purgeCandidates(ctx context.Context, cutoff, after int64) ([]int64, error) {
	r, err := s.reader()
	if err != nil {
		return nil, fmt.Errorf("store: purge: %w", err)
	}
	q := `SELECT seq FROM checkins WHERE seq > ? AND coalesce(corrected_ns, at_ns) < ?`
	if s.opts.KeepUntilUploaded {
		q += ` AND seq NOT IN (SELECT seq FROM outbox)`
	}
	rows, err := r.QueryContext(ctx, q+` ORDER BY seq LIMIT ?`, after, cutoff, purgeBatch)
	if err != nil {
		return nil, classify("purge", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return nil, classify("purge", err)
		}
		out = append(out, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, classify("purge", err)
	}
	return out, nil
}

// purgeRows deletes the candidates that still qualify in one transaction:
// rows, their outbox entries, the purged ranges and the counter together.
func (s *Store) purgeRows(ctx context.Context, cand []int64, cutoff int64) (int, error) {
	list, err := json.Marshal(cand)
	if err != nil {
		return 0, fmt.Errorf("store: purge: %w", err)
	}
	var n int
	err = s.freeing(ctx, "purge", func(tx *sql.Tx) error {
		n = 0
		// Re-read under the write lock: an ack or a clock correction may
		// have changed a candidate since the reader saw it.
		rows, err := tx.QueryContext(ctx, `SELECT c.seq, c.ledger, o.seq IS NOT NULL, coalesce(c.corrected_ns, c.at_ns)
			FROM checkins c LEFT JOIN outbox o ON o.seq = c.seq
			WHERE c.seq IN (SELECT value FROM json_each(?)) ORDER BY c.seq`, string(list))
		if err != nil {
			return err
		}
		var gone []int64
		unsent := map[string][]int64{}
		for rows.Next() {
			var (
				seq, at int64
				ledger  string
				queued  bool
			)
			if err := rows.Scan(&seq, &ledger, &queued, &at); err != nil {
				rows.Close()
				return err
			}
			switch {
			case at >= cutoff:
			case queued && (s.opts.KeepUntilUploaded || at < plausibleNs):
			case queued:
				unsent[ledger] = append(unsent[ledger], seq)
				gone = append(gone, seq)
			default:
				gone = append(gone, seq)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(gone) == 0 {
			return nil
		}
		del, err := json.Marshal(gone)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE seq IN (SELECT value FROM json_each(?))`, string(del)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM checkins WHERE seq IN (SELECT value FROM json_each(?))`, string(del)); err != nil {
			return err
		}
		count := 0
		for ledger, seqs := range unsent {
			if err := addPurged(ctx, tx, ledger, seqs); err != nil {
				return err
			}
			count += len(seqs)
		}
		if count > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE counters SET value = value + ? WHERE name = 'purged'`, count); err != nil {
				return err
			}
		}
		n = len(gone)
		return nil
	})
	return n, err
}

// addPurged adds seqs (ascending, already deleted from the outbox) to the
// ledger's purged ranges. Two ranges merge when no queued row of the
// ledger lies between them: whatever lies between was acknowledged, so
// the collector holds it and counts none of it as purged.
func addPurged(ctx context.Context, tx *sql.Tx, ledger string, seqs []int64) error {
	rs, err := purgedRanges(ctx, tx, ledger, -1)
	if err != nil {
		return err
	}
	for _, seq := range seqs {
		if n := len(rs); n > 0 && rs[n-1].Hi+1 == seq {
			rs[n-1].Hi = seq
			continue
		}
		rs = append(rs, SeqRange{seq, seq})
	}
	slices.SortFunc(rs, func(a, b SeqRange) int { return cmp.Compare(a.Lo, b.Lo) })
	merged := rs[:1]
	for _, r := range rs[1:] {
		last := &merged[len(merged)-1]
		if r.Lo <= last.Hi+1 {
			last.Hi = max(last.Hi, r.Hi)
			continue
		}
		var queued bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM outbox o JOIN checkins c ON c.seq = o.seq
			WHERE o.seq > ? AND o.seq < ? AND c.ledger = ?)`, last.Hi, r.Lo, ledger).Scan(&queued); err != nil {
			return err
		}
		if !queued {
			last.Hi = r.Hi
			continue
		}
		merged = append(merged, r)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM purged WHERE ledger = ?`, ledger); err != nil {
		return err
	}
	for _, r := range merged {
		if _, err := tx.ExecContext(ctx, `INSERT INTO purged (ledger, lo, hi) VALUES (?, ?, ?)`, ledger, r.Lo, r.Hi); err != nil {
			return err
		}
	}
	return nil
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// purgedRanges reads the ledger's purged ranges with hi ≤ upTo (all of
// them when upTo < 0), ascending.
func purgedRanges(ctx context.Context, q querier, ledger string, upTo int64) ([]SeqRange, error) {
	if upTo < 0 {
		upTo = 1<<63 - 1
	}
	rows, err := q.QueryContext(ctx, `SELECT lo, hi FROM purged WHERE ledger = ? AND hi <= ? ORDER BY lo`, ledger, upTo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SeqRange
	for rows.Next() {
		var r SeqRange
		if err := rows.Scan(&r.Lo, &r.Hi); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// PurgedRanges returns the ranges of ledger that retention deleted before
// upload, at or below upTo (a batch's floor), ascending: the uplink sends
// them with the batch. Ack forgets the ranges its ack passes.
func (s *Store) PurgedRanges(ctx context.Context, ledger string, upTo int64) ([]SeqRange, error) {
	r, err := s.reader()
	if err != nil {
		return nil, fmt.Errorf("store: purged ranges: %w", err)
	}
	rs, err := purgedRanges(ctx, r, ledger, upTo)
	if err != nil {
		return nil, classify("purged ranges", err)
	}
	return rs, nil
}
