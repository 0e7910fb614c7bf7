package collector

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scangate/scangate/sync/wire"
)

// sqlitePurgedGap counts the seqs of (ack, floor] that the batch's purged
// ranges cover and the collector does not hold: the device's retention
// deleted them before upload.
func sqlitePurgedGap(ctx context.Context, tx *sql.Tx, device string, b Batch, ack uint64) (uint64, error) {
	var purged uint64
	for _, r := range b.Purged {
		lo, hi := max(r.Lo, ack+1), min(r.Hi, b.Floor)
		if lo > hi {
			continue
		}
		var held uint64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM checkins WHERE device = ? AND ledger = ? AND seq >= ? AND seq <= ?`,
			device, b.Ledger, int64(lo), int64(hi)).Scan(&held); err != nil {
			return 0, fmt.Errorf("collector: purged gap: %w", err)
		}
		purged += hi - lo + 1 - held
	}
	return purged, nil
}

// recordTime is a record's best known time, as Checkin.Time.
func recordTime(r *wire.Record) time.Time {
	if r.CorrectedAt != nil {
		return *r.CorrectedAt
	}
	return r.At
}

// sqliteLateErasure returns the record to store for r: r itself, or, when
// its card or holder was erased after r was made, r anonymised together
// with the digest of what it was (erased_digest).
func sqliteLateErasure(ctx context.Context, g *groupStmts, device, ledger string, r *wire.Record) (wire.Record, any, error) {
	if g.erased == nil {
		return *r, nil, nil
	}
	subj := recordSubjects(r)
	if len(subj) == 0 {
		return *r, nil, nil
	}
	subj = append(subj, subj[0])
	var id, at int64
	err := g.erased.QueryRowContext(ctx, subj[0], subj[1]).Scan(&id, &at)
	if errors.Is(err, sql.ErrNoRows) || err == nil && recordTime(r).After(fromNanos(at)) {
		return *r, nil, nil
	}
	if err != nil {
		return wire.Record{}, nil, fmt.Errorf("collector: erasures: %w", err)
	}
	// A seq already held (above the ack, anonymised by the erasure) is a
	// replay: not a late arrival.
	var held bool
	if err := g.held.QueryRowContext(ctx, device, ledger, int64(r.Seq)).Scan(&held); err != nil {
		return wire.Record{}, nil, fmt.Errorf("collector: erasures: %w", err)
	}
	if held {
		return *r, nil, nil
	}
	if _, err := g.late.ExecContext(ctx, id); err != nil {
		return wire.Record{}, nil, fmt.Errorf("collector: erasures: %w", err)
	}
	out := *r
	anonymise(&out)
	return out, contentDigest(r), nil
}

// numberKeys is the card_key range of the card ids whose printed number
// (their first 8 hex digits) is number.
func numberKeys(number string) (lo, hi int64, err error) {
	p, err := strconv.ParseUint(number, 16, 32)
	if err != nil || len(number) != 8 {
		return 0, 0, fmt.Errorf("%w: card number %q is not 8 hex digits", ErrBadRequest, number)
	}
	// Both ends share the top bit, so the signed range is contiguous too.
	return int64(p << 32), int64(p<<32 | 0xffffffff), nil
}

func (s *SQLite) VisitsOfCardNumber(ctx context.Context, number string, from, to time.Time) ([]Visit, error) {
	number = strings.ToLower(number)
	lo, hi, err := numberKeys(number)
	if err != nil {
		return nil, err
	}
	return s.visits(ctx, `SELECT `+sqliteVisitCols+` FROM checkins WHERE card_key BETWEEN ? AND ? AND substr(card_id, 1, 8) = ?
		AND t >= ? AND t < ? ORDER BY t, device, ledger, seq`, lo, from, to, hi, number)
}

func (s *SQLite) CardsByNumber(ctx context.Context, number string) ([]string, error) {
	number = strings.ToLower(number)
	lo, hi, err := numberKeys(number)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM cards WHERE id >= ? AND id < ? AND substr(id, 1, 8) = ?
		UNION SELECT card_id FROM checkins WHERE card_key BETWEEN ? AND ? AND substr(card_id, 1, 8) = ? ORDER BY 1`,
		number, number+"g", number, lo, hi, number)
	if err != nil {
		return nil, fmt.Errorf("collector: cards by number: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("collector: cards by number: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("collector: cards by number: %w", err)
	}
	return out, nil
}

// sqlitePurgeChunk bounds one purge transaction: ingest waits behind it.
const sqlitePurgeChunk = 5000

func (s *SQLite) PurgeExpired(ctx context.Context, now time.Time) ([]VenuePurge, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, retention_days FROM venues WHERE retention_days > 0 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("collector: purge: %w", err)
	}
	type venue struct {
		id   string
		days int
	}
	var vs []venue
	for rows.Next() {
		var v venue
		if err := rows.Scan(&v.id, &v.days); err != nil {
			rows.Close()
			return nil, fmt.Errorf("collector: purge: %w", err)
		}
		vs = append(vs, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("collector: purge: %w", err)
	}
	out := []VenuePurge{}
	for _, v := range vs {
		cutoff := now.Add(-time.Duration(v.days) * 24 * time.Hour).UTC()
		p := VenuePurge{Venue: v.id, Cutoff: cutoff, Deleted: map[string]int64{TableCheckins: 0, TableConflicts: 0}}
		for {
			var n int64
			err := s.write(ctx, func(tx *sql.Tx) error {
				res, err := tx.ExecContext(ctx, `DELETE FROM checkins WHERE rowid IN (SELECT c.rowid FROM checkins c
					JOIN ledgers l ON l.device = c.device AND l.ledger = c.ledger
					WHERE c.venue = ? AND c.t < ? AND c.seq <= l.ack_seq LIMIT ?)`, v.id, nanos(cutoff), sqlitePurgeChunk)
				if err != nil {
					return fmt.Errorf("collector: purge check-ins: %w", err)
				}
				n, _ = res.RowsAffected()
				return nil
			})
			if err != nil {
				return out, err
			}
			p.Deleted[TableCheckins] += n
			if n < sqlitePurgeChunk {
				break
			}
		}
		err := s.write(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM conflicts WHERE received < ? AND device IN (SELECT id FROM devices WHERE venue = ?)`,
				nanos(cutoff), v.id)
			if err != nil {
				return fmt.Errorf("collector: purge conflicts: %w", err)
			}
			p.Deleted[TableConflicts], _ = res.RowsAffected()
			return nil
		})
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// sqliteSubjectWhere is the check-ins condition of an erasure's subject.
func sqliteSubjectWhere(e Erasure) (string, []any) {
	if e.Kind == EraseCard {
		id := strings.ToLower(e.Subject)
		return `card_key = ? AND card_id = ?`, []any{cardKey(id), id}
	}
	return `holder = ?`, []any{e.Subject}
}

// Erase finds the rows on a reader first (a holder has no index: a full
// scan), then anonymises them in one write transaction, which looks again
// at the rows that arrived meanwhile (rowids only grow). secure_delete and
// a truncating checkpoint afterwards leave no copy of the erased content
// in free pages or the WAL.
func (s *SQLite) Erase(ctx context.Context, e Erasure) (ErasureReport, error) {
	if err := checkErasure(e); err != nil {
		return ErasureReport{}, err
	}
	if e.Kind == EraseCard {
		e.Subject = strings.ToLower(e.Subject)
	}
	where, args := sqliteSubjectWhere(e)
	var seen int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(rowid), 0) FROM checkins`).Scan(&seen); err != nil {
		return ErasureReport{}, fmt.Errorf("collector: erase: %w", err)
	}
	found, err := sqliteRowids(ctx, s.db, `SELECT rowid FROM checkins WHERE rowid <= ? AND erased_digest IS NULL AND `+where, append([]any{seen}, args...))
	if err != nil {
		return ErasureReport{}, err
	}
	rep := ErasureReport{At: e.At.UTC(), Actor: e.Actor, Kind: e.Kind, Subject: SubjectHash(e.Kind, e.Subject),
		Deleted: map[string]int64{TableCheckins: 0, TableConflicts: 0, TableCards: 0}}
	pragma := func(q string) error {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		if _, err := s.wconn.ExecContext(context.Background(), q); err != nil {
			return fmt.Errorf("collector: erase: %w", err)
		}
		return nil
	}
	if err := pragma(`PRAGMA secure_delete = ON`); err != nil {
		return ErasureReport{}, err
	}
	defer func() {
		pragma(`PRAGMA secure_delete = OFF`)
		s.checkpoint(0)
	}()
	err = s.write(ctx, func(tx *sql.Tx) error {
		more, err := sqliteRowids(ctx, tx, `SELECT rowid FROM checkins WHERE rowid > ? AND erased_digest IS NULL AND `+where, append([]any{seen}, args...))
		if err != nil {
			return err
		}
		n, err := sqliteAnonymise(ctx, tx, append(found, more...), where, args)
		if err != nil {
			return err
		}
		rep.Deleted[TableCheckins] = n
		field := "$.card_id"
		if e.Kind == EraseHolder {
			field = "$.holder"
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM conflicts WHERE json_extract(record, ?) = ?`, field, e.Subject)
		if err != nil {
			return fmt.Errorf("collector: erase conflicts: %w", err)
		}
		rep.Deleted[TableConflicts], _ = res.RowsAffected()
		col := "id"
		if e.Kind == EraseHolder {
			col = "holder"
		}
		if res, err = tx.ExecContext(ctx, `DELETE FROM cards WHERE `+col+` = ?`, e.Subject); err != nil {
			return fmt.Errorf("collector: erase cards: %w", err)
		}
		rep.Deleted[TableCards], _ = res.RowsAffected()
		counts, err := json.Marshal(rep.Deleted)
		if err != nil {
			return fmt.Errorf("collector: erase: %w", err)
		}
		return tx.QueryRowContext(ctx, `INSERT INTO erasures (at, actor, kind, subject, deleted) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			nanos(rep.At), rep.Actor, rep.Kind, rep.Subject, string(counts)).Scan(&rep.ID)
	})
	if err != nil {
		return ErasureReport{}, err
	}
	return rep, nil
}

type sqliteQuerier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func sqliteRowids(ctx context.Context, db sqliteQuerier, q string, args []any) ([]int64, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("collector: erase: find rows: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("collector: erase: find rows: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("collector: erase: find rows: %w", err)
	}
	return out, nil
}

// sqliteAnonymise turns the rows into anonymised traces that keep the
// digest of what they were. A row that no longer matches (anonymised
// meanwhile) is left alone.
func sqliteAnonymise(ctx context.Context, tx *sql.Tx, rowids []int64, where string, args []any) (int64, error) {
	get, err := tx.PrepareContext(ctx, `SELECT at, boot_id, mono_ns, clock_synced, source, decision, reason, card_id, holder, category, grp, name
		FROM checkins WHERE rowid = ? AND erased_digest IS NULL AND `+where)
	if err != nil {
		return 0, fmt.Errorf("collector: erase: %w", err)
	}
	defer get.Close()
	set, err := tx.PrepareContext(ctx, `UPDATE checkins SET card_id = '', holder = '', name = '', category = '', grp = 0, card_key = 0,
		erased_digest = ? WHERE rowid = ?`)
	if err != nil {
		return 0, fmt.Errorf("collector: erase: %w", err)
	}
	defer set.Close()
	var n int64
	for _, id := range rowids {
		var h wire.Record
		var at int64
		err := get.QueryRowContext(ctx, append([]any{id}, args...)...).Scan(&at, &h.BootID, &h.MonoNS, &h.ClockSynced, &h.Source,
			&h.Decision, &h.Reason, &h.CardID, &h.Holder, &h.Category, &h.Group, &h.Name)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("collector: erase: %w", err)
		}
		h.At = fromNanos(at)
		if _, err := set.ExecContext(ctx, contentDigest(&h), id); err != nil {
			return 0, fmt.Errorf("collector: erase: %w", err)
		}
		n++
	}
	return n, nil
}

func (s *SQLite) Erasures(ctx context.Context, limit int) ([]ErasureReport, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, actor, kind, subject, deleted, late FROM erasures ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("collector: erasures: %w", err)
	}
	defer rows.Close()
	out := []ErasureReport{}
	for rows.Next() {
		var r ErasureReport
		var at int64
		var deleted string
		if err := rows.Scan(&r.ID, &at, &r.Actor, &r.Kind, &r.Subject, &deleted, &r.Late); err != nil {
			return nil, fmt.Errorf("collector: erasures: %w", err)
		}
		r.At = fromNanos(at)
		if err := json.Unmarshal([]byte(deleted), &r.Deleted); err != nil {
			return nil, fmt.Errorf("collector: erasure %d counts: %w", r.ID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("collector: erasures: %w", err)
	}
	return out, nil
}
