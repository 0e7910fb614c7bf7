package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// The reserve is a file of real blocks beside the database. On a full
// partition even the writes that free space (an ack deletes outbox rows, a
// purge deletes check-ins) must append to the WAL first; SQLite then fails
// them with SQLITE_FULL and the card stays full for ever. Releasing the
// reserve gives those writes room; Probe puts it back once the partition
// has space again.

// probeFreeBytes is the free space below which a full store stays full.
const probeFreeBytes = 64 << 10

// reservePath is the reserve file's name.
func (s *Store) reservePath() string { return s.path + ".reserve" }

// makeReserve writes the reserve with zeros (not a sparse file: its blocks
// must be real to be worth freeing) when it is missing and the partition
// has room for it twice over. It reports whether a reserve is in place.
func (s *Store) makeReserve() bool {
	size := s.opts.ReserveBytes
	if size <= 0 {
		return false
	}
	if fi, err := os.Stat(s.reservePath()); err == nil && fi.Size() >= size {
		return true
	}
	if u, err := s.Usage(); err != nil || u.FreeBytes < uint64(2*size) {
		return false
	}
	if err := writeZeros(s.reservePath(), size); err != nil {
		s.log.Warn("store: reserve not made", "err", err)
		os.Remove(s.reservePath())
		return false
	}
	return true
}

func writeZeros(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("store: reserve: %w", err)
	}
	buf := make([]byte, 64<<10)
	for left := size; left > 0; {
		n := min(left, int64(len(buf)))
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			return fmt.Errorf("store: reserve: %w", err)
		}
		left -= n
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("store: reserve: %w", err)
	}
	return f.Close()
}

// releaseReserve deletes the reserve; it reports whether there was one.
func (s *Store) releaseReserve() bool {
	err := os.Remove(s.reservePath())
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("store: release reserve", "err", err)
		}
		return false
	}
	s.log.Warn("store: partition full; released the reserve so uploads and purges can free space")
	return true
}

// freeing runs a write whose purpose is to free space (ack, purge). When
// the partition is full it releases the reserve and tries once more.
func (s *Store) freeing(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	err := s.write(ctx, op, fn)
	if errors.Is(err, ErrFull) && s.releaseReserve() {
		err = s.write(ctx, op, fn)
	}
	return err
}

// Probe is the store's housekeeping beat, run beside the door (never on its
// path): while Health reports a write fault it tries a one-row write, so
// the state clears as soon as the media takes writes again even when no
// card comes; and it restores a released reserve once there is room.
func (s *Store) Probe(ctx context.Context) error {
	h := s.Health()
	if h.State == StateFull {
		// A one-row write may fit where a check-in would not: judge a full
		// partition by its free space first, so health does not flap.
		if u, err := s.Usage(); err == nil && u.FreeBytes < probeFreeBytes {
			return fmt.Errorf("store: probe: %d bytes free: %w", u.FreeBytes, ErrFull)
		}
	}
	if h.Fault() {
		err := s.write(ctx, "probe", func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO settings (key, value) VALUES ('store.probe', ?)`,
				s.opts.Now().UTC().Format(time.RFC3339Nano))
			return err
		})
		if err != nil {
			return err
		}
	}
	s.makeReserve()
	return nil
}
