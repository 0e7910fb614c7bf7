package collector

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scangate/scangate/sync/wire"
)

// pgPurgedGap is sqlitePurgedGap on checkin_seqs, which hold every seq
// received (their check-ins may be purged since).
func pgPurgedGap(ctx context.Context, tx pgx.Tx, device string, b Batch, ack uint64) (uint64, error) {
	var purged uint64
	for _, r := range b.Purged {
		lo, hi := max(r.Lo, ack+1), min(r.Hi, b.Floor)
		if lo > hi {
			continue
		}
		var held int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM checkin_seqs WHERE device = $1 AND ledger = $2 AND seq >= $3 AND seq <= $4`,
			device, b.Ledger, int64(lo), int64(hi)).Scan(&held); err != nil {
			return 0, fmt.Errorf("collector: purged gap: %w", err)
		}
		purged += hi - lo + 1 - uint64(held)
	}
	return purged, nil
}

// erasedSubjects are the erasures a batch's records answer to: by subject
// hash, the latest erasure's id and time.
type erasedSubjects map[string]struct {
	id int64
	at time.Time
}

// match reports the erasure r falls under: one of its subjects erased at
// or after r was made.
func (e erasedSubjects) match(r *wire.Record) (int64, bool) {
	for _, s := range recordSubjects(r) {
		if x, ok := e[s]; ok && !recordTime(r).After(x.at) {
			return x.id, true
		}
	}
	return 0, false
}

// pgErasedSubjects looks the batch's subjects up in one query, and not at
// all while nothing was ever erased.
func pgErasedSubjects(ctx context.Context, tx pgx.Tx, recs []Checkin) (erasedSubjects, error) {
	var anyErased bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM erasures)`).Scan(&anyErased); err != nil || !anyErased {
		if err != nil {
			return nil, fmt.Errorf("collector: erasures: %w", err)
		}
		return nil, nil
	}
	var subj []string
	for i := range recs {
		subj = append(subj, recordSubjects(&recs[i].Record)...)
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT ON (subject) subject, id, at FROM erasures WHERE subject = ANY($1) ORDER BY subject, at DESC`, subj)
	if err != nil {
		return nil, fmt.Errorf("collector: erasures: %w", err)
	}
	out := erasedSubjects{}
	var s string
	var id int64
	var at time.Time
	if _, err := pgx.ForEachRow(rows, []any{&s, &id, &at}, func() error {
		out[s] = struct {
			id int64
			at time.Time
		}{id, at}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("collector: erasures: %w", err)
	}
	return out, nil
}

func (p *Postgres) VisitsOfCardNumber(ctx context.Context, number string, from, to time.Time) ([]Visit, error) {
	number = strings.ToLower(number)
	if _, _, err := numberKeys(number); err != nil {
		return nil, err
	}
	// The range keeps the (card_id, t) index in play; left() is the test.
	return p.visits(ctx, `SELECT `+pgVisitCols+` FROM checkins WHERE card_id >= $1 AND card_id < $4 AND left(card_id, 8) = $1
		AND t >= $2 AND t < $3 ORDER BY t, device, ledger, seq`, number, from, to, number+"g")
}

func (p *Postgres) CardsByNumber(ctx context.Context, number string) ([]string, error) {
	number = strings.ToLower(number)
	if _, _, err := numberKeys(number); err != nil {
		return nil, err
	}
	rows, err := p.pool.Query(ctx, `SELECT id FROM cards WHERE id >= $1 AND id < $2 AND left(id, 8) = $1
		UNION SELECT card_id FROM checkins WHERE card_id >= $1 AND card_id < $2 AND left(card_id, 8) = $1 ORDER BY 1`, number, number+"g")
	if err != nil {
		return nil, fmt.Errorf("collector: cards by number: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("collector: cards by number: %w", err)
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

func (p *Postgres) PurgeExpired(ctx context.Context, now time.Time) ([]VenuePurge, error) {
	rows, err := p.pool.Query(ctx, `SELECT id, retention_days FROM venues WHERE retention_days > 0 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("collector: purge: %w", err)
	}
	type venue struct {
		id   string
		days int32
	}
	vs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (venue, error) {
		var v venue
		return v, r.Scan(&v.id, &v.days)
	})
	if err != nil {
		return nil, fmt.Errorf("collector: purge: %w", err)
	}
	out := []VenuePurge{}
	for _, v := range vs {
		cutoff := now.Add(-time.Duration(v.days) * 24 * time.Hour).UTC()
		vp := VenuePurge{Venue: v.id, Cutoff: cutoff, Deleted: map[string]int64{}}
		err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
			// A seq kept from before digests gets its digest now, while its
			// row is still here to compute it from: a later replay is
			// compared by it.
			if _, err := tx.Exec(ctx, `UPDATE checkin_seqs s SET digest = `+pgDigestSQL+` FROM checkins c, ledgers l
				WHERE c.venue = $1 AND c.t < $2 AND l.device = c.device AND l.ledger = c.ledger AND c.seq <= l.ack_seq
				AND s.device = c.device AND s.ledger = c.ledger AND s.seq = c.seq AND s.digest IS NULL`, v.id, cutoff); err != nil {
				return fmt.Errorf("collector: purge: keep digests: %w", err)
			}
			tag, err := tx.Exec(ctx, `DELETE FROM checkins c USING ledgers l WHERE c.venue = $1 AND c.t < $2
				AND l.device = c.device AND l.ledger = c.ledger AND c.seq <= l.ack_seq`, v.id, cutoff)
			if err != nil {
				return fmt.Errorf("collector: purge check-ins: %w", err)
			}
			vp.Deleted[TableCheckins] = tag.RowsAffected()
			tag, err = tx.Exec(ctx, `DELETE FROM conflicts WHERE received < $1 AND device IN (SELECT id FROM devices WHERE venue = $2)`, cutoff, v.id)
			if err != nil {
				return fmt.Errorf("collector: purge conflicts: %w", err)
			}
			vp.Deleted[TableConflicts] = tag.RowsAffected()
			return nil
		})
		if err != nil {
			return out, err
		}
		out = append(out, vp)
	}
	return out, nil
}

// Erase holds every device row for share: ingest takes its device's row
// for update first, so no batch is half way while the erasure looks, and
// every batch after it sees the erasure's audit row and anonymises what
// of the subject it brings.
func (p *Postgres) Erase(ctx context.Context, e Erasure) (ErasureReport, error) {
	if err := checkErasure(e); err != nil {
		return ErasureReport{}, err
	}
	col := "card_id"
	if e.Kind == EraseCard {
		e.Subject = strings.ToLower(e.Subject)
	} else {
		col = "holder"
	}
	rep := ErasureReport{At: e.At.UTC(), Actor: e.Actor, Kind: e.Kind, Subject: SubjectHash(e.Kind, e.Subject), Deleted: map[string]int64{}}
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM devices FOR SHARE`); err != nil {
			return fmt.Errorf("collector: erase: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE checkin_seqs s SET digest = `+pgDigestSQL+` FROM checkins c
			WHERE c.`+col+` = $1 AND NOT c.erased AND s.device = c.device AND s.ledger = c.ledger AND s.seq = c.seq AND s.digest IS NULL`, e.Subject); err != nil {
			return fmt.Errorf("collector: erase: keep digests: %w", err)
		}
		tag, err := tx.Exec(ctx, `UPDATE checkins SET card_id = '', holder = '', name = '', category = '', grp = 0, erased = true
			WHERE `+col+` = $1 AND NOT erased`, e.Subject)
		if err != nil {
			return fmt.Errorf("collector: erase check-ins: %w", err)
		}
		rep.Deleted[TableCheckins] = tag.RowsAffected()
		if tag, err = tx.Exec(ctx, `DELETE FROM conflicts WHERE record->>'`+col+`' = $1`, e.Subject); err != nil {
			return fmt.Errorf("collector: erase conflicts: %w", err)
		}
		rep.Deleted[TableConflicts] = tag.RowsAffected()
		reg := "id"
		if e.Kind == EraseHolder {
			reg = "holder"
		}
		if tag, err = tx.Exec(ctx, `DELETE FROM cards WHERE `+reg+` = $1`, e.Subject); err != nil {
			return fmt.Errorf("collector: erase cards: %w", err)
		}
		rep.Deleted[TableCards] = tag.RowsAffected()
		return tx.QueryRow(ctx, `INSERT INTO erasures (at, actor, kind, subject, deleted) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			rep.At, rep.Actor, rep.Kind, rep.Subject, rep.Deleted).Scan(&rep.ID)
	})
	if err != nil {
		return ErasureReport{}, err
	}
	return rep, nil
}

func (p *Postgres) Erasures(ctx context.Context, limit int) ([]ErasureReport, error) {
	rows, err := p.pool.Query(ctx, `SELECT id, at, actor, kind, subject, deleted, late FROM erasures ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("collector: erasures: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ErasureReport, error) {
		var e ErasureReport
		err := r.Scan(&e.ID, &e.At, &e.Actor, &e.Kind, &e.Subject, &e.Deleted, &e.Late)
		e.At = e.At.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("collector: erasures: %w", err)
	}
	if out == nil {
		out = []ErasureReport{}
	}
	return out, nil
}
