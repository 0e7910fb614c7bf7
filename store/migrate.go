package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one forward-only schema step; version is its NNN prefix.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded steps in order. Versions must run 1..n
// without holes, so user_version alone says which steps a file has seen.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, rest, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(rest, ".sql") {
			return nil, fmt.Errorf("store: migration %q: name is not NNN_name.sql", e.Name())
		}
		b, err := migrationFS.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migration %s: want version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this build migrates to.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate applies the steps after the file's user_version, each in its own
// transaction together with the version bump, so a crash mid-way leaves the
// file at a whole version. A file from a newer build is refused: running
// old code against a schema it does not know could lose check-ins.
func migrate(ctx context.Context, db *sql.DB, upTo int) (from int, err error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	if upTo < 0 || upTo > len(ms) {
		upTo = len(ms)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&from); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	if from > len(ms) {
		return from, fmt.Errorf("store: schema version %d is newer than this build's %d: %w", from, len(ms), ErrSchemaTooNew)
	}
	for _, m := range ms[from:upTo] {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return from, fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return from, fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		// PRAGMA takes no bound parameters; the version is our own integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			tx.Rollback()
			return from, fmt.Errorf("store: migration %s: set version: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return from, fmt.Errorf("store: migration %s: commit: %w", m.name, err)
		}
	}
	return from, nil
}
