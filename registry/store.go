package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/scangate/scangate/clock"
)

// Errors the web pages map to answers.
var (
	ErrNotFound    = errors.New("registry: not found")
	ErrExists      = errors.New("registry: already exists")
	ErrBadRequest  = errors.New("registry: invalid value")
	ErrBadLogin    = errors.New("registry: wrong login or password")
	ErrRateLimited = errors.New("registry: too many failed sign-ins; wait and try again")
	ErrInvite      = errors.New("registry: invitation code unknown, used or expired")
)

// Store is the registry on one database handle.
type Store struct {
	db    *sql.DB
	d     dialect
	clock clock.Clock
	// KDF is the password hashing cost; tests lower it.
	KDF KDFParams

	dummyOnce sync.Once
	dummy     string // a hash to check unknown logins against
}

// OpenSQLite keeps the registry in the collector's SQLite database
// (collector.SQLite.DB) and migrates its tables.
func OpenSQLite(ctx context.Context, db *sql.DB, c clock.Clock) (*Store, error) {
	return open(ctx, db, sqliteDialect, c)
}

// OpenPostgres keeps the registry in the collector's PostgreSQL database
// (collector.Postgres.Pool) and migrates its tables.
func OpenPostgres(ctx context.Context, pool *pgxpool.Pool, c clock.Clock) (*Store, error) {
	return open(ctx, stdlib.OpenDBFromPool(pool), postgresDialect, c)
}

func open(ctx context.Context, db *sql.DB, d dialect, c clock.Clock) (*Store, error) {
	if c == nil {
		c = clock.Real{}
	}
	s := &Store{db: db, d: d, clock: c, KDF: DefaultKDF}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) now() time.Time { return s.clock.Now().UTC() }

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("registry: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func isUnique(err error) bool {
	if err == nil {
		return false
	}
	m := err.Error()
	return strings.Contains(m, "UNIQUE constraint") || strings.Contains(m, "SQLSTATE 23505")
}

// tx runs fn in one transaction.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("registry: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("registry: commit: %w", err)
	}
	return nil
}

// audit appends one entry in tx: the action and its record commit
// together or not at all.
func (s *Store) audit(ctx context.Context, tx *sql.Tx, actor, action, target, detail string) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO reg_audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`),
		nanos(s.now()), actor, action, target, detail)
	if err != nil {
		return fmt.Errorf("registry: audit %s: %w", action, err)
	}
	return nil
}

// Audit actions.
const (
	ActLogin        = "login"
	ActLoginFailed  = "login_failed"
	ActLogout       = "logout"
	ActLogoutAll    = "logout_everywhere"
	ActUserCreate   = "user_create"
	ActRegister     = "register"
	ActInviteCreate = "invite_create"
	ActPersonAdd    = "person_add"
	ActPersonErase  = "person_erase"
	ActPhotoSet     = "photo_set"
	ActDocCheck     = "document_check"
	ActCardIssue    = "card_issue"
	ActCardReissue  = "card_reissue"
	ActCardRevoke   = "card_revoke"
	ActCardLost     = "card_lost"
	ActCardPrint    = "card_print"
	// The staff desk: a check-in registered on behalf, one undone, a day
	// exported.
	ActDeskManual = "desk_manual"
	ActDeskUndo   = "desk_undo"
	ActDeskExport = "desk_export"
)

// AuditEntry is one line of the audit log. Target is an id (user, person,
// card), never a name.
type AuditEntry struct {
	Seq    int64
	At     time.Time
	Actor  string
	Action string
	Target string
	Detail string
}

// Audit appends an entry on its own: for actions whose effect lives
// elsewhere (a card signed by the collector, a PDF printed).
func (s *Store) Audit(ctx context.Context, actor, action, target, detail string) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.audit(ctx, tx, actor, action, target, detail) })
}

// AuditLog returns up to limit entries, newest first, before seq before
// (0: from the newest).
func (s *Store) AuditLog(ctx context.Context, before int64, limit int) ([]AuditEntry, error) {
	if before <= 0 {
		before = 1 << 62
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT seq, at, actor, action, target, detail FROM reg_audit WHERE seq < ? ORDER BY seq DESC LIMIT ?`), before, limit)
	if err != nil {
		return nil, fmt.Errorf("registry: audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, fmt.Errorf("registry: audit log: %w", err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
