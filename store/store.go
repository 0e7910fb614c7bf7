package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Options tune a Store. The zero value is the device's configuration.
type Options struct {
	// RetentionDays: Purge drops check-ins older than this, uploaded or
	// not (see Purge). 0 means 14.
	RetentionDays int
	// KeepUntilUploaded makes Purge keep a check-in still queued for
	// upload, whatever its age.
	KeepUntilUploaded bool
	// Logger receives fault transitions and recovery events; nil means slog.Default().
	Logger *slog.Logger
	// Now is the wall clock for Ack, events and blob bookkeeping; nil means time.Now.
	Now func() time.Time
	// BusyTimeout bounds how long a statement waits for a lock; 0 means 5 s.
	BusyTimeout time.Duration
	// Readers is the size of the read pool; 0 means 4.
	Readers int
	// CheckpointAfter is how many commits may pile up in the WAL before the
	// store checkpoints by itself, as a safety net for a daemon that is never
	// idle. 0 means 1000; negative means never.
	CheckpointAfter int
	// BootID and SinceBoot stamp each check-in Record makes: the kernel's
	// boot id (CurrentBootID) and the monotonic time since boot (nil means
	// the real SinceBoot).
	BootID    string
	SinceBoot func() (time.Duration, error)
	// ReserveBytes is the size of the reserve file kept beside the database
	// for the writes that free space on a full partition (reserve.go).
	// 0 means 1 MiB; negative means none.
	ReserveBytes int64

	// writerPragmas run on every new writer connection after the standard
	// ones; tests use them to shrink max_page_count or set query_only.
	writerPragmas []string
}

func (o Options) withDefaults() Options {
	if o.RetentionDays <= 0 {
		o.RetentionDays = 14
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.Readers <= 0 {
		o.Readers = 4
	}
	if o.CheckpointAfter == 0 {
		o.CheckpointAfter = 1000
	}
	if o.SinceBoot == nil {
		o.SinceBoot = SinceBoot
	}
	if o.ReserveBytes == 0 {
		o.ReserveBytes = 1 << 20
	}
	return o
}

// Store is the device's database. It is safe for concurrent use: writes are
// serialised on one connection, reads use a small pool.
type Store struct {
	path string
	opts Options
	log  *slog.Logger

	w *sql.DB // one connection; nil when the media is read-only
	r *sql.DB // read pool

	key    []byte // pseudonym key
	ledger string // this file's ledger (settings 'ledger')

	committed  chan struct{}
	checkpoint chan struct{}
	done       chan struct{}
	wg         sync.WaitGroup

	mu        sync.Mutex
	health    Health
	sinceCkpt int
	closed    bool
}

// Open opens or creates the database at path (its directory must exist),
// checks it, and migrates it to the current schema.
//
// A file that fails PRAGMA quick_check (or is not a database at all) is moved
// aside to path.corrupt-<UTC time> together with its -wal and -shm files, a
// new database is started, what can be read from the old one (settings,
// keys, downlink data, the sequence counter and un-uploaded check-ins) is
// copied over, and Health reports the recovery.
//
// Media that refuses writes does not stop Open: the store opens read-only
// so the gate can still read its trust data, Health reports StateReadOnly,
// and every write returns ErrReadOnly.
func Open(path string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{
		path:       abs,
		opts:       opts,
		log:        opts.Logger.With("db", abs),
		committed:  make(chan struct{}, 1),
		checkpoint: make(chan struct{}, 1),
		done:       make(chan struct{}),
		health:     Health{State: StateOK},
	}
	ctx := context.Background()

	// Check before any read-write connection touches the file: SQLite
	// would discard a -wal it cannot match to the database, and that -wal
	// is worth keeping for recovery.
	checked, err := s.probe(ctx)
	var w *sql.DB
	if err == nil {
		w, err = s.openWriter(ctx, !checked)
	}
	if errors.Is(err, ErrCorrupt) {
		var moved string
		moved, err = s.moveAside()
		if err != nil {
			return nil, err
		}
		if w, err = s.openWriter(ctx, false); err == nil {
			s.recovered(ctx, w, moved)
		}
	}
	switch {
	case errors.Is(err, ErrReadOnly) || errors.Is(err, ErrIO) && fileExists(abs):
		s.log.Error("store: media refuses writes; opening read-only", "err", err)
		s.health.State, s.health.Err, s.health.ErrAt = StateReadOnly, err.Error(), opts.Now()
		if s.r, err = s.openReadOnly(ctx); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		s.w = w
		if s.r, err = s.openDB(s.dsn(url.Values{"_query_only": {"1"}}), opts.Readers, nil); err != nil {
			w.Close()
			return nil, err
		}
	}
	if err := s.loadKey(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'ledger'`).Scan(&s.ledger); err != nil &&
		!errors.Is(err, sql.ErrNoRows) {
		s.Close()
		return nil, classify("load ledger", err)
	}
	if s.w != nil {
		s.makeReserve()
		s.wg.Add(1)
		go s.checkpointLoop()
	}
	return s, nil
}

// probe runs quick_check on an existing file through a read-only
// connection. It reports whether the check ran and passed; only corruption
// is an error, anything else is left for the writer to find.
func (s *Store) probe(ctx context.Context) (bool, error) {
	if !fileExists(s.path) {
		return false, nil
	}
	db, err := s.openDB(s.dsn(url.Values{"mode": {"ro"}}), 1, nil)
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			return false, err
		}
		return false, nil
	}
	defer db.Close()
	if err := quickCheck(ctx, db); err != nil {
		if errors.Is(err, ErrCorrupt) {
			return false, err
		}
		return false, nil
	}
	return true, nil
}

// openWriter opens the single writer connection, checks the file (unless
// probe already did) and migrates it. A corrupt file yields an error
// wrapping ErrCorrupt.
func (s *Store) openWriter(ctx context.Context, check bool) (*sql.DB, error) {
	pragmas := []string{
		"PRAGMA journal_mode = WAL",
		// FULL: every commit fsyncs the WAL, so a check-in the door has
		// answered survives a power cut.
		"PRAGMA synchronous = FULL",
		// Checkpoints are explicit (Checkpoint, Close, the safety net);
		// see the package doc.
		"PRAGMA wal_autocheckpoint = 0",
	}
	pragmas = append(pragmas, s.opts.writerPragmas...)
	db, err := s.openDB(s.dsn(url.Values{"_txlock": {"immediate"}}), 1, pragmas)
	if err != nil {
		return nil, err
	}
	if check {
		if err := quickCheck(ctx, db); err != nil {
			db.Close()
			return nil, err
		}
	}
	from, err := migrate(ctx, db, -1)
	if err != nil {
		db.Close()
		return nil, classify("migrate", err)
	}
	if v := SchemaVersion(); from != v {
		s.log.Info("store: schema migrated", "from", from, "to", v)
	}
	return db, nil
}

// quickCheck runs PRAGMA quick_check: O(pages), it reads every page once but
// skips the index-content comparison integrity_check makes.
func quickCheck(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		if k := faultKind(err); k != nil {
			return classify("quick check", err)
		}
		return fmt.Errorf("store: quick check: %w", err)
	}
	defer rows.Close()
	var first string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return classify("quick check", err)
		}
		if first == "" {
			first = line
		}
	}
	if err := rows.Err(); err != nil {
		return classify("quick check", err)
	}
	if first != "ok" {
		return fmt.Errorf("store: quick check: %s: %w", first, ErrCorrupt)
	}
	return nil
}

func (s *Store) openReadOnly(ctx context.Context) (*sql.DB, error) {
	// mode=ro still needs the -shm file of a WAL database; immutable=1 is
	// for media where even that cannot be created.
	for _, q := range []url.Values{{"mode": {"ro"}}, {"mode": {"ro"}, "immutable": {"1"}}} {
		db, err := s.openDB(s.dsn(q), s.opts.Readers, nil)
		if err != nil {
			continue
		}
		var n int
		if err = db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err == nil {
			return db, nil
		}
		db.Close()
	}
	return nil, fmt.Errorf("store: open %s read-only: %w", s.path, ErrReadOnly)
}

func (s *Store) dsn(q url.Values) string {
	u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: s.path}).EscapedPath(), RawQuery: q.Encode()}
	return u.String()
}

// openDB opens a pool whose connections all run the same setup.
func (s *Store) openDB(dsn string, conns int, pragmas []string) (*sql.DB, error) {
	base := []string{
		fmt.Sprintf("PRAGMA busy_timeout = %d", s.opts.BusyTimeout.Milliseconds()),
		"PRAGMA foreign_keys = ON",
	}
	all := append(base, pragmas...)
	drv := &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		for _, p := range all {
			if _, err := c.Exec(p, nil); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		return nil
	}}
	db := sql.OpenDB(connector{drv: drv, dsn: dsn})
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, classify("open "+s.path, err)
	}
	return db, nil
}

// connector lets each Store carry its own connection setup without
// registering a driver name globally.
type connector struct {
	drv *sqlite3.SQLiteDriver
	dsn string
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.drv }

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Close checkpoints the WAL into the database file (TRUNCATE, so the WAL is
// empty on the card) and closes the store.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.done)
	s.wg.Wait()
	var errs []error
	if s.w != nil {
		if _, err := s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			errs = append(errs, classify("close: checkpoint", err))
		}
	}
	if s.r != nil {
		if err := s.r.Close(); err != nil {
			errs = append(errs, fmt.Errorf("store: close readers: %w", err))
		}
	}
	if s.w != nil {
		if err := s.w.Close(); err != nil {
			errs = append(errs, fmt.Errorf("store: close writer: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Ledger is this database file's incarnation: made with the file, never
// copied from another one, so a recovered or replaced database never
// reuses the identity (device, ledger, seq) of a check-in the collector
// holds. "" for a file that made check-ins before ledgers existed.
func (s *Store) Ledger() string { return s.ledger }

// Path is the database file's absolute path.
func (s *Store) Path() string { return s.path }

// Committed receives (without blocking the writer, coalesced) after each
// check-in commit, so the uplink can wake at once. One consumer.
func (s *Store) Committed() <-chan struct{} { return s.committed }

// write runs fn in one IMMEDIATE transaction on the writer connection and
// keeps Health in step with the outcome.
func (s *Store) write(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return fmt.Errorf("store: %s: %w", op, ErrClosed)
	}
	if s.w == nil {
		return fmt.Errorf("store: %s: %w", op, ErrReadOnly)
	}
	err := s.tx(ctx, fn)
	if err != nil {
		err = classify(op, err)
		s.noteWrite(err)
		return err
	}
	s.noteWrite(nil)
	return nil
}

func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *Store) reader() (*sql.DB, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	return s.r, nil
}
