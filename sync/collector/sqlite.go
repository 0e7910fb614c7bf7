package collector

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/scangate/scangate/sync/wire"
)

// SQLite is the embedded Backend: one file, one collector process.
type SQLite struct {
	db *sql.DB
	// wmu serialises write transactions; SQLite has one writer anyway and
	// waiting here is cheaper than SQLITE_BUSY retries.
	wmu sync.Mutex
	// wconn is the one connection that writes, so its page cache (64 MiB)
	// stays warm across transactions instead of being spread over the pool.
	wconn *sql.Conn

	inserts chan *insertReq // to the group committer
	quit    chan struct{}
	stopped chan struct{}
	once    sync.Once

	ckptDone chan struct{} // closed when the checkpointer has stopped
}

var _ Backend = (*SQLite)(nil)

// sqliteMigrations is the SQLite schema's history; see migration.
var sqliteMigrations = checkMigrations([]migration{
	{1, "schema before versioned migrations", sqliteSchemaV1},
	{2, "ledgers: check-ins keyed by (device, ledger, seq), acks per ledger, conflicts, recoveries", sqliteLedgers},
	{3, "request nonces", sqliteNonces},
	{4, "retention and erasure: venue retention and time zone, purged gaps, anonymised check-ins, the erasure audit", sqliteRecords},
	{5, "device health: last seen and the latest report of each device", sqliteHealth},
})

const sqliteSchemaV1 = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS venues (id TEXT PRIMARY KEY, name TEXT NOT NULL, policy TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS enroll_tokens (
  hash TEXT PRIMARY KEY, venue TEXT NOT NULL REFERENCES venues(id),
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER, device TEXT);
CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY, venue TEXT NOT NULL REFERENCES venues(id), public_key BLOB NOT NULL UNIQUE,
  hardware TEXT NOT NULL, enrolled_at INTEGER NOT NULL, revoked_at INTEGER, ack_seq INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS boot_anchors (
  device TEXT NOT NULL, boot_id TEXT NOT NULL, boot_wall INTEGER NOT NULL, PRIMARY KEY (device, boot_id));
CREATE TABLE IF NOT EXISTS checkins (
  device TEXT NOT NULL, seq INTEGER NOT NULL, venue TEXT NOT NULL,
  t INTEGER NOT NULL, at INTEGER NOT NULL, corrected_at INTEGER, received INTEGER NOT NULL,
  boot_id TEXT NOT NULL, mono_ns INTEGER NOT NULL, clock_synced INTEGER NOT NULL,
  source TEXT NOT NULL, decision TEXT NOT NULL, reason TEXT NOT NULL, card_id TEXT NOT NULL,
  holder TEXT NOT NULL, category TEXT NOT NULL, grp INTEGER NOT NULL, name TEXT NOT NULL, card_key INTEGER NOT NULL,
  PRIMARY KEY (device, seq)); -- a rowid table: rows append, only the small key index scatters
CREATE INDEX IF NOT EXISTS checkins_venue_t ON checkins (venue, t);
-- card_key (8 bytes of the card id) keeps this index small: a text key
-- of 32 characters made it the most expensive part of an insert.
CREATE INDEX IF NOT EXISTS checkins_card_t ON checkins (card_key, t) WHERE card_key <> 0;
CREATE TABLE IF NOT EXISTS issuers (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, public_key BLOB NOT NULL, private_key BLOB,
  not_before INTEGER, not_after INTEGER, venues TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cards (
  id TEXT PRIMARY KEY, issuer TEXT NOT NULL, holder TEXT NOT NULL, name TEXT NOT NULL,
  category TEXT NOT NULL, issued_at INTEGER NOT NULL, expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS revocations (card_id TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL);
`

// sqliteLedgers re-keys check-ins by (device, ledger, seq): SQLite cannot
// change a primary key in place, so the table is rebuilt (rows of the old
// key go to the "" ledger). Each device's ack moves to its "" ledger.
const sqliteLedgers = `
CREATE TABLE checkins_v2 (
  device TEXT NOT NULL, ledger TEXT NOT NULL, seq INTEGER NOT NULL, venue TEXT NOT NULL,
  t INTEGER NOT NULL, at INTEGER NOT NULL, corrected_at INTEGER, received INTEGER NOT NULL,
  boot_id TEXT NOT NULL, mono_ns INTEGER NOT NULL, clock_synced INTEGER NOT NULL,
  source TEXT NOT NULL, decision TEXT NOT NULL, reason TEXT NOT NULL, card_id TEXT NOT NULL,
  holder TEXT NOT NULL, category TEXT NOT NULL, grp INTEGER NOT NULL, name TEXT NOT NULL, card_key INTEGER NOT NULL,
  PRIMARY KEY (device, ledger, seq));
INSERT INTO checkins_v2 (device, ledger, seq, venue, t, at, corrected_at, received, boot_id, mono_ns, clock_synced,
  source, decision, reason, card_id, holder, category, grp, name, card_key)
  SELECT device, '', seq, venue, t, at, corrected_at, received, boot_id, mono_ns, clock_synced,
  source, decision, reason, card_id, holder, category, grp, name, card_key FROM checkins;
DROP TABLE checkins;
ALTER TABLE checkins_v2 RENAME TO checkins;
CREATE INDEX checkins_venue_t ON checkins (venue, t);
CREATE INDEX checkins_card_t ON checkins (card_key, t) WHERE card_key <> 0;
CREATE TABLE ledgers (
  device TEXT NOT NULL REFERENCES devices(id), ledger TEXT NOT NULL, ack_seq INTEGER NOT NULL DEFAULT 0,
  lost INTEGER NOT NULL DEFAULT 0, conflicts INTEGER NOT NULL DEFAULT 0, first_seen INTEGER NOT NULL,
  PRIMARY KEY (device, ledger));
INSERT INTO ledgers (device, ledger, ack_seq, first_seen)
  SELECT id, '', ack_seq, enrolled_at FROM devices d WHERE ack_seq > 0 OR EXISTS (SELECT 1 FROM checkins c WHERE c.device = d.id);
ALTER TABLE devices DROP COLUMN ack_seq;
CREATE TABLE conflicts (
  device TEXT NOT NULL, ledger TEXT NOT NULL, seq INTEGER NOT NULL, digest BLOB NOT NULL,
  received INTEGER NOT NULL, record TEXT NOT NULL, PRIMARY KEY (device, ledger, seq, digest));
CREATE TABLE recoveries (
  device TEXT NOT NULL, ledger TEXT NOT NULL, at INTEGER NOT NULL, salvaged INTEGER NOT NULL,
  lost INTEGER NOT NULL, reported_at INTEGER NOT NULL, PRIMARY KEY (device, ledger, at));
`

const sqliteNonces = `
CREATE TABLE nonces (key TEXT PRIMARY KEY, expires INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX nonces_expires ON nonces (expires);
`

// sqliteRecords adds what retention and erasure need. erased_digest is set
// on an anonymised check-in: the content digest of the record it was, so a
// replay of that record is recognised (not a conflict, not stored again).
const sqliteRecords = `
ALTER TABLE venues ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE venues ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE ledgers ADD COLUMN purged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE checkins ADD COLUMN erased_digest BLOB;
CREATE TABLE erasures (
  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, kind TEXT NOT NULL,
  subject TEXT NOT NULL, deleted TEXT NOT NULL, late INTEGER NOT NULL DEFAULT 0);
CREATE INDEX erasures_subject ON erasures (subject);
`

// migrateSQLite brings the database to the newest schema.
func migrateSQLite(db *sql.DB) error {
	ctx := context.Background()
	want := schemaVersion(sqliteMigrations)
	fresh := false
	for {
		done, err := migrateSQLiteStep(ctx, db, want, &fresh)
		if err != nil || done {
			return err
		}
	}
}

// migrateSQLiteStep runs the next migration in one immediate transaction
// (so two processes opening one file do not both run it) and reports
// whether the schema was already current. A new database (at version 0 on
// its first step) is created silently; an existing one logs each step.
func migrateSQLiteStep(ctx context.Context, db *sql.DB, want int, fresh *bool) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback()
	have := 0
	var metaTables int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).Scan(&metaTables); err != nil {
		return false, fmt.Errorf("schema version: %w", err)
	}
	if metaTables > 0 {
		have = 1 // before versioned migrations
		err := tx.QueryRowContext(ctx, `SELECT v FROM meta WHERE k = 'schema'`).Scan(&have)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return false, fmt.Errorf("schema version: %w", err)
		}
	}
	if have == 0 {
		*fresh = true
	}
	switch {
	case have > want:
		return false, newerSchema(have, want)
	case have == want:
		return true, nil
	}
	m := sqliteMigrations[have]
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (k, v) VALUES ('schema', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`, m.version); err != nil {
		return false, fmt.Errorf("migration %d: %w", m.version, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migration %d: commit: %w", m.version, err)
	}
	if !*fresh {
		slog.Info("collector: sqlite schema migrated", "version", m.version, "migration", m.name)
	}
	return false, nil
}

// OpenSQLite opens (creating if needed) the collector database at path.
// Commits are durable (WAL, synchronous=FULL): a device deletes its copy
// once acknowledged, so an acknowledged check-in must survive a power cut.
func OpenSQLite(path string) (*SQLite, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	q.Set("_cache_size", "-65536") // 64 MiB: index pages of many devices stay in memory
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("collector: open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	if err := createPrivateFile(path); err != nil {
		db.Close()
		return nil, err
	}
	if err := migrateSQLite(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("collector: sqlite schema %s: %w", path, err)
	}
	if _, err := db.Exec(`INSERT OR IGNORE INTO meta (k, v) VALUES ('revision', ?)`, revisionSeed()); err != nil {
		db.Close()
		return nil, fmt.Errorf("collector: sqlite seed revision %s: %w", path, err)
	}
	wconn, err := db.Conn(context.Background())
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("collector: sqlite %s: %w", path, err)
	}
	// Statement and savepoint journals in memory: each batch runs in a
	// savepoint, and its first change to each page copies that page to the
	// sub-journal. In a temporary file (the default) those copies cost
	// more than the inserts themselves: ingest went from ~60,000 to
	// ~85,000 check-ins per CPU-second. A sub-journal holds one batch's
	// pages (a few MiB at most).
	//
	// No automatic checkpoints on the writer: a checkpoint copies pages
	// back into the database and fsyncs it, and every batch waiting
	// behind the writer waited for that too. checkpointer does it beside.
	if _, err := wconn.ExecContext(context.Background(), `PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 0`); err != nil {
		wconn.Close()
		db.Close()
		return nil, fmt.Errorf("collector: sqlite %s: writer pragmas: %w", path, err)
	}
	s := &SQLite{db: db, wconn: wconn, inserts: make(chan *insertReq), quit: make(chan struct{}), stopped: make(chan struct{}), ckptDone: make(chan struct{})}
	go s.groupCommitter()
	go s.checkpointer(sqliteCheckpointEvery)
	return s, nil
}

// sqliteCheckpointEvery is how often the checkpointer runs.
var sqliteCheckpointEvery = time.Second

// walTruncateFrames bounds the WAL: a passive checkpoint cannot rewind it
// while commits keep arriving, so past this many frames (256 MiB of 4 KiB
// pages) writes pause for one truncating checkpoint.
const walTruncateFrames = 65536

// checkpointer copies the WAL back into the database every interval
// without stopping the writer (PASSIVE), and truncates the WAL under
// the write lock when it has grown past walTruncateFrames.
func (s *SQLite) checkpointer(interval time.Duration) {
	defer close(s.ckptDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
		}
		if err := s.checkpoint(walTruncateFrames); err != nil {
			slog.Warn("collector: sqlite checkpoint", "err", err)
		}
	}
}

// checkpoint runs a passive checkpoint and, when the WAL holds at least
// truncateAt frames, a truncating one under the write lock.
func (s *SQLite) checkpoint(truncateAt int) error {
	var busy, frames, done int
	if err := s.db.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done); err != nil {
		return fmt.Errorf("collector: sqlite checkpoint: %w", err)
	}
	if frames < truncateAt {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := s.wconn.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("collector: sqlite truncating checkpoint: %w", err)
	}
	return nil
}

// Close stops the group committer and closes the database.
func (s *SQLite) Close() error {
	s.once.Do(func() { close(s.quit) })
	<-s.stopped
	<-s.ckptDone
	s.wconn.Close()
	return s.db.Close()
}

func nanos(t time.Time) int64 { return t.UnixNano() }

func nullNanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func fromNullNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromNanos(n.Int64)
}

// write runs fn in one write transaction.
func (s *SQLite) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.wconn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("collector: sqlite begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("collector: sqlite commit: %w", err)
	}
	return nil
}

func bumpRevision(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE meta SET v = max(v + 1, ?) WHERE k = 'revision'`, revisionSeed())
	if err != nil {
		return fmt.Errorf("collector: bump revision: %w", err)
	}
	return nil
}

func isUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrConstraint &&
		(se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}

func (s *SQLite) CreateVenue(ctx context.Context, v Venue) error {
	pol, err := json.Marshal(v.Policy)
	if err != nil {
		return fmt.Errorf("collector: venue policy: %w", err)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO venues (id, name, policy, retention_days, time_zone) VALUES (?, ?, ?, ?, ?)`,
			v.ID, v.Name, string(pol), v.RetentionDays, v.TimeZone)
		if isUnique(err) {
			return fmt.Errorf("venue %q: %w", v.ID, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("collector: create venue: %w", err)
		}
		return bumpRevision(ctx, tx)
	})
}

func (s *SQLite) Venue(ctx context.Context, id string) (Venue, error) {
	v := Venue{ID: id}
	var pol string
	err := s.db.QueryRowContext(ctx, `SELECT name, policy, retention_days, time_zone FROM venues WHERE id = ?`, id).Scan(&v.Name, &pol, &v.RetentionDays, &v.TimeZone)
	if errors.Is(err, sql.ErrNoRows) {
		return Venue{}, fmt.Errorf("venue %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Venue{}, fmt.Errorf("collector: venue: %w", err)
	}
	if err := json.Unmarshal([]byte(pol), &v.Policy); err != nil {
		return Venue{}, fmt.Errorf("collector: venue %q policy: %w", id, err)
	}
	return v, nil
}

func (s *SQLite) SetVenuePolicy(ctx context.Context, id string, p wire.Policy) error {
	pol, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("collector: venue policy: %w", err)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE venues SET policy = ? WHERE id = ?`, string(pol), id)
		if err != nil {
			return fmt.Errorf("collector: set policy: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("venue %q: %w", id, ErrNotFound)
		}
		return bumpRevision(ctx, tx)
	})
}

func (s *SQLite) SetVenueSettings(ctx context.Context, id string, vs VenueSettings) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE venues SET retention_days = ?, time_zone = ? WHERE id = ?`, vs.RetentionDays, vs.TimeZone, id)
		if err != nil {
			return fmt.Errorf("collector: set venue settings: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("venue %q: %w", id, ErrNotFound)
		}
		return nil // not in any bundle: the revision stays
	})
}

func (s *SQLite) CreateEnrollToken(ctx context.Context, t EnrollToken) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM venues WHERE id = ?`, t.Venue).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("venue %q: %w", t.Venue, ErrNotFound)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO enroll_tokens (hash, venue, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			t.Hash, t.Venue, nanos(t.CreatedAt), nanos(t.ExpiresAt))
		if isUnique(err) {
			return fmt.Errorf("enrollment token: %w", ErrExists)
		}
		if err != nil {
			return fmt.Errorf("collector: create enrollment token: %w", err)
		}
		return nil
	})
}

func (s *SQLite) Enroll(ctx context.Context, tokenHash string, d Device, now time.Time) (Device, error) {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var venue string
		var expires int64
		var used sql.NullInt64
		var usedBy sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT venue, expires_at, used_at, device FROM enroll_tokens WHERE hash = ?`, tokenHash).Scan(&venue, &expires, &used, &usedBy)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("enrollment token: %w", ErrNotFound)
		case err != nil:
			return fmt.Errorf("collector: enroll: %w", err)
		case used.Valid:
			prev, err := s.enrolledWith(ctx, tx, usedBy.String, d.PublicKey)
			if err == nil {
				d = prev
			}
			return err
		case now.UnixNano() >= expires:
			return ErrExpired
		}
		d.Venue, d.EnrolledAt = venue, now
		if _, err := tx.ExecContext(ctx, `UPDATE enroll_tokens SET used_at = ?, device = ? WHERE hash = ?`, nanos(now), d.ID, tokenHash); err != nil {
			return fmt.Errorf("collector: enroll: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO devices (id, venue, public_key, hardware, enrolled_at) VALUES (?, ?, ?, ?, ?)`,
			d.ID, d.Venue, []byte(d.PublicKey), d.Hardware, nanos(now))
		if isUnique(err) {
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

// enrolledWith returns the device a used token enrolled when it holds key
// pub: the same device retrying an enrollment whose answer it never saved.
// Any other key gets ErrTokenUsed; a revoked device gets ErrRevoked.
func (s *SQLite) enrolledWith(ctx context.Context, tx *sql.Tx, id string, pub ed25519.PublicKey) (Device, error) {
	d, err := scanSQLiteDevice(tx.QueryRowContext(ctx, sqliteDeviceQuery, id), id)
	switch {
	case errors.Is(err, ErrNotFound):
		return Device{}, ErrTokenUsed
	case err != nil:
		return Device{}, err
	case !d.PublicKey.Equal(pub):
		return Device{}, ErrTokenUsed
	case !d.RevokedAt.IsZero():
		return Device{}, ErrRevoked
	}
	return d, nil
}

const sqliteDeviceQuery = `SELECT venue, public_key, hardware, enrolled_at, revoked_at,
	COALESCE((SELECT ack_seq FROM ledgers l WHERE l.device = d.id AND l.ledger = ''), 0) FROM devices d WHERE id = ?`

func scanSQLiteDevice(row *sql.Row, id string) (Device, error) {
	d := Device{ID: id}
	var key []byte
	var enrolled int64
	var revoked sql.NullInt64
	err := row.Scan(&d.Venue, &key, &d.Hardware, &enrolled, &revoked, &d.AckSeq)
	if errors.Is(err, sql.ErrNoRows) {
		return Device{}, fmt.Errorf("device %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Device{}, fmt.Errorf("collector: device: %w", err)
	}
	d.PublicKey, d.EnrolledAt, d.RevokedAt = key, fromNanos(enrolled), fromNullNanos(revoked)
	return d, nil
}

func (s *SQLite) Device(ctx context.Context, id string) (Device, error) {
	return scanSQLiteDevice(s.db.QueryRowContext(ctx, sqliteDeviceQuery, id), id)
}

func (s *SQLite) RevokeDevice(ctx context.Context, id string, at time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE devices SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, nanos(at), id)
		if err != nil {
			return fmt.Errorf("collector: revoke device: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("device %q: %w", id, ErrNotFound)
		}
		return nil
	})
}

// InsertBatch queues the batch for the group committer and waits for its
// commit. Concurrent batches (many devices) share one transaction and so
// one fsync, which is what lets a durable SQLite take tens of thousands
// of check-ins a second; each batch runs in its own savepoint, so one
// batch's failure does not touch the others.
func (s *SQLite) InsertBatch(ctx context.Context, d Device, b Batch) (IngestResult, error) {
	r := <-s.queue(ctx, &insertReq{d: d, b: b, now: b.Now})
	return r.res, r.err
}

// UseNonce records the nonce through the group committer, so the nonces
// of bundle polls share the fsync of the batches around them.
func (s *SQLite) UseNonce(ctx context.Context, key string, expires, now time.Time) error {
	r := <-s.queue(ctx, &insertReq{nonceOnly: true, b: Batch{Nonce: key, NonceExpires: expires}, now: now})
	return r.err
}

// queue hands req to the group committer and returns where its answer
// arrives. Once queued the request will be committed or refused; the
// caller waits for which, so the answer never disagrees with the database.
func (s *SQLite) queue(ctx context.Context, req *insertReq) <-chan insertRes {
	req.done = make(chan insertRes, 1)
	if req.now.IsZero() {
		req.now = time.Now()
	}
	select {
	case s.inserts <- req:
	case <-s.quit:
		req.done <- insertRes{err: errors.New("collector: sqlite backend closed")}
	case <-ctx.Done():
		req.done <- insertRes{err: ctx.Err()}
	}
	return req.done
}

func (s *SQLite) SweepNonces(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM nonces WHERE expires <= ?`, nanos(now))
		if err != nil {
			return fmt.Errorf("collector: sweep nonces: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

type insertReq struct {
	d         Device
	b         Batch
	nonceOnly bool
	now       time.Time
	done      chan insertRes
}

type insertRes struct {
	res IngestResult
	err error
}

// Check-ins go in as multi-row INSERTs of up to insertChunk rows: one
// statement per row spends more time crossing into SQLite than in it.
const (
	insertChunk = 64
	insertCols  = 21
)

func insertRowsSQL(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO checkins (device, ledger, seq, venue, t, at, corrected_at, received, boot_id, mono_ns,
		clock_synced, source, decision, reason, card_id, holder, category, grp, name, card_key, erased_digest) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
	}
	b.WriteString(" ON CONFLICT (device, ledger, seq) DO NOTHING")
	return b.String()
}

// maxGroupRecords bounds one group commit, so a transaction stays short.
const maxGroupRecords = 50000

func (s *SQLite) groupCommitter() {
	defer close(s.stopped)
	for {
		var first *insertReq
		select {
		case first = <-s.inserts:
		case <-s.quit:
			return
		}
		group, n := []*insertReq{first}, len(first.b.Records)
	drain:
		for n < maxGroupRecords {
			select {
			case r := <-s.inserts:
				group = append(group, r)
				n += len(r.b.Records)
			default:
				break drain
			}
		}
		s.commitGroup(group)
	}
}

// groupStmts are the statements of one group commit, each prepared once
// per group: go-sqlite3 prepares a statement on every call otherwise, and
// that was a tenth of the writer's time.
type groupStmts struct {
	tx      *sql.Tx
	inserts map[int]*sql.Stmt // by row count
	ack     *sql.Stmt         // a ledger's ack_seq, and whether the device and the ledger exist
	walk    *sql.Stmt         // held seqs above an ack
	setAck  *sql.Stmt
	nonce   *sql.Stmt
	// erased finds the latest erasure of a record's subjects; nil when the
	// database has none, so ingest pays nothing for the feature unused.
	erased *sql.Stmt
	late   *sql.Stmt
	held   *sql.Stmt
}

func (g *groupStmts) prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	st, err := g.tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("collector: prepare: %w", err)
	}
	return st, nil
}

// insert returns the statement inserting rows check-ins.
func (g *groupStmts) insert(ctx context.Context, rows int) (*sql.Stmt, error) {
	if st := g.inserts[rows]; st != nil {
		return st, nil
	}
	st, err := g.prepare(ctx, insertRowsSQL(rows))
	if err != nil {
		return nil, err
	}
	g.inserts[rows] = st
	return st, nil
}

func newGroupStmts(ctx context.Context, tx *sql.Tx) (*groupStmts, error) {
	g := &groupStmts{tx: tx, inserts: map[int]*sql.Stmt{}}
	var err error
	if g.ack, err = g.prepare(ctx, `SELECT COALESCE(l.ack_seq, 0), l.device IS NOT NULL FROM devices d
		LEFT JOIN ledgers l ON l.device = d.id AND l.ledger = ? WHERE d.id = ?`); err != nil {
		return nil, err
	}
	if g.walk, err = g.prepare(ctx, `SELECT seq FROM checkins WHERE device = ? AND ledger = ? AND seq > ? ORDER BY seq LIMIT 1024`); err != nil {
		return nil, err
	}
	if g.setAck, err = g.prepare(ctx, `INSERT INTO ledgers (device, ledger, ack_seq, lost, conflicts, first_seen, purged) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (device, ledger) DO UPDATE SET ack_seq = excluded.ack_seq, lost = lost + excluded.lost,
		conflicts = conflicts + excluded.conflicts, purged = purged + excluded.purged`); err != nil {
		return nil, err
	}
	var anyErased bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM erasures)`).Scan(&anyErased); err != nil {
		return nil, fmt.Errorf("collector: erasures: %w", err)
	}
	if anyErased {
		if g.erased, err = g.prepare(ctx, `SELECT id, at FROM erasures WHERE subject IN (?, ?) ORDER BY at DESC LIMIT 1`); err != nil {
			return nil, err
		}
		if g.late, err = g.prepare(ctx, `UPDATE erasures SET late = late + 1 WHERE id = ?`); err != nil {
			return nil, err
		}
		if g.held, err = g.prepare(ctx, `SELECT EXISTS (SELECT 1 FROM checkins WHERE device = ? AND ledger = ? AND seq = ?)`); err != nil {
			return nil, err
		}
	}
	if g.nonce, err = g.prepare(ctx, `INSERT INTO nonces (key, expires) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE nonces.expires <= ?`); err != nil {
		return nil, err
	}
	return g, nil
}

// close closes the statements; the transaction would close them anyway.
func (g *groupStmts) close() {
	for _, st := range []*sql.Stmt{g.ack, g.walk, g.setAck, g.nonce, g.erased, g.late, g.held} {
		if st != nil {
			st.Close()
		}
	}
	for _, st := range g.inserts {
		st.Close()
	}
}

func (s *SQLite) commitGroup(group []*insertReq) {
	ctx := context.Background()
	res := make([]insertRes, len(group))
	err := s.write(ctx, func(tx *sql.Tx) error {
		g, err := newGroupStmts(ctx, tx)
		if err != nil {
			return err
		}
		defer g.close()
		for i, r := range group {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT batch`); err != nil {
				return fmt.Errorf("collector: savepoint: %w", err)
			}
			res[i].err = useNonce(ctx, g, r.b.Nonce, r.b.NonceExpires, r.now)
			if res[i].err == nil && !r.nonceOnly {
				res[i].res, res[i].err = insertBatch(ctx, g, r.d, r.b)
			}
			if res[i].err != nil {
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO batch`); err != nil {
					return fmt.Errorf("collector: rollback savepoint: %w", err)
				}
			}
			if _, err := tx.ExecContext(ctx, `RELEASE batch`); err != nil {
				return fmt.Errorf("collector: release savepoint: %w", err)
			}
		}
		return nil
	})
	for i, r := range group {
		if err != nil {
			res[i] = insertRes{err: err}
		}
		r.done <- res[i]
	}
}

// useNonce records key until expires; ErrReplay when it is held unexpired.
func useNonce(ctx context.Context, g *groupStmts, key string, expires, now time.Time) error {
	if key == "" {
		return nil
	}
	res, err := g.nonce.ExecContext(ctx, key, nanos(expires), nanos(now))
	if err != nil {
		return fmt.Errorf("collector: record nonce: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrReplay
	}
	return nil
}

func insertBatch(ctx context.Context, g *groupStmts, d Device, b Batch) (IngestResult, error) {
	var out IngestResult
	var ack uint64
	var known bool
	if err := g.ack.QueryRowContext(ctx, b.Ledger, d.ID).Scan(&ack, &known); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return out, fmt.Errorf("device %q: %w", d.ID, ErrNotFound)
		}
		return out, fmt.Errorf("collector: insert checkins: %w", err)
	}
	prev := ack
	if b.Floor > ack {
		// The device holds nothing unsent at or below its floor: what is
		// not here of (ack, floor] was lost with its database.
		var held uint64
		if err := g.tx.QueryRowContext(ctx, `SELECT count(*) FROM checkins WHERE device = ? AND ledger = ? AND seq > ? AND seq <= ?`,
			d.ID, b.Ledger, int64(ack), int64(b.Floor)).Scan(&held); err != nil {
			return out, fmt.Errorf("collector: floor: %w", err)
		}
		purged, err := sqlitePurgedGap(ctx, g.tx, d.ID, b, ack)
		if err != nil {
			return out, err
		}
		out.Purged = purged
		out.Lost = b.Floor - ack - held - purged
		ack = b.Floor
	}
	args := make([]any, 0, insertChunk*insertCols)
	rows, inserted := 0, int64(0)
	flush := func() error {
		if rows == 0 {
			return nil
		}
		st, err := g.insert(ctx, rows)
		if err != nil {
			return err
		}
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return fmt.Errorf("collector: insert checkins: %w", err)
		}
		n, _ := res.RowsAffected()
		inserted += n
		args, rows = args[:0], 0
		return nil
	}
	fresh := 0
	for i := range b.Records {
		c := &b.Records[i]
		if c.Seq <= prev {
			// A replay of a seq already acknowledged: never stored again
			// (retention or an erasure may have removed it), only compared.
			continue
		}
		fresh++
		var corrected any
		if c.CorrectedAt != nil {
			corrected = nanos(*c.CorrectedAt)
		}
		r, digest, err := sqliteLateErasure(ctx, g, d.ID, b.Ledger, &c.Record)
		if err != nil {
			return out, err
		}
		args = append(args, d.ID, b.Ledger, int64(c.Seq), d.Venue, nanos(c.Time()), nanos(c.At), corrected, nanos(c.Received),
			r.BootID, r.MonoNS, r.ClockSynced, r.Source, r.Decision, r.Reason, r.CardID, r.Holder, r.Category, r.Group, r.Name, cardKey(r.CardID), digest)
		if rows++; rows == insertChunk {
			if err := flush(); err != nil {
				return out, err
			}
		}
	}
	if err := flush(); err != nil {
		return out, err
	}
	if inserted < int64(fresh) || fresh < len(b.Records) {
		// Some seqs were held already (a replay, or a conflict): compare.
		var err error
		if out.Conflicts, out.NewConflicts, err = sqliteConflicts(ctx, g.tx, d, b); err != nil {
			return out, err
		}
	}
	next, err := advanceAck(ctx, g.walk, d.ID, b.Ledger, heldThrough(ack, b.Records))
	if err != nil {
		return out, err
	}
	out.AckSeq = next
	if next != prev || !known || out.Lost > 0 || out.Purged > 0 || out.NewConflicts > 0 {
		first := time.Now()
		if len(b.Records) > 0 {
			first = b.Records[0].Received
		}
		if _, err := g.setAck.ExecContext(ctx, d.ID, b.Ledger, int64(next), int64(out.Lost), out.NewConflicts, nanos(first), int64(out.Purged)); err != nil {
			return out, fmt.Errorf("collector: update ack: %w", err)
		}
	}
	if err := sqliteRecoveries(ctx, g.tx, d, b); err != nil {
		return out, err
	}
	return out, nil
}

// sqliteConflicts compares each record of b with the one held under its
// seq and keeps those that differ in the conflicts table. It returns the
// conflicting seqs and how many of them were not kept before.
func sqliteConflicts(ctx context.Context, tx *sql.Tx, d Device, b Batch) ([]uint64, int, error) {
	st, err := tx.PrepareContext(ctx, `SELECT at, boot_id, mono_ns, clock_synced, source, decision, reason, card_id, holder, category, grp, name, erased_digest
		FROM checkins WHERE device = ? AND ledger = ? AND seq = ?`)
	if err != nil {
		return nil, 0, fmt.Errorf("collector: conflicts: %w", err)
	}
	defer st.Close()
	var seqs []uint64
	fresh := 0
	for i := range b.Records {
		c := &b.Records[i]
		var h wire.Record
		var at int64
		var erased []byte
		err := st.QueryRowContext(ctx, d.ID, b.Ledger, int64(c.Seq)).Scan(&at, &h.BootID, &h.MonoNS, &h.ClockSynced, &h.Source,
			&h.Decision, &h.Reason, &h.CardID, &h.Holder, &h.Category, &h.Group, &h.Name, &erased)
		if errors.Is(err, sql.ErrNoRows) {
			continue // acknowledged, then purged by retention: nothing to compare
		}
		if err != nil {
			return nil, 0, fmt.Errorf("collector: conflicts: %w", err)
		}
		h.At = fromNanos(at)
		if erased != nil && string(erased) == string(contentDigest(&c.Record)) || erased == nil && ContentEqual(&h, &c.Record) {
			continue
		}
		seqs = append(seqs, c.Seq)
		js, err := json.Marshal(c.Record)
		if err != nil {
			return nil, 0, fmt.Errorf("collector: conflicts: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO conflicts (device, ledger, seq, digest, received, record) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, d.ID, b.Ledger, int64(c.Seq), contentDigest(&c.Record), nanos(c.Received), string(js))
		if err != nil {
			return nil, 0, fmt.Errorf("collector: keep conflict: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			fresh++
		}
	}
	return seqs, fresh, nil
}

// sqliteRecoveries keeps the batch's recovery reports, once each.
func sqliteRecoveries(ctx context.Context, tx *sql.Tx, d Device, b Batch) error {
	now := b.Now
	if len(b.Records) > 0 {
		now = b.Records[0].Received
	}
	if now.IsZero() {
		now = time.Now()
	}
	for _, r := range b.Recoveries {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recoveries (device, ledger, at, salvaged, lost, reported_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, d.ID, r.Ledger, nanos(r.At), r.Salvaged, r.Lost, nanos(now)); err != nil {
			return fmt.Errorf("collector: keep recovery: %w", err)
		}
	}
	return nil
}

// advanceAck walks the held seqs of a ledger above ack while they are
// contiguous.
func advanceAck(ctx context.Context, walk *sql.Stmt, device, ledger string, ack uint64) (uint64, error) {
	for {
		rows, err := walk.QueryContext(ctx, device, ledger, int64(ack))
		if err != nil {
			return 0, fmt.Errorf("collector: advance ack: %w", err)
		}
		n, gap := 0, false
		for rows.Next() {
			var seq uint64
			if err := rows.Scan(&seq); err != nil {
				rows.Close()
				return 0, fmt.Errorf("collector: advance ack: %w", err)
			}
			n++
			if seq != ack+1 {
				gap = true
				break
			}
			ack = seq
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("collector: advance ack: %w", err)
		}
		if gap || n < 1024 {
			return ack, nil
		}
	}
}

func (s *SQLite) Ledgers(ctx context.Context, device string) ([]Ledger, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT ledger, ack_seq, lost, conflicts, first_seen, purged FROM ledgers WHERE device = ? ORDER BY first_seen, ledger`, device)
	if err != nil {
		return nil, fmt.Errorf("collector: ledgers: %w", err)
	}
	defer rows.Close()
	out := []Ledger{}
	for rows.Next() {
		var l Ledger
		var first int64
		if err := rows.Scan(&l.Ledger, &l.AckSeq, &l.Lost, &l.Conflicts, &first, &l.Purged); err != nil {
			return nil, fmt.Errorf("collector: ledgers: %w", err)
		}
		l.FirstSeen = fromNanos(first)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("collector: ledgers: %w", err)
	}
	return out, nil
}

func (s *SQLite) Recoveries(ctx context.Context, device string) ([]StoredRecovery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT ledger, at, salvaged, lost, reported_at FROM recoveries WHERE device = ? ORDER BY at, ledger`, device)
	if err != nil {
		return nil, fmt.Errorf("collector: recoveries: %w", err)
	}
	defer rows.Close()
	out := []StoredRecovery{}
	for rows.Next() {
		var r StoredRecovery
		var at, rep int64
		if err := rows.Scan(&r.Ledger, &at, &r.Salvaged, &r.Lost, &rep); err != nil {
			return nil, fmt.Errorf("collector: recoveries: %w", err)
		}
		r.At, r.ReportedAt = fromNanos(at), fromNanos(rep)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("collector: recoveries: %w", err)
	}
	return out, nil
}

func (s *SQLite) Conflicts(ctx context.Context, device string, limit int) ([]Conflict, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT ledger, received, record FROM conflicts WHERE device = ? ORDER BY received, ledger, seq LIMIT ?`, device, limit)
	if err != nil {
		return nil, fmt.Errorf("collector: conflicts: %w", err)
	}
	defer rows.Close()
	out := []Conflict{}
	for rows.Next() {
		c := Conflict{Device: device}
		var rec int64
		var js string
		if err := rows.Scan(&c.Ledger, &rec, &js); err != nil {
			return nil, fmt.Errorf("collector: conflicts: %w", err)
		}
		c.Received = fromNanos(rec)
		if err := json.Unmarshal([]byte(js), &c.Record); err != nil {
			return nil, fmt.Errorf("collector: conflict record: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("collector: conflicts: %w", err)
	}
	return out, nil
}

func (s *SQLite) BootAnchor(ctx context.Context, device, bootID string) (time.Time, bool, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT boot_wall FROM boot_anchors WHERE device = ? AND boot_id = ?`, device, bootID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("collector: boot anchor: %w", err)
	}
	return fromNanos(n), true, nil
}

func (s *SQLite) SaveBootAnchor(ctx context.Context, device, bootID string, bootWall time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO boot_anchors (device, boot_id, boot_wall) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			device, bootID, nanos(bootWall))
		if err != nil {
			return fmt.Errorf("collector: save boot anchor: %w", err)
		}
		return nil
	})
}

func (s *SQLite) PutIssuer(ctx context.Context, is Issuer) error {
	venues, _ := json.Marshal(is.Venues)
	var priv any
	if is.SealedKey != nil {
		priv = is.SealedKey
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO issuers (id, name, public_key, private_key, not_before, not_after, venues)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, public_key = excluded.public_key,
			private_key = excluded.private_key, not_before = excluded.not_before, not_after = excluded.not_after, venues = excluded.venues`,
			is.ID, is.Name, []byte(is.PublicKey), priv, nullNanos(is.NotBefore), nullNanos(is.NotAfter), string(venues))
		if err != nil {
			return fmt.Errorf("collector: put issuer: %w", err)
		}
		return bumpRevision(ctx, tx)
	})
}

// SetIssuerKey overwrites the key with secure_delete on, so the clear key
// it replaces is zeroed in the page, and truncates the WAL afterwards, so
// no copy of the old page stays in it.
func (s *SQLite) SetIssuerKey(ctx context.Context, id string, sealed []byte) error {
	pragma := func(q string) error {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		if _, err := s.wconn.ExecContext(context.Background(), q); err != nil {
			return fmt.Errorf("collector: set issuer key: %w", err)
		}
		return nil
	}
	if err := pragma(`PRAGMA secure_delete = ON`); err != nil {
		return err
	}
	defer func() {
		pragma(`PRAGMA secure_delete = OFF`)
		s.checkpoint(0)
	}()
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE issuers SET private_key = ? WHERE id = ?`, sealed, id)
		if err != nil {
			return fmt.Errorf("collector: set issuer key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("issuer %q: %w", id, ErrNotFound)
		}
		return nil
	})
}

func (s *SQLite) DeleteIssuer(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM issuers WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("collector: delete issuer: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("issuer %q: %w", id, ErrNotFound)
		}
		return bumpRevision(ctx, tx)
	})
}

func (s *SQLite) Issuers(ctx context.Context) ([]Issuer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, public_key, private_key, not_before, not_after, venues FROM issuers ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("collector: issuers: %w", err)
	}
	defer rows.Close()
	var out []Issuer
	for rows.Next() {
		var is Issuer
		var pub, priv []byte
		var nb, na sql.NullInt64
		var venues string
		if err := rows.Scan(&is.ID, &is.Name, &pub, &priv, &nb, &na, &venues); err != nil {
			return nil, fmt.Errorf("collector: issuers: %w", err)
		}
		is.PublicKey, is.NotBefore, is.NotAfter = pub, fromNullNanos(nb), fromNullNanos(na)
		if priv != nil {
			is.SealedKey, is.HoldsKey = priv, true
		}
		if err := json.Unmarshal([]byte(venues), &is.Venues); err != nil {
			return nil, fmt.Errorf("collector: issuer %q venues: %w", is.ID, err)
		}
		out = append(out, is)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("collector: issuers: %w", err)
	}
	return out, nil
}

func (s *SQLite) RecordCard(ctx context.Context, c Card) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO cards (id, issuer, holder, name, category, issued_at, expires) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Issuer, c.Holder, c.Name, c.Category, nanos(c.IssuedAt), nanos(c.Expires))
		if isUnique(err) {
			return fmt.Errorf("card %s: %w", c.ID, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("collector: record card: %w", err)
		}
		return nil
	})
}

func (s *SQLite) RevokeCard(ctx context.Context, cardID string, at time.Time) error {
	cardID = strings.ToLower(cardID)
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO revocations (card_id, revoked_at) VALUES (?, ?) ON CONFLICT DO NOTHING`, cardID, nanos(at))
		if err != nil {
			return fmt.Errorf("collector: revoke card: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // already revoked: the bundle is unchanged
		}
		return bumpRevision(ctx, tx)
	})
}

func (s *SQLite) Revocations(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT card_id FROM revocations ORDER BY card_id`)
	if err != nil {
		return nil, fmt.Errorf("collector: revocations: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("collector: revocations: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (s *SQLite) Revision(ctx context.Context) (int64, error) {
	var v int64
	if err := s.db.QueryRowContext(ctx, `SELECT v FROM meta WHERE k = 'revision'`).Scan(&v); err != nil {
		return 0, fmt.Errorf("collector: revision: %w", err)
	}
	return v, nil
}

const sqliteVisitCols = `t, at, corrected_at, clock_synced, venue, device, ledger, seq, card_id, holder, name, category, grp, decision, reason, erased_digest IS NOT NULL, source`

func (s *SQLite) VisitsAtVenue(ctx context.Context, venue string, from, to time.Time) ([]Visit, error) {
	return s.visits(ctx, `SELECT `+sqliteVisitCols+` FROM checkins WHERE venue = ? AND t >= ? AND t < ? ORDER BY t, device, ledger, seq`, venue, from, to)
}

func (s *SQLite) VisitsOfCard(ctx context.Context, cardID string, from, to time.Time) ([]Visit, error) {
	if cardID == "" {
		return nil, nil
	}
	return s.visits(ctx, `SELECT `+sqliteVisitCols+` FROM checkins WHERE card_key = ? AND card_id = ? AND t >= ? AND t < ? ORDER BY t, device, ledger, seq`, cardKey(cardID), from, to, strings.ToLower(cardID))
}

func (s *SQLite) visits(ctx context.Context, q string, key any, from, to time.Time, more ...any) ([]Visit, error) {
	args := []any{key}
	args = append(args, more...)
	args = append(args, nanos(from), nanos(to))
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("collector: visits: %w", err)
	}
	defer rows.Close()
	out := []Visit{}
	for rows.Next() {
		var v Visit
		var t, at int64
		var corr sql.NullInt64
		var seq int64
		if err := rows.Scan(&t, &at, &corr, &v.ClockSynced, &v.Venue, &v.Device, &v.Ledger, &seq, &v.CardID, &v.Holder, &v.Name, &v.Category, &v.Group, &v.Decision, &v.Reason, &v.Erased, &v.Source); err != nil {
			return nil, fmt.Errorf("collector: visits: %w", err)
		}
		v.Time, v.At, v.Seq = fromNanos(t), fromNanos(at), uint64(seq)
		if corr.Valid {
			c := fromNanos(corr.Int64)
			v.CorrectedAt = &c
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("collector: visits: %w", err)
	}
	return out, nil
}

// cardKey is the SQLite index key of a card id: its first 8 bytes as an
// integer (a hash for ids that are not hex); 0 for no card. The query
// compares the full id too, so a key collision only costs a row read.
func cardKey(id string) int64 {
	if id == "" {
		return 0
	}
	id = strings.ToLower(id)
	var k uint64
	if len(id) >= 16 {
		if v, err := strconv.ParseUint(id[:16], 16, 64); err == nil {
			k = v
		}
	}
	if k == 0 {
		h := fnv.New64a()
		h.Write([]byte(id))
		k = h.Sum64()
	}
	if k == 0 {
		k = 1
	}
	return int64(k)
}
