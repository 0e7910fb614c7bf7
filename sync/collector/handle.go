package collector

import (
	"database/sql"

	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the SQLite backend's database handle, for packages that keep
// their own tables in the collector's database (the web application's
// registry) with their own migrations. They must not touch this
// package's tables.
func (s *SQLite) DB() *sql.DB { return s.db }

// Pool is the PostgreSQL backend's connection pool, for the same use as
// SQLite.DB.
func (p *Postgres) Pool() *pgxpool.Pool { return p.pool }
