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
