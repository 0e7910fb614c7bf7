package collector

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/scangate/scangate/sync/wire"
)

var (
	_ HealthStore = (*SQLite)(nil)
	_ HealthStore = (*Postgres)(nil)
)

func healthJSON(h *wire.Health) ([]byte, error) {
	if h == nil {
		return nil, nil
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("collector: save health: %w", err)
	}
	return b, nil
}

func parseHealth(b []byte) (*wire.Health, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var h wire.Health
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("collector: stored health: %w", err)
	}
	return &h, nil
}

// SaveHealth implements HealthStore.
func (s *SQLite) SaveHealth(ctx context.Context, device string, h *wire.Health, seen time.Time) error {
	b, err := healthJSON(h)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		var q string
		var args []any
		if h == nil {
			q, args = `INSERT INTO device_health (device, seen_at) VALUES (?, ?)
ON CONFLICT (device) DO UPDATE SET seen_at = max(seen_at, excluded.seen_at)`, []any{device, nanos(seen)}
		} else {
			q, args = `INSERT INTO device_health (device, seen_at, reported_at, health) VALUES (?, ?, ?, ?)
ON CONFLICT (device) DO UPDATE SET seen_at = max(seen_at, excluded.seen_at), reported_at = excluded.reported_at, health = excluded.health
WHERE reported_at IS NULL OR reported_at <= excluded.reported_at`, []any{device, nanos(seen), nanos(seen), string(b)}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("collector: save health: %w", err)
		}
		return nil
	})
}

// Fleet implements HealthStore.
func (s *SQLite) Fleet(ctx context.Context) ([]DeviceHealth, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, d.venue, d.hardware, d.enrolled_at, d.revoked_at, h.seen_at, h.reported_at, h.health
FROM devices d LEFT JOIN device_health h ON h.device = d.id ORDER BY d.venue, d.id`)
	if err != nil {
		return nil, fmt.Errorf("collector: fleet: %w", err)
	}
	defer rows.Close()
	var out []DeviceHealth
	for rows.Next() {
		var d DeviceHealth
		var enrolled int64
		var revoked, seen, reported sql.NullInt64
		var health sql.NullString
		if err := rows.Scan(&d.Device, &d.Venue, &d.Hardware, &enrolled, &revoked, &seen, &reported, &health); err != nil {
			return nil, fmt.Errorf("collector: fleet: %w", err)
		}
		d.EnrolledAt = fromNanos(enrolled)
		if revoked.Valid {
			d.RevokedAt = fromNanos(revoked.Int64)
		}
		if seen.Valid {
			d.LastSeen = fromNanos(seen.Int64)
		}
		if reported.Valid {
			d.ReportedAt = fromNanos(reported.Int64)
		}
		if d.Health, err = parseHealth([]byte(health.String)); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("collector: fleet: %w", err)
	}
	return out, nil
}

// SaveHealth implements HealthStore.
func (p *Postgres) SaveHealth(ctx context.Context, device string, h *wire.Health, seen time.Time) error {
	b, err := healthJSON(h)
	if err != nil {
		return err
	}
	if h == nil {
		_, err = p.pool.Exec(ctx, `INSERT INTO device_health (device, seen_at) VALUES ($1, $2)
ON CONFLICT (device) DO UPDATE SET seen_at = greatest(device_health.seen_at, excluded.seen_at)`, device, seen)
	} else {
		_, err = p.pool.Exec(ctx, `INSERT INTO device_health (device, seen_at, reported_at, health) VALUES ($1, $2, $2, $3)
ON CONFLICT (device) DO UPDATE SET seen_at = greatest(device_health.seen_at, excluded.seen_at), reported_at = excluded.reported_at, health = excluded.health
WHERE device_health.reported_at IS NULL OR device_health.reported_at <= excluded.reported_at`, device, seen, string(b))
	}
	if err != nil {
		return fmt.Errorf("collector: save health: %w", err)
	}
	return nil
}

// Fleet implements HealthStore.
func (p *Postgres) Fleet(ctx context.Context) ([]DeviceHealth, error) {
	rows, err := p.pool.Query(ctx, `SELECT d.id, d.venue, d.hardware, d.enrolled_at, d.revoked_at, h.seen_at, h.reported_at, h.health::text
FROM devices d LEFT JOIN device_health h ON h.device = d.id ORDER BY d.venue, d.id`)
	if err != nil {
		return nil, fmt.Errorf("collector: fleet: %w", err)
	}
	defer rows.Close()
	var out []DeviceHealth
	for rows.Next() {
		var d DeviceHealth
		var revoked, seen, reported *time.Time
		var health *string
		if err := rows.Scan(&d.Device, &d.Venue, &d.Hardware, &d.EnrolledAt, &revoked, &seen, &reported, &health); err != nil {
			return nil, fmt.Errorf("collector: fleet: %w", err)
		}
		d.EnrolledAt = d.EnrolledAt.UTC()
		for _, f := range []struct {
			src *time.Time
			dst *time.Time
		}{{revoked, &d.RevokedAt}, {seen, &d.LastSeen}, {reported, &d.ReportedAt}} {
			if f.src != nil {
				*f.dst = f.src.UTC()
			}
		}
		if health != nil {
			if d.Health, err = parseHealth([]byte(*health)); err != nil {
				return nil, err
			}
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("collector: fleet: %w", err)
	}
	return out, nil
}
