package store

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/mattn/go-sqlite3"
)

// Errors a caller can test with errors.Is. The fault errors (ErrFull,
// ErrReadOnly, ErrCorrupt, ErrIO) mean the store cannot keep a check-in:
// the gate answers "device fault" for them.
var (
	// ErrNotFound is an fs.ErrNotExist, so a reader that must not link the
	// store (trust) can test for it.
	ErrNotFound     = fmt.Errorf("store: not found: %w", fs.ErrNotExist)
	ErrClosed       = errors.New("store: closed")
	ErrFull         = errors.New("store: storage full")
	ErrReadOnly     = errors.New("store: storage read-only")
	ErrCorrupt      = errors.New("store: database corrupt")
	ErrIO           = errors.New("store: storage I/O error")
	ErrSchemaTooNew = errors.New("store: schema newer than this build")
	ErrOlderVersion = errors.New("store: blob version older than the stored one")
	ErrAckAhead     = errors.New("store: ack beyond the last allocated seq")
)

// faultError carries both the store's fault kind and SQLite's own error, so
// errors.Is works for either.
type faultError struct {
	kind error
	err  error
}

func (e *faultError) Error() string {
	return strings.TrimPrefix(e.kind.Error(), "store: ") + ": " + e.err.Error()
}
func (e *faultError) Unwrap() []error { return []error{e.kind, e.err} }

// faultKind maps an SQLite error to one of the fault errors, or nil when the
// error says nothing about the storage itself.
func faultKind(err error) error {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch se.Code {
	case sqlite3.ErrFull:
		return ErrFull
	case sqlite3.ErrReadonly:
		return ErrReadOnly
	case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
		return ErrCorrupt
	case sqlite3.ErrIoErr, sqlite3.ErrCantOpen:
		return ErrIO
	}
	return nil
}

// classify wraps err with its fault kind and the operation's name.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if k := faultKind(err); k != nil {
		return fmt.Errorf("store: %s: %w", op, &faultError{kind: k, err: err})
	}
	return fmt.Errorf("store: %s: %w", op, err)
}
