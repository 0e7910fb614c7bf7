package collector

import (
	"context"
	"fmt"
)

// The same statement serves SQLite (3.30+) and PostgreSQL.
const countDevicesQuery = `SELECT COUNT(*) FILTER (WHERE revoked_at IS NULL), COUNT(*) FILTER (WHERE revoked_at IS NOT NULL) FROM devices`

// CountDevices implements DeviceCounter.
func (s *SQLite) CountDevices(ctx context.Context) (active, revoked int, err error) {
	if err := s.db.QueryRowContext(ctx, countDevicesQuery).Scan(&active, &revoked); err != nil {
		return 0, 0, fmt.Errorf("collector: count devices: %w", err)
	}
	return active, revoked, nil
}

// CountDevices implements DeviceCounter.
func (p *Postgres) CountDevices(ctx context.Context) (active, revoked int, err error) {
	if err := p.pool.QueryRow(ctx, countDevicesQuery).Scan(&active, &revoked); err != nil {
		return 0, 0, fmt.Errorf("collector: count devices: %w", err)
	}
	return active, revoked, nil
}
