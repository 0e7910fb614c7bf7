package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

type dialect int

const (
	sqliteDialect dialect = iota
	postgresDialect
)

// migration takes the registry schema from version-1 to version, in the
// transaction that records the version in reg_meta.
type migration struct {
	version int
	name    string
	sql     string
}

// ErrSchemaNewer: the registry tables were migrated by a newer collector.
var ErrSchemaNewer = errors.New("registry: schema is newer than this collector")

const commonV1 = `
CREATE TABLE reg_users (
	id TEXT PRIMARY KEY,
	login TEXT NOT NULL UNIQUE,
	pw_hash TEXT NOT NULL,
	role TEXT NOT NULL,
	display TEXT NOT NULL DEFAULT '',
	issuer TEXT NOT NULL DEFAULT '',
	created BIGINT NOT NULL,
	disabled BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE reg_user_scopes (
	user_id TEXT NOT NULL REFERENCES reg_users(id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	ref TEXT NOT NULL,
	PRIMARY KEY (user_id, kind, ref)
);
CREATE TABLE reg_sessions (
	id_hash TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES reg_users(id) ON DELETE CASCADE,
	csrf TEXT NOT NULL,
	created BIGINT NOT NULL,
	expires BIGINT NOT NULL
);
CREATE INDEX reg_sessions_user ON reg_sessions (user_id);
CREATE TABLE reg_invites (
	code_hash TEXT PRIMARY KEY,
	issuer TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created BIGINT NOT NULL,
	expires BIGINT NOT NULL,
	used_by TEXT NOT NULL DEFAULT '',
	used_at BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE reg_login_failures (
	k TEXT NOT NULL,
	at BIGINT NOT NULL
);
CREATE INDEX reg_login_failures_k ON reg_login_failures (k, at);
CREATE TABLE reg_people (
	id TEXT PRIMARY KEY,
	owner TEXT NOT NULL DEFAULT '',
	issuer TEXT NOT NULL,
	holder TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	category TEXT NOT NULL,
	relation TEXT NOT NULL DEFAULT '',
	created BIGINT NOT NULL,
	updated BIGINT NOT NULL
);
CREATE INDEX reg_people_owner ON reg_people (owner);
CREATE INDEX reg_people_issuer ON reg_people (issuer);
CREATE TABLE reg_person_cards (
	card_id TEXT PRIMARY KEY,
	person_id TEXT NOT NULL REFERENCES reg_people(id) ON DELETE CASCADE,
	issuer TEXT NOT NULL,
	qr TEXT NOT NULL,
	issued_at BIGINT NOT NULL,
	expires BIGINT NOT NULL,
	revoked_at BIGINT NOT NULL DEFAULT 0,
	revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reg_person_cards_person ON reg_person_cards (person_id);
CREATE TABLE reg_doc_checks (
	id TEXT PRIMARY KEY,
	person_id TEXT NOT NULL REFERENCES reg_people(id) ON DELETE CASCADE,
	doc_type TEXT NOT NULL,
	last4 TEXT NOT NULL,
	checked_by TEXT NOT NULL,
	at BIGINT NOT NULL
);
CREATE INDEX reg_doc_checks_person ON reg_doc_checks (person_id);
`

var sqliteMigrations = []migration{
	{1, "accounts, sessions, people, cards, document checks, audit", commonV1 + `
CREATE TABLE reg_photos (
	person_id TEXT PRIMARY KEY REFERENCES reg_people(id) ON DELETE CASCADE,
	jpeg BLOB NOT NULL
);
CREATE TABLE reg_audit (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	at BIGINT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER reg_audit_no_update BEFORE UPDATE ON reg_audit BEGIN SELECT RAISE(ABORT, 'reg_audit is append-only'); END;
CREATE TRIGGER reg_audit_no_delete BEFORE DELETE ON reg_audit BEGIN SELECT RAISE(ABORT, 'reg_audit is append-only'); END;
`},
}

var postgresMigrations = []migration{
	{1, "accounts, sessions, people, cards, document checks, audit", commonV1 + `
CREATE TABLE reg_photos (
	person_id TEXT PRIMARY KEY REFERENCES reg_people(id) ON DELETE CASCADE,
	jpeg BYTEA NOT NULL
);
CREATE TABLE reg_audit (
	seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at BIGINT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT ''
);
CREATE FUNCTION reg_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'reg_audit is append-only'; END $$;
CREATE TRIGGER reg_audit_no_change BEFORE UPDATE OR DELETE ON reg_audit
	FOR EACH ROW EXECUTE FUNCTION reg_audit_append_only();
CREATE TRIGGER reg_audit_no_truncate BEFORE TRUNCATE ON reg_audit
	FOR EACH STATEMENT EXECUTE FUNCTION reg_audit_append_only();
`},
}

// registryLock is the PostgreSQL advisory lock migrations run under; it
// differs from the collector's so the two schemas migrate independently.
const registryLock = 0x5ca96a7f

func (s *Store) migrate(ctx context.Context) error {
	ms := sqliteMigrations
	if s.d == postgresDialect {
		ms = postgresMigrations
	}
	for i, m := range ms {
		if m.version != i+1 {
			panic(fmt.Sprintf("registry: migration %q has version %d, want %d", m.name, m.version, i+1))
		}
	}
	want := ms[len(ms)-1].version
	for {
		done, err := s.migrateStep(ctx, ms, want)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// migrateStep applies the next migration, if any, in one transaction.
func (s *Store) migrateStep(ctx context.Context, ms []migration, want int) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("registry: migrate: %w", err)
	}
	defer tx.Rollback()
	if s.d == postgresDialect {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, registryLock); err != nil {
			return false, fmt.Errorf("registry: migration lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS reg_meta (k TEXT PRIMARY KEY, v BIGINT NOT NULL)`); err != nil {
		return false, fmt.Errorf("registry: meta: %w", err)
	}
	var have int
	err = tx.QueryRowContext(ctx, `SELECT v FROM reg_meta WHERE k = 'schema'`).Scan(&have)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("registry: schema version: %w", err)
	}
	if have > want {
		return false, fmt.Errorf("%w: version %d, this collector knows up to %d", ErrSchemaNewer, have, want)
	}
	if have == want {
		return true, tx.Commit()
	}
	m := ms[have]
	for _, stmt := range splitStatements(m.sql) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return false, fmt.Errorf("registry: migration %d (%s): %w", m.version, m.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO reg_meta (k, v) VALUES ('schema', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`), m.version); err != nil {
		return false, fmt.Errorf("registry: record schema %d: %w", m.version, err)
	}
	return false, tx.Commit()
}

// splitStatements splits a migration at the semicolons that end a line,
// keeping trigger bodies (BEGIN ... END;) and dollar-quoted functions whole.
func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	depth := false
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if t == "" && cur.Len() == 0 {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.Count(line, "$$")%2 == 1 {
			depth = !depth
		}
		if !depth && strings.HasSuffix(t, ";") && (!strings.Contains(cur.String(), " BEGIN ") || strings.HasSuffix(t, "END;")) {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// q rewrites ? placeholders to PostgreSQL's $n. The registry's queries
// hold no ? inside string literals.
func (s *Store) q(query string) string {
	if s.d != postgresDialect {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
