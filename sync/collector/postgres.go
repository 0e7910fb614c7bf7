package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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

// pgMigrations is the PostgreSQL schema's history; see migration.
var pgMigrations = checkMigrations([]migration{
	{1, "schema before versioned migrations", pgSchemaV1},
	{2, "ledgers: check-ins keyed by (device, ledger, seq), acks per ledger, conflicts, recoveries", pgLedgers},
	{3, "request nonces", pgNonces},
	{4, "retention and erasure: venue retention and time zone, purged gaps, anonymised check-ins, the erasure audit", pgRecords},
	{5, "device health: last seen and the latest report of each device", pgHealth},
})

const pgSchemaV1 = `
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

// pgLedgers adds the ledger to the check-ins (a constant default: no
// rewrite of the partitions) and to the idempotency key, with the content
// digest that tells a replay from a conflict (computed in SQL for the rows
// already held), and moves each device's ack to its "" ledger.
const pgLedgers = `
ALTER TABLE checkins ADD COLUMN ledger text NOT NULL DEFAULT '';
ALTER TABLE checkin_seqs ADD COLUMN ledger text NOT NULL DEFAULT '', ADD COLUMN digest bytea;
UPDATE checkin_seqs s SET digest = ` + pgDigestSQL + ` FROM checkins c WHERE c.device = s.device AND c.seq = s.seq;
ALTER TABLE checkin_seqs DROP CONSTRAINT checkin_seqs_pkey, ADD PRIMARY KEY (device, ledger, seq);
CREATE TABLE ledgers (
  device text NOT NULL REFERENCES devices(id), ledger text NOT NULL, ack_seq bigint NOT NULL DEFAULT 0,
  lost bigint NOT NULL DEFAULT 0, conflicts bigint NOT NULL DEFAULT 0, first_seen timestamptz NOT NULL,
  PRIMARY KEY (device, ledger));
INSERT INTO ledgers (device, ledger, ack_seq, first_seen)
  SELECT id, '', ack_seq, enrolled_at FROM devices d WHERE ack_seq > 0 OR EXISTS (SELECT 1 FROM checkin_seqs s WHERE s.device = d.id);
ALTER TABLE devices DROP COLUMN ack_seq;
CREATE TABLE conflicts (
  device text NOT NULL, ledger text NOT NULL, seq bigint NOT NULL, digest bytea NOT NULL,
  received timestamptz NOT NULL, record jsonb NOT NULL, PRIMARY KEY (device, ledger, seq, digest));
CREATE TABLE recoveries (
  device text NOT NULL, ledger text NOT NULL, at timestamptz NOT NULL, salvaged bigint NOT NULL,
  lost bigint NOT NULL, reported_at timestamptz NOT NULL, PRIMARY KEY (device, ledger, at));
`

const pgNonces = `
CREATE TABLE nonces (key text PRIMARY KEY, expires timestamptz NOT NULL);
CREATE INDEX nonces_expires ON nonces (expires);
`

// pgRecords adds what retention and erasure need; the check-in column has
// a constant default, so the partitions are not rewritten.
const pgRecords = `
ALTER TABLE venues ADD COLUMN retention_days integer NOT NULL DEFAULT 0, ADD COLUMN time_zone text NOT NULL DEFAULT '';
ALTER TABLE ledgers ADD COLUMN purged bigint NOT NULL DEFAULT 0;
ALTER TABLE checkins ADD COLUMN erased boolean NOT NULL DEFAULT false;
CREATE TABLE erasures (
  id bigserial PRIMARY KEY, at timestamptz NOT NULL, actor text NOT NULL, kind text NOT NULL,
  subject text NOT NULL, deleted jsonb NOT NULL, late bigint NOT NULL DEFAULT 0);
CREATE INDEX erasures_subject ON erasures (subject);
`

// migratePostgres brings the schema to the newest version inside tx,
// which holds the schema advisory lock.
func migratePostgres(ctx context.Context, tx pgx.Tx) error {
	want := schemaVersion(pgMigrations)
	have := 0
	var hasMeta bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('meta') IS NOT NULL`).Scan(&hasMeta); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if hasMeta {
		have = 1 // before versioned migrations
		var v int64
		err := tx.QueryRow(ctx, `SELECT v FROM meta WHERE k = 'schema'`).Scan(&v)
		switch {
		case err == nil:
			have = int(v)
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("schema version: %w", err)
		}
	}
	if have > want {
		return newerSchema(have, want)
	}
	for _, m := range pgMigrations[have:] {
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO meta (k, v) VALUES ('schema', $1) ON CONFLICT (k) DO UPDATE SET v = excluded.v`, m.version); err != nil {
			return fmt.Errorf("migration %d: %w", m.version, err)
		}
		if have > 0 { // a new database is created silently
			slog.Info("collector: postgres schema migrated", "version", m.version, "migration", m.name)
		}
	}
	return nil
}

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
		if err := migratePostgres(ctx, tx); err != nil {
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
		_, err := tx.Exec(ctx, `INSERT INTO venues (id, name, policy, retention_days, time_zone) VALUES ($1, $2, $3, $4, $5)`,
			v.ID, v.Name, v.Policy, v.RetentionDays, v.TimeZone)
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
	err := p.pool.QueryRow(ctx, `SELECT name, policy, retention_days, time_zone FROM venues WHERE id = $1`, id).Scan(&v.Name, &v.Policy, &v.RetentionDays, &v.TimeZone)
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

func (p *Postgres) SetVenueSettings(ctx context.Context, id string, vs VenueSettings) error {
	tag, err := p.pool.Exec(ctx, `UPDATE venues SET retention_days = $1, time_zone = $2 WHERE id = $3`, vs.RetentionDays, vs.TimeZone, id)
	if err != nil {
		return fmt.Errorf("collector: set venue settings: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("venue %q: %w", id, ErrNotFound)
	}
	return nil // not in any bundle: the revision stays
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

const pgDeviceQuery = `SELECT venue, public_key, hardware, enrolled_at, revoked_at,
	COALESCE((SELECT ack_seq FROM ledgers l WHERE l.device = d.id AND l.ledger = ''), 0) FROM devices d WHERE id = $1`

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

var checkinCols = []string{"device", "ledger", "seq", "venue", "t", "at", "corrected_at", "received", "boot_id", "mono_ns",
	"clock_synced", "source", "decision", "reason", "card_id", "holder", "category", "grp", "name", "erased"}

func (p *Postgres) InsertBatch(ctx context.Context, d Device, b Batch) (IngestResult, error) {
	if b.Now.IsZero() {
		b.Now = time.Now()
	}
	recs := b.Records
	for i := range recs {
		if err := p.ensurePartition(ctx, recs[i].Time()); err != nil {
			return IngestResult{}, err
		}
	}
	var out IngestResult
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		out = IngestResult{}
		// The row lock serialises batches of one device across instances.
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM devices WHERE id = $1 FOR UPDATE`, d.ID).Scan(&one); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("device %q: %w", d.ID, ErrNotFound)
			}
			return fmt.Errorf("collector: insert checkins: %w", err)
		}
		if b.Nonce != "" {
			if err := pgUseNonce(ctx, tx, b.Nonce, b.NonceExpires, b.Now); err != nil {
				return err
			}
		}
		var a int64
		known := true
		err := tx.QueryRow(ctx, `SELECT ack_seq FROM ledgers WHERE device = $1 AND ledger = $2`, d.ID, b.Ledger).Scan(&a)
		if errors.Is(err, pgx.ErrNoRows) {
			known, err = false, nil
		}
		if err != nil {
			return fmt.Errorf("collector: insert checkins: %w", err)
		}
		ack := uint64(a)
		prev := ack
		if b.Floor > ack {
			var held int64
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM checkin_seqs WHERE device = $1 AND ledger = $2 AND seq > $3 AND seq <= $4`,
				d.ID, b.Ledger, int64(ack), int64(b.Floor)).Scan(&held); err != nil {
				return fmt.Errorf("collector: floor: %w", err)
			}
			purged, err := pgPurgedGap(ctx, tx, d.ID, b, ack)
			if err != nil {
				return err
			}
			out.Purged = purged
			out.Lost = b.Floor - ack - uint64(held) - purged
			ack = b.Floor
		}
		if len(recs) > 0 {
			seqs := make([]int64, len(recs))
			digests := make([][]byte, len(recs))
			for i := range recs {
				seqs[i], digests[i] = int64(recs[i].Seq), contentDigest(&recs[i].Record)
			}
			rows, err := tx.Query(ctx, `INSERT INTO checkin_seqs (device, ledger, seq, digest) SELECT $1, $2, s, d FROM unnest($3::bigint[], $4::bytea[]) AS u(s, d)
				ON CONFLICT (device, ledger, seq) DO NOTHING RETURNING seq`, d.ID, b.Ledger, seqs, digests)
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
			erased, err := pgErasedSubjects(ctx, tx, recs)
			if err != nil {
				return err
			}
			var copyRows [][]any
			var held []int // records whose seq was held before: replays or conflicts
			for i := range recs {
				c := &recs[i]
				if !isNew[c.Seq] {
					held = append(held, i)
					continue
				}
				delete(isNew, c.Seq) // a seq twice in one batch: the first wins, the second is compared
				r, gone := c.Record, false
				if id, ok := erased.match(&r); ok {
					// Made before its holder was erased, arrived after:
					// stored anonymised (its digest above is of what it was).
					anonymise(&r)
					gone = true
					if _, err := tx.Exec(ctx, `UPDATE erasures SET late = late + 1 WHERE id = $1`, id); err != nil {
						return fmt.Errorf("collector: erasures: %w", err)
					}
				}
				copyRows = append(copyRows, []any{d.ID, b.Ledger, int64(c.Seq), d.Venue, c.Time(), c.At, c.CorrectedAt, c.Received, r.BootID, r.MonoNS,
					r.ClockSynced, r.Source, r.Decision, r.Reason, r.CardID, r.Holder, r.Category, r.Group, r.Name, gone})
			}
			if len(copyRows) > 0 {
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{"checkins"}, checkinCols, pgx.CopyFromRows(copyRows)); err != nil {
					return fmt.Errorf("collector: copy checkins: %w", err)
				}
			}
			if len(held) > 0 {
				if out.Conflicts, out.NewConflicts, err = pgConflicts(ctx, tx, d, b, held); err != nil {
					return err
				}
			}
		}
		next := heldThrough(ack, recs)
		for {
			rows, err := tx.Query(ctx, `SELECT seq FROM checkin_seqs WHERE device = $1 AND ledger = $2 AND seq > $3 ORDER BY seq LIMIT 1024`, d.ID, b.Ledger, int64(next))
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
		out.AckSeq = next
		if next != prev || !known || out.Lost > 0 || out.Purged > 0 || out.NewConflicts > 0 {
			first := b.Now
			if len(recs) > 0 {
				first = recs[0].Received
			}
			if _, err := tx.Exec(ctx, `INSERT INTO ledgers (device, ledger, ack_seq, lost, conflicts, first_seen, purged) VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (device, ledger) DO UPDATE SET ack_seq = excluded.ack_seq, lost = ledgers.lost + excluded.lost,
				conflicts = ledgers.conflicts + excluded.conflicts, purged = ledgers.purged + excluded.purged`,
				d.ID, b.Ledger, int64(next), int64(out.Lost), out.NewConflicts, first, int64(out.Purged)); err != nil {
				return fmt.Errorf("collector: update ack: %w", err)
			}
		}
		for _, r := range b.Recoveries {
			if _, err := tx.Exec(ctx, `INSERT INTO recoveries (device, ledger, at, salvaged, lost, reported_at) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT DO NOTHING`, d.ID, r.Ledger, r.At, r.Salvaged, r.Lost, b.Now); err != nil {
				return fmt.Errorf("collector: keep recovery: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return IngestResult{}, err
	}
	return out, nil
}

// pgConflicts compares the records at idx (whose seqs were held) with the
// held content by digest, and keeps those that differ in the conflicts
// table. A seq held without a digest (none was kept before digests) is
// compared with its check-in row.
func pgConflicts(ctx context.Context, tx pgx.Tx, d Device, b Batch, idx []int) ([]uint64, int, error) {
	seqs := make([]int64, len(idx))
	for i, k := range idx {
		seqs[i] = int64(b.Records[k].Seq)
	}
	rows, err := tx.Query(ctx, `SELECT seq, digest FROM checkin_seqs WHERE device = $1 AND ledger = $2 AND seq = ANY($3)`, d.ID, b.Ledger, seqs)
	if err != nil {
		return nil, 0, fmt.Errorf("collector: conflicts: %w", err)
	}
	stored := map[int64][]byte{}
	var seq int64
	var dg []byte
	if _, err := pgx.ForEachRow(rows, []any{&seq, &dg}, func() error {
		stored[seq] = append([]byte(nil), dg...)
		return nil
	}); err != nil {
		return nil, 0, fmt.Errorf("collector: conflicts: %w", err)
	}
	var out []uint64
	fresh := 0
	for _, k := range idx {
		c := &b.Records[k]
		want := contentDigest(&c.Record)
		have := stored[int64(c.Seq)]
		if have == nil {
			var err error
			if have, err = pgRowDigest(ctx, tx, d.ID, b.Ledger, c.Seq); err != nil {
				return nil, 0, err
			}
		}
		if string(have) == string(want) {
			continue
		}
		out = append(out, c.Seq)
		js, err := json.Marshal(c.Record)
		if err != nil {
			return nil, 0, fmt.Errorf("collector: conflicts: %w", err)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO conflicts (device, ledger, seq, digest, received, record) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT DO NOTHING`, d.ID, b.Ledger, int64(c.Seq), want, c.Received, js)
		if err != nil {
			return nil, 0, fmt.Errorf("collector: keep conflict: %w", err)
		}
		fresh += int(tag.RowsAffected())
	}
	return out, fresh, nil
}

// pgRowDigest computes the digest of a held check-in row and keeps it, for
// a seq held from before digests. Such rows are found by a scan of every
// partition (checkins has no (device, seq) index), which only a replay of
// a record older than the migration pays, once.
func pgRowDigest(ctx context.Context, tx pgx.Tx, device, ledger string, seq uint64) ([]byte, error) {
	var dg []byte
	err := tx.QueryRow(ctx, `SELECT `+pgDigestSQL+` FROM checkins c WHERE c.device = $1 AND c.ledger = $2 AND c.seq = $3 LIMIT 1`, device, ledger, int64(seq)).Scan(&dg)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("collector: seq %d of device %q ledger %q held without its check-in", seq, device, ledger)
	}
	if err != nil {
		return nil, fmt.Errorf("collector: conflicts: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE checkin_seqs SET digest = $4 WHERE device = $1 AND ledger = $2 AND seq = $3`, device, ledger, int64(seq), dg); err != nil {
		return nil, fmt.Errorf("collector: conflicts: %w", err)
	}
	return dg, nil
}

func pgUseNonce(ctx context.Context, q interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, key string, expires, now time.Time) error {
	tag, err := q.Exec(ctx, `INSERT INTO nonces (key, expires) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE nonces.expires <= $3`, key, expires, now)
	if err != nil {
		return fmt.Errorf("collector: record nonce: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrReplay
	}
	return nil
}

func (p *Postgres) UseNonce(ctx context.Context, key string, expires, now time.Time) error {
	return pgUseNonce(ctx, p.pool, key, expires, now)
}

func (p *Postgres) SweepNonces(ctx context.Context, now time.Time) (int64, error) {
	tag, err := p.pool.Exec(ctx, `DELETE FROM nonces WHERE expires <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("collector: sweep nonces: %w", err)
	}
	return tag.RowsAffected(), nil
}

func (p *Postgres) Ledgers(ctx context.Context, device string) ([]Ledger, error) {
	rows, err := p.pool.Query(ctx, `SELECT ledger, ack_seq, lost, conflicts, first_seen, purged FROM ledgers WHERE device = $1 ORDER BY first_seen, ledger`, device)
	if err != nil {
		return nil, fmt.Errorf("collector: ledgers: %w", err)
	}
	out := []Ledger{}
	var l Ledger
	var ack, lost, conf, purged int64
	if _, err := pgx.ForEachRow(rows, []any{&l.Ledger, &ack, &lost, &conf, &l.FirstSeen, &purged}, func() error {
		l.AckSeq, l.Lost, l.Conflicts, l.FirstSeen, l.Purged = uint64(ack), uint64(lost), uint64(conf), l.FirstSeen.UTC(), uint64(purged)
		out = append(out, l)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("collector: ledgers: %w", err)
	}
	return out, nil
}

func (p *Postgres) Recoveries(ctx context.Context, device string) ([]StoredRecovery, error) {
	rows, err := p.pool.Query(ctx, `SELECT ledger, at, salvaged, lost, reported_at FROM recoveries WHERE device = $1 ORDER BY at, ledger`, device)
	if err != nil {
		return nil, fmt.Errorf("collector: recoveries: %w", err)
	}
	out := []StoredRecovery{}
	var r StoredRecovery
	if _, err := pgx.ForEachRow(rows, []any{&r.Ledger, &r.At, &r.Salvaged, &r.Lost, &r.ReportedAt}, func() error {
		r.At, r.ReportedAt = r.At.UTC(), r.ReportedAt.UTC()
		out = append(out, r)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("collector: recoveries: %w", err)
	}
	return out, nil
}

func (p *Postgres) Conflicts(ctx context.Context, device string, limit int) ([]Conflict, error) {
	rows, err := p.pool.Query(ctx, `SELECT ledger, received, record FROM conflicts WHERE device = $1 ORDER BY received, ledger, seq LIMIT $2`, device, limit)
	if err != nil {
		return nil, fmt.Errorf("collector: conflicts: %w", err)
	}
	out := []Conflict{}
	var ledger string
	var rec time.Time
	var js []byte
	if _, err := pgx.ForEachRow(rows, []any{&ledger, &rec, &js}, func() error {
		c := Conflict{Device: device, Ledger: ledger, Received: rec.UTC()}
		if err := json.Unmarshal(js, &c.Record); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("collector: conflicts: %w", err)
	}
	return out, nil
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
	if is.SealedKey != nil {
		priv = is.SealedKey
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

func (p *Postgres) SetIssuerKey(ctx context.Context, id string, sealed []byte) error {
	tag, err := p.pool.Exec(ctx, `UPDATE issuers SET private_key = $1 WHERE id = $2`, sealed, id)
	if err != nil {
		return fmt.Errorf("collector: set issuer key: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("issuer %q: %w", id, ErrNotFound)
	}
	return nil
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
			is.SealedKey, is.HoldsKey = priv, true
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

const pgVisitCols = `t, at, corrected_at, clock_synced, venue, device, ledger, seq, card_id, holder, name, category, grp, decision, reason, erased, source`

func (p *Postgres) VisitsAtVenue(ctx context.Context, venue string, from, to time.Time) ([]Visit, error) {
	return p.visits(ctx, `SELECT `+pgVisitCols+` FROM checkins WHERE venue = $1 AND t >= $2 AND t < $3 ORDER BY t, device, ledger, seq`, venue, from, to)
}

func (p *Postgres) VisitsOfCard(ctx context.Context, cardID string, from, to time.Time) ([]Visit, error) {
	if cardID == "" {
		return []Visit{}, nil
	}
	return p.visits(ctx, `SELECT `+pgVisitCols+` FROM checkins WHERE card_id = $1 AND t >= $2 AND t < $3 ORDER BY t, device, ledger, seq`, strings.ToLower(cardID), from, to)
}

func (p *Postgres) visits(ctx context.Context, q, key string, from, to time.Time, more ...any) ([]Visit, error) {
	rows, err := p.pool.Query(ctx, q, append([]any{key, from, to}, more...)...)
	if err != nil {
		return nil, fmt.Errorf("collector: visits: %w", err)
	}
	defer rows.Close()
	out := []Visit{}
	for rows.Next() {
		var v Visit
		var seq int64
		if err := rows.Scan(&v.Time, &v.At, &v.CorrectedAt, &v.ClockSynced, &v.Venue, &v.Device, &v.Ledger, &seq, &v.CardID, &v.Holder, &v.Name, &v.Category, &v.Group, &v.Decision, &v.Reason, &v.Erased, &v.Source); err != nil {
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
