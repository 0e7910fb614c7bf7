package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/scangate/scangate/downlink"
)

// PutBlob stores a newer version of kind. The same version again only
// refreshes FetchedAt and ETag; an older version is refused with
// ErrOlderVersion, so a replayed bundle cannot roll revocations back.
func (s *Store) PutBlob(ctx context.Context, kind string, version int64, data []byte, etag string, fetchedAt time.Time) error {
	if kind == "" {
		return errors.New("store: put blob: empty kind")
	}
	if data == nil {
		data = []byte{}
	}
	return s.write(ctx, "put blob "+kind, func(tx *sql.Tx) error {
		var cur int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM blobs WHERE kind = ?`, kind).Scan(&cur)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case version < cur:
			return fmt.Errorf("%s version %d, stored %d: %w", kind, version, cur, ErrOlderVersion)
		case version == cur:
			_, err = tx.ExecContext(ctx, `UPDATE blobs SET fetched_ns = ?, etag = ? WHERE kind = ?`,
				fetchedAt.UnixNano(), etag, kind)
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO blobs (kind, version, data, etag, fetched_ns, stored_ns)
			VALUES (?, ?, ?, ?, ?, ?)`, kind, version, data, etag, fetchedAt.UnixNano(), s.opts.Now().UnixNano())
		return err
	})
}

// ReplaceBlob stores data as kind whatever version is stored. Only for a
// stored copy its reader could not verify (signed by a key no longer in
// force): its version proves nothing and must not hold back a genuine list.
func (s *Store) ReplaceBlob(ctx context.Context, kind string, version int64, data []byte, etag string, fetchedAt time.Time) error {
	if kind == "" {
		return errors.New("store: replace blob: empty kind")
	}
	if data == nil {
		data = []byte{}
	}
	return s.write(ctx, "replace blob "+kind, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO blobs (kind, version, data, etag, fetched_ns, stored_ns)
			VALUES (?, ?, ?, ?, ?, ?)`, kind, version, data, etag, fetchedAt.UnixNano(), s.opts.Now().UnixNano())
		return err
	})
}

// TouchBlob records that the collector confirmed the stored version of kind
// (an HTTP 304) at fetchedAt: trust data age is measured from it.
func (s *Store) TouchBlob(ctx context.Context, kind string, fetchedAt time.Time) error {
	return s.write(ctx, "touch blob "+kind, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE blobs SET fetched_ns = max(fetched_ns, ?) WHERE kind = ?`,
			fetchedAt.UnixNano(), kind)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, ErrNotFound)
		}
		return nil
	})
}

// Blob reads the stored version of kind, or ErrNotFound.
func (s *Store) Blob(ctx context.Context, kind string) (downlink.Blob, error) {
	b := downlink.Blob{Kind: kind}
	r, err := s.reader()
	if err != nil {
		return b, fmt.Errorf("store: blob %s: %w", kind, err)
	}
	var fetched, stored int64
	err = r.QueryRowContext(ctx, `SELECT version, data, etag, fetched_ns, stored_ns FROM blobs WHERE kind = ?`, kind).
		Scan(&b.Version, &b.Data, &b.ETag, &fetched, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("store: blob %s: %w", kind, ErrNotFound)
	}
	if err != nil {
		return b, classify("blob "+kind, err)
	}
	b.FetchedAt, b.StoredAt = time.Unix(0, fetched), time.Unix(0, stored)
	return b, nil
}
