package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Usage is the store's footprint and the room left on its partition, for
// status: a partition with no free block refuses even the WAL appends that
// would free space, so the operator should hear about it well before.
type Usage struct {
	DBBytes   int64
	WALBytes  int64
	FreeBytes uint64 // available to unprivileged writers on the partition
}

// Usage stats the database files and their filesystem.
func (s *Store) Usage() (Usage, error) {
	var u Usage
	for _, f := range []struct {
		suffix string
		n      *int64
	}{{"", &u.DBBytes}, {"-wal", &u.WALBytes}} {
		fi, err := os.Stat(s.path + f.suffix)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return u, fmt.Errorf("store: usage: %w", err)
		}
		if err == nil {
			*f.n = fi.Size()
		}
	}
	var st unix.Statfs_t
	if err := unix.Statfs(filepath.Dir(s.path), &st); err != nil {
		return u, fmt.Errorf("store: usage: statfs: %w", err)
	}
	u.FreeBytes = st.Bavail * uint64(st.Bsize)
	return u, nil
}
