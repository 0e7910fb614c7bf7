package collector

import (
	"context"
	"time"
)

// SetPostgresClock replaces the clock that decides the partition window.
func SetPostgresClock(p *Postgres, now func() time.Time) { p.now = now }

// PostgresPartitionOf names the partition holding a check-in.
func PostgresPartitionOf(ctx context.Context, p *Postgres, device string, seq uint64) (string, error) {
	var name string
	err := p.pool.QueryRow(ctx, `SELECT tableoid::regclass::text FROM checkins WHERE device = $1 AND seq = $2`, device, int64(seq)).Scan(&name)
	return name, err
}

// CheckpointSQLite runs one step of the SQLite checkpointer, truncating
// the WAL when it holds at least truncateAt frames.
func CheckpointSQLite(s *SQLite, truncateAt int) error { return s.checkpoint(truncateAt) }

// SetSQLiteCheckpointEvery sets the checkpointer's interval for backends
// opened afterwards and returns the previous one.
func SetSQLiteCheckpointEvery(d time.Duration) time.Duration {
	old := sqliteCheckpointEvery
	sqliteCheckpointEvery = d
	return old
}

// CardKey is the SQLite index key of a card id.
var CardKey = cardKey

// ContentDigest is the content digest PostgreSQL keeps beside each seq.
var ContentDigest = contentDigest

// SchemaVersions are the newest SQLite and PostgreSQL schema versions.
func SchemaVersions() (sqlite, postgres int) {
	return schemaVersion(sqliteMigrations), schemaVersion(pgMigrations)
}
