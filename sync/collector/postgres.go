package collector

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scangate/scangate/sync/wire"
)

// Postgres is the fleet Backend: many stateless collector processes may
// share one database.
//
// Check-ins are partitioned by month of their best known time, so old
// months can be detached and archived. PostgreSQL requires a unique
// constraint on a partitioned table to include the partition key, and a
// replayed record may carry a different time (a device that corrected it),
// so the idempotency key (device, seq) lives in the unpartitioned table
// checkin_seqs: INSERT ... ON CONFLICT (device, seq) DO NOTHING there
// decides which records are new, in the same transaction as their insert.
type Postgres struct {
	pool *pgxpool.Pool

	mu    sync.Mutex
	parts map[string]bool // partitions known to exist
	now   func() time.Time
}

// Months within this window of the server clock get their own partition;
// check-ins timed outside it (a board that booted in 1970, a clock years
// ahead) go to the default partition checkins_other, so a wrong device
// clock cannot make the collector create partitions without bound.
const (
	partitionPast   = 3 * 365 * 24 * time.Hour
	partitionFuture = 62 * 24 * time.Hour
)

var _ Backend = (*Postgres)(nil)

// schemaLock is the advisory lock key that serialises DDL between
// collector instances starting at once.
const schemaLock = 0x5ca96a7e

const pgSchema = `
CREATE TABLE IF NOT EXISTS meta (k text PRIMARY KEY, v bigint NOT NULL);
CREATE TABLE IF NOT EXISTS venues (id text PRIMARY KEY, name text NOT NULL, policy jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS enroll_tokens (
  hash text PRIMARY KEY, venue text NOT NULL REFERENCES venues(id),
  created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL, used_at timestamptz, device text);
CREATE TABLE IF NOT EXISTS devices (
  id text PRIMARY KEY, venue text NOT NULL REFERENCES venues(id), public_key bytea NOT NULL UNIQUE,
  hardware text NOT NULL, enrolled_at timestamptz NOT NULL, revoked_at timestamptz, ack_seq bigint NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS boot_anchors (
  device text NOT NULL, boot_id text NOT NULL, boot_wall timestamptz NOT NULL, PRIMARY KEY (device, boot_id));
CREATE TABLE IF NOT EXISTS checkin_seqs (device text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (device, seq));
CREATE TABLE IF NOT EXISTS checkins (
  device text NOT NULL, seq bigint NOT NULL, venue text NOT NULL,
  t timestamptz NOT NULL, at timestamptz NOT NULL, corrected_at timestamptz, received timestamptz NOT NULL,
  boot_id text NOT NULL, mono_ns bigint NOT NULL, clock_synced boolean NOT NULL,
  source text NOT NULL, decision text NOT NULL, reason text NOT NULL, card_id text NOT NULL,
  holder text NOT NULL, category text NOT NULL, grp bigint NOT NULL, name text NOT NULL
) PARTITION BY RANGE (t);
CREATE TABLE IF NOT EXISTS checkins_other PARTITION OF checkins DEFAULT;
CREATE INDEX IF NOT EXISTS checkins_venue_t ON checkins (venue, t);
CREATE INDEX IF NOT EXISTS checkins_card_t ON checkins (card_id, t) WHERE card_id <> '';
CREATE TABLE IF NOT EXISTS issuers (
  id text PRIMARY KEY, name text NOT NULL, public_key bytea NOT NULL, private_key bytea,
  not_before timestamptz, not_after timestamptz, venues text[] NOT NULL);
CREATE TABLE IF NOT EXISTS cards (
  id text PRIMARY KEY, issuer text NOT NULL, holder text NOT NULL, name text NOT NULL,
  category text NOT NULL, issued_at timestamptz NOT NULL, expires timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS revocations (card_id text PRIMARY KEY, revoked_at timestamptz NOT NULL);
`

// OpenPostgres connects to dsn, creates the schema if needed, and creates
// the check-in partitions for this month and the next.
func OpenPostgres(ctx context.Context, dsn string) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("collector: postgres dsn: %w", err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		// pgxpool's default (4 on a small host) queues batches behind each
		// other's commits; more connections let PostgreSQL group the fsyncs.
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("collector: postgres connect: %w", err)
	}
	p := &Postgres{pool: pool, parts: map[string]bool{}, now: time.Now}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, schemaLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, pgSchema); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO meta (k, v) VALUES ('revision', $1) ON CONFLICT DO NOTHING`, revisionSeed())
		return err
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("collector: postgres schema: %w", err)
	}
	now := time.Now().UTC()
	for _, m := range []time.Time{now, now.AddDate(0, 1, 0)} {
		if err := p.ensurePartition(ctx, m); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return p, nil
}

// Close closes the pool.
func (p *Postgres) Close() error { p.pool.Close(); return nil }

func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// ensurePartition creates the check-in partition holding t's month, when
// that month is inside the partition window. Rows of that month already in
// the default partition (they arrived while the month was still far in the
// future) move into the new partition in the same transaction, since
// PostgreSQL refuses a new partition whose range the default partition
// holds rows of.
func (p *Postgres) ensurePartition(ctx context.Context, t time.Time) error {
	now := p.now()
	if t.Before(now.Add(-partitionPast)) || t.After(now.Add(partitionFuture)) {
		return nil
	}
	from := monthStart(t)
	name := fmt.Sprintf("checkins_p%04d%02d", from.Year(), from.Month())
	p.mu.Lock()
	known := p.parts[name]
	p.mu.Unlock()
	if known {
		return nil
	}
	to := from.AddDate(0, 1, 0)
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, schemaLock); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil || exists {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE moving ON COMMIT DROP AS
			WITH m AS (DELETE FROM checkins_other WHERE t >= $1 AND t < $2 RETURNING *) SELECT * FROM m`, from, to); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TABLE %s PARTITION OF checkins FOR VALUES FROM ('%s') TO ('%s')`,
			name, from.Format(time.RFC3339), to.Format(time.RFC3339))); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO checkins SELECT * FROM moving`)
		return err
	})
	if err != nil {
		return fmt.Errorf("collector: create partition %s: %w", name, err)
	}
	p.mu.Lock()
	p.parts[name] = true
	p.mu.Unlock()
	return nil
}

func pgUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func pgBump(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `UPDATE meta SET v = GREATEST(v + 1, $1) WHERE k = 'revision'`, revisionSeed()); err != nil {
		return fmt.Errorf("collector: bump revision: %w", err)
	}
	return nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func (p *Postgres) CreateVenue(ctx context.Context, v Venue) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO venues (id, name, policy) VALUES ($1, $2, $3)`, v.ID, v.Name, v.Policy)
		if pgUnique(err) {
			return fmt.Errorf("venue %q: %w", v.ID, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("collector: create venue: %w", err)
		}
		return pgBump(ctx, tx)
	})
}

func (p *Postgres) Venue(ctx context.Context, id string) (Venue, error) {
	v := Venue{ID: id}
	err := p.pool.QueryRow(ctx, `SELECT name, policy FROM venues WHERE id = $1`, id).Scan(&v.Name, &v.Policy)
	if errors.Is(err, pgx.ErrNoRows) {
		return Venue{}, fmt.Errorf("venue %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Venue{}, fmt.Errorf("collector: venue: %w", err)
	}
	return v, nil
}

func (p *Postgres) SetVenuePolicy(ctx context.Context, id string, pol wire.Policy) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE venues SET policy = $1 WHERE id = $2`, pol, id)
		if err != nil {
			return fmt.Errorf("collector: set policy: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("venue %q: %w", id, ErrNotFound)
		}
		return pgBump(ctx, tx)
	})
}

func (p *Postgres) CreateEnrollToken(ctx context.Context, t EnrollToken) error {
	_, err := p.pool.Exec(ctx, `INSERT INTO enroll_tokens (hash, venue, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		t.Hash, t.Venue, t.CreatedAt, t.ExpiresAt)
	var pe *pgconn.PgError
	switch {
	case pgUnique(err):
		return fmt.Errorf("enrollment token: %w", ErrExists)
	case errors.As(err, &pe) && pe.Code == "23503": // foreign key: no such venue
		return fmt.Errorf("venue %q: %w", t.Venue, ErrNotFound)
	case err != nil:
		return fmt.Errorf("collector: create enrollment token: %w", err)
	}
	return nil
}

func (p *Postgres) Enroll(ctx context.Context, tokenHash string, d Device, now time.Time) (Device, error) {
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		var venue string
		var expires time.Time
		var used *time.Time
		var usedBy *string
		err := tx.QueryRow(ctx, `SELECT venue, expires_at, used_at, device FROM enroll_tokens WHERE hash = $1 FOR UPDATE`, tokenHash).Scan(&venue, &expires, &used, &usedBy)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("enrollment token: %w", ErrNotFound)
		case err != nil:
			return fmt.Errorf("collector: enroll: %w", err)
		case used != nil:
			// The same device retrying an enrollment whose answer it
			// never saved gets its device back; any other key is refused.
			if usedBy == nil {
				return ErrTokenUsed
			}
			prev, err := scanPgDevice(tx.QueryRow(ctx, pgDeviceQuery, *usedBy), *usedBy)
			switch {
			case errors.Is(err, ErrNotFound):
				return ErrTokenUsed
			case err != nil:
				return err
			case !prev.PublicKey.Equal(d.PublicKey):
				return ErrTokenUsed
			case !prev.RevokedAt.IsZero():
				return ErrRevoked
			}
			d = prev
			return nil
		case !now.Before(expires):
			return ErrExpired
		}
		d.Venue, d.EnrolledAt = venue, now
		if _, err := tx.Exec(ctx, `UPDATE enroll_tokens SET used_at = $1, device = $2 WHERE hash = $3`, now, d.ID, tokenHash); err != nil {
			return fmt.Errorf("collector: enroll: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO devices (id, venue, public_key, hardware, enrolled_at) VALUES ($1, $2, $3, $4, $5)`,
			d.ID, d.Venue, []byte(d.PublicKey), d.Hardware, now)
		if pgUnique(err) {
			return ErrKeyInUse
		}
		if err != nil {
			return fmt.Errorf("collector: enroll: %w", err)
		}
		return nil
	})
	if err != nil {
		return Device{}, err
	}
	return d, nil
}

const pgDeviceQuery = `SELECT venue, public_key, hardware, enrolled_at, revoked_at, ack_seq FROM devices WHERE id = $1`

func (p *Postgres) Device(ctx context.Context, id string) (Device, error) {
	return scanPgDevice(p.pool.QueryRow(ctx, pgDeviceQuery, id), id)
}

func scanPgDevice(row pgx.Row, id string) (Device, error) {
	d := Device{ID: id}
	var key []byte
	var revoked *time.Time
	var ack int64
	err := row.Scan(&d.Venue, &key, &d.Hardware, &d.EnrolledAt, &revoked, &ack)
	if errors.Is(err, pgx.ErrNoRows) {
		return Device{}, fmt.Errorf("device %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Device{}, fmt.Errorf("collector: device: %w", err)
	}
	d.PublicKey, d.RevokedAt, d.AckSeq, d.EnrolledAt = key, derefTime(revoked), uint64(ack), d.EnrolledAt.UTC()
	return d, nil
}

func (p *Postgres) RevokeDevice(ctx context.Context, id string, at time.Time) error {
	tag, err := p.pool.Exec(ctx, `UPDATE devices SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, at, id)
	if err != nil {
		return fmt.Errorf("collector: revoke device: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("device %q: %w", id, ErrNotFound)
	}
	return nil
}

var checkinCols = []string{"device", "seq", "venue", "t", "at", "corrected_at", "received", "boot_id", "mono_ns",
	"clock_synced", "source", "decision", "reason", "card_id", "holder", "category", "grp", "name"}

func (p *Postgres) InsertCheckins(ctx context.Context, d Device, recs []Checkin) (uint64, error) {
	for i := range recs {
		if err := p.ensurePartition(ctx, recs[i].Time()); err != nil {
			return 0, err
		}
	}
	var ack uint64
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		var a int64
		// The row lock serialises batches of one device across instances.
		if err := tx.QueryRow(ctx, `SELECT ack_seq FROM devices WHERE id = $1 FOR UPDATE`, d.ID).Scan(&a); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("device %q: %w", d.ID, ErrNotFound)
			}
			return fmt.Errorf("collector: insert checkins: %w", err)
		}
		ack = uint64(a)
		seqs := make([]int64, 0, len(recs))
		for i := range recs {
			if recs[i].Seq > ack {
				seqs = append(seqs, int64(recs[i].Seq))
			}
		}
		if len(seqs) > 0 {
			rows, err := tx.Query(ctx, `INSERT INTO checkin_seqs (device, seq) SELECT $1, unnest($2::bigint[])
				ON CONFLICT (device, seq) DO NOTHING RETURNING seq`, d.ID, seqs)
			if err != nil {
				return fmt.Errorf("collector: insert checkin seqs: %w", err)
			}
			fresh, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				return fmt.Errorf("collector: insert checkin seqs: %w", err)
			}
			isNew := make(map[uint64]bool, len(fresh))
			for _, s := range fresh {
				isNew[uint64(s)] = true
			}
			var out [][]any
			for i := range recs {
				c := &recs[i]
				if !isNew[c.Seq] {
					continue
				}
				delete(isNew, c.Seq) // a seq twice in one batch: the first wins
				out = append(out, []any{d.ID, int64(c.Seq), d.Venue, c.Time(), c.At, c.CorrectedAt, c.Received, c.BootID, c.MonoNS,
					c.ClockSynced, c.Source, c.Decision, c.Reason, c.CardID, c.Holder, c.Category, c.Group, c.Name})
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"checkins"}, checkinCols, pgx.CopyFromRows(out)); err != nil {
				return fmt.Errorf("collector: copy checkins: %w", err)
			}
		}
		next := heldThrough(ack, recs)
		for {
			rows, err := tx.Query(ctx, `SELECT seq FROM checkin_seqs WHERE device = $1 AND seq > $2 ORDER BY seq LIMIT 1024`, d.ID, int64(next))
			if err != nil {
				return fmt.Errorf("collector: advance ack: %w", err)
			}
			held, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				return fmt.Errorf("collector: advance ack: %w", err)
			}
			gap := false
			for _, s := range held {
				if uint64(s) != next+1 {
					gap = true
					break
				}
				next = uint64(s)
			}
			if gap || len(held) < 1024 {
				break
			}
		}
		if next != ack {
			ack = next
			if _, err := tx.Exec(ctx, `UPDATE devices SET ack_seq = $1 WHERE id = $2`, int64(ack), d.ID); err != nil {
				return fmt.Errorf("collector: update ack: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return ack, nil
}

func (p *Postgres) BootAnchor(ctx context.Context, device, bootID string) (time.Time, bool, error) {
	var t time.Time
	err := p.pool.QueryRow(ctx, `SELECT boot_wall FROM boot_anchors WHERE device = $1 AND boot_id = $2`, device, bootID).Scan(&t)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("collector: boot anchor: %w", err)
	}
	return t.UTC(), true, nil
}

func (p *Postgres) SaveBootAnchor(ctx context.Context, device, bootID string, bootWall time.Time) error {
	_, err := p.pool.Exec(ctx, `INSERT INTO boot_anchors (device, boot_id, boot_wall) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, device, bootID, bootWall)
	if err != nil {
		return fmt.Errorf("collector: save boot anchor: %w", err)
	}
	return nil
}

func (p *Postgres) PutIssuer(ctx context.Context, is Issuer) error {
	var priv []byte
	if is.PrivateKey != nil {
		priv = is.PrivateKey
	}
	venues := is.Venues
	if venues == nil {
		venues = []string{}
	}
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO issuers (id, name, public_key, private_key, not_before, not_after, venues)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET name = excluded.name, public_key = excluded.public_key,
			private_key = excluded.private_key, not_before = excluded.not_before, not_after = excluded.not_after, venues = excluded.venues`,
			is.ID, is.Name, []byte(is.PublicKey), priv, nullTime(is.NotBefore), nullTime(is.NotAfter), venues)
		if err != nil {
			return fmt.Errorf("collector: put issuer: %w", err)
		}
		return pgBump(ctx, tx)
	})
}

func (p *Postgres) DeleteIssuer(ctx context.Context, id string) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM issuers WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("collector: delete issuer: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("issuer %q: %w", id, ErrNotFound)
		}
		return pgBump(ctx, tx)
	})
}

func (p *Postgres) Issuers(ctx context.Context) ([]Issuer, error) {
	rows, err := p.pool.Query(ctx, `SELECT id, name, public_key, private_key, not_before, not_after, venues FROM issuers ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("collector: issuers: %w", err)
	}
	defer rows.Close()
	var out []Issuer
	for rows.Next() {
		var is Issuer
		var pub, priv []byte
		var nb, na *time.Time
		if err := rows.Scan(&is.ID, &is.Name, &pub, &priv, &nb, &na, &is.Venues); err != nil {
			return nil, fmt.Errorf("collector: issuers: %w", err)
		}
		is.PublicKey, is.NotBefore, is.NotAfter = pub, derefTime(nb), derefTime(na)
		if priv != nil {
			is.PrivateKey = priv
		}
		if len(is.Venues) == 0 {
			is.Venues = nil
		}
		out = append(out, is)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("collector: issuers: %w", err)
	}
	return out, nil
}

func (p *Postgres) RecordCard(ctx context.Context, c Card) error {
	_, err := p.pool.Exec(ctx, `INSERT INTO cards (id, issuer, holder, name, category, issued_at, expires) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.ID, c.Issuer, c.Holder, c.Name, c.Category, c.IssuedAt, c.Expires)
	if pgUnique(err) {
		return fmt.Errorf("card %s: %w", c.ID, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("collector: record card: %w", err)
	}
	return nil
}

func (p *Postgres) RevokeCard(ctx context.Context, cardID string, at time.Time) error {
	cardID = strings.ToLower(cardID)
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO revocations (card_id, revoked_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, cardID, at)
		if err != nil {
			return fmt.Errorf("collector: revoke card: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		return pgBump(ctx, tx)
	})
}

func (p *Postgres) Revocations(ctx context.Context) ([]string, error) {
	rows, err := p.pool.Query(ctx, `SELECT card_id FROM revocations ORDER BY card_id`)
	if err != nil {
		return nil, fmt.Errorf("collector: revocations: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("collector: revocations: %w", err)
	}
	return out, nil
}

func (p *Postgres) Revision(ctx context.Context) (int64, error) {
	var v int64
	if err := p.pool.QueryRow(ctx, `SELECT v FROM meta WHERE k = 'revision'`).Scan(&v); err != nil {
		return 0, fmt.Errorf("collector: revision: %w", err)
	}
	return v, nil
}

const pgVisitCols = `t, at, corrected_at, clock_synced, venue, device, seq, card_id, holder, name, category, grp, decision, reason`

func (p *Postgres) VisitsAtVenue(ctx context.Context, venue string, from, to time.Time) ([]Visit, error) {
	return p.visits(ctx, `SELECT `+pgVisitCols+` FROM checkins WHERE venue = $1 AND t >= $2 AND t < $3 ORDER BY t, device, seq`, venue, from, to)
}

func (p *Postgres) VisitsOfCard(ctx context.Context, cardID string, from, to time.Time) ([]Visit, error) {
	if cardID == "" {
		return []Visit{}, nil
	}
	return p.visits(ctx, `SELECT `+pgVisitCols+` FROM checkins WHERE card_id = $1 AND t >= $2 AND t < $3 ORDER BY t, device, seq`, strings.ToLower(cardID), from, to)
}

func (p *Postgres) visits(ctx context.Context, q, key string, from, to time.Time) ([]Visit, error) {
	rows, err := p.pool.Query(ctx, q, key, from, to)
	if err != nil {
		return nil, fmt.Errorf("collector: visits: %w", err)
	}
	defer rows.Close()
	out := []Visit{}
	for rows.Next() {
		var v Visit
		var seq int64
		if err := rows.Scan(&v.Time, &v.At, &v.CorrectedAt, &v.ClockSynced, &v.Venue, &v.Device, &seq, &v.CardID, &v.Holder, &v.Name, &v.Category, &v.Group, &v.Decision, &v.Reason); err != nil {
			return nil, fmt.Errorf("collector: visits: %w", err)
		}
		v.Seq, v.Time, v.At = uint64(seq), v.Time.UTC(), v.At.UTC()
		if v.CorrectedAt != nil {
			c := v.CorrectedAt.UTC()
			v.CorrectedAt = &c
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("collector: visits: %w", err)
	}
	return out, nil
}
