package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Setting keys the uplink keeps. Other packages may use their own keys.
const (
	SettingDeviceID   = "device_id"
	SettingVenue      = "venue"
	SettingEnrollment = "enrollment" // e.g. "", "enrolled", "revoked"
	SettingCollector  = "collector_url"
)

// Setting reads one setting, or ErrNotFound.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	r, err := s.reader()
	if err != nil {
		return "", fmt.Errorf("store: setting %s: %w", key, err)
	}
	var v string
	err = r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: setting %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return "", classify("setting "+key, err)
	}
	return v, nil
}

// SetSetting writes one setting.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.SetSettings(ctx, map[string]string{key: value})
}

// SetSettings writes several settings in one transaction, so enrollment
// (device id, venue, state) is never half recorded.
func (s *Store) SetSettings(ctx context.Context, kv map[string]string) error {
	return s.write(ctx, "set settings", func(tx *sql.Tx) error {
		for k, v := range kv {
			if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)`, k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Event is something that happened to the store itself.
type Event struct {
	At     time.Time
	Kind   string // "corrupt-recovered"
	Detail string
}

// Events returns the latest events, newest first.
func (s *Store) Events(ctx context.Context, limit int) ([]Event, error) {
	r, err := s.reader()
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	rows, err := r.QueryContext(ctx, `SELECT at_ns, kind, detail FROM events ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, classify("events", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&at, &e.Kind, &e.Detail); err != nil {
			return nil, classify("events", err)
		}
		e.At = time.Unix(0, at)
		out = append(out, e)
	}
	return out, classify("events", rows.Err())
}
