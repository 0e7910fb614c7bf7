package collector

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// TokenStore is a Backend that lists and withdraws enrollment tokens;
// both built-in backends are.
type TokenStore interface {
	// OutstandingTokens returns the tokens not used and not expired at
	// now, oldest first.
	OutstandingTokens(ctx context.Context, now time.Time) ([]EnrollToken, error)
	// WithdrawToken makes an outstanding token expire at now (an
	// enrollment with it is then ErrExpired); ErrNotFound when no
	// outstanding token has that hash.
	WithdrawToken(ctx context.Context, hash string, now time.Time) error
}

var (
	_ TokenStore = (*SQLite)(nil)
	_ TokenStore = (*Postgres)(nil)
)

// OutstandingTokens implements TokenStore.
func (s *SQLite) OutstandingTokens(ctx context.Context, now time.Time) ([]EnrollToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT hash, venue, created_at, expires_at FROM enroll_tokens
WHERE used_at IS NULL AND expires_at > ? ORDER BY created_at, hash`, nanos(now))
	if err != nil {
		return nil, fmt.Errorf("collector: tokens: %w", err)
	}
	defer rows.Close()
	var out []EnrollToken
	for rows.Next() {
		var t EnrollToken
		var created, expires int64
		if err := rows.Scan(&t.Hash, &t.Venue, &created, &expires); err != nil {
			return nil, fmt.Errorf("collector: tokens: %w", err)
		}
		t.CreatedAt, t.ExpiresAt = fromNanos(created), fromNanos(expires)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("collector: tokens: %w", err)
	}
	return out, nil
}

// WithdrawToken implements TokenStore.
func (s *SQLite) WithdrawToken(ctx context.Context, hash string, now time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE enroll_tokens SET expires_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ?`, nanos(now), hash, nanos(now))
		if err != nil {
			return fmt.Errorf("collector: withdraw token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("enrollment token: %w", ErrNotFound)
		}
		return nil
	})
}

// OutstandingTokens implements TokenStore.
func (p *Postgres) OutstandingTokens(ctx context.Context, now time.Time) ([]EnrollToken, error) {
	rows, err := p.pool.Query(ctx, `SELECT hash, venue, created_at, expires_at FROM enroll_tokens
WHERE used_at IS NULL AND expires_at > $1 ORDER BY created_at, hash`, now)
	if err != nil {
		return nil, fmt.Errorf("collector: tokens: %w", err)
	}
	defer rows.Close()
	var out []EnrollToken
	for rows.Next() {
		var t EnrollToken
		if err := rows.Scan(&t.Hash, &t.Venue, &t.CreatedAt, &t.ExpiresAt); err != nil {
			return nil, fmt.Errorf("collector: tokens: %w", err)
		}
		t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC()
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("collector: tokens: %w", err)
	}
	return out, nil
}

// WithdrawToken implements TokenStore.
func (p *Postgres) WithdrawToken(ctx context.Context, hash string, now time.Time) error {
	tag, err := p.pool.Exec(ctx, `UPDATE enroll_tokens SET expires_at = $1 WHERE hash = $2 AND used_at IS NULL AND expires_at > $1`, now, hash)
	if err != nil {
		return fmt.Errorf("collector: withdraw token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("enrollment token: %w", ErrNotFound)
	}
	return nil
}
