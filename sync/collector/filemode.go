package collector

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrExposed is wrapped by CheckPrivateFile and CheckPrivateDir when group
// or others may read (or write) a secret.
var ErrExposed = errors.New("collector: secret readable by group or others")

// CheckPrivateFile refuses a file whose mode gives group or others any
// access: the database (and its -wal, -shm), the collector key, the
// key-encryption key and the admin token hold secrets or personal data.
// A missing file is fine (it will be created 0600). The error names the
// file and the chmod that fixes it.
func CheckPrivateFile(path string) error {
	return checkMode(path, 0o600, "600")
}

// CheckPrivateDir is CheckPrivateFile for the directory holding the
// database or the keys: 0700, so no other user lists or opens them.
func CheckPrivateDir(path string) error {
	return checkMode(path, 0o700, "700")
}

func checkMode(path string, want fs.FileMode, chmod string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("collector: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o, want %04o; run: chmod %s %s", ErrExposed, path, perm, want, chmod, shellQuote(path))
	}
	return nil
}

// CheckSQLiteFiles checks the database file, its WAL and shared-memory
// files, and their directory.
func CheckSQLiteFiles(path string) error {
	if err := CheckPrivateDir(filepath.Dir(path)); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := CheckPrivateFile(p); err != nil {
			return err
		}
	}
	return nil
}

// createPrivateFile creates path 0600 when it does not exist, before
// SQLite does (SQLite would use the umask, 0644 by default, and gives the
// -wal and -shm files the database file's mode).
func createPrivateFile(path string) error {
	if path == ":memory:" || path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("collector: create %s: %w", path, err)
	}
	return f.Close()
}

func shellQuote(s string) string {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '/' || c == '.' || c == '-' || c == '_') {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}
