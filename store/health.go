package store

import (
	"errors"
	"time"
)

// State is the store's write health.
type State string

const (
	StateOK       State = "ok"
	StateFull     State = "full"     // SQLITE_FULL: the data partition (or the page limit) is full
	StateReadOnly State = "readonly" // the media refuses writes
	StateCorrupt  State = "corrupt"  // corruption found while running; a restart moves the file aside
	StateIO       State = "io"       // the media reported an I/O error
)

// Health is what status pages and the gate's fault signal read.
type Health struct {
	State State
	Err   string    // the last write error, "" when none since the last success
	ErrAt time.Time // when Err happened

	// Recovered is where a corrupt database was moved at Open ("" when it
	// was not); Salvage says what was copied from it.
	Recovered   string
	RecoveredAt time.Time
	Salvage     string
}

// Fault reports whether check-ins cannot be stored right now: the gate
// shows "device fault, see staff" (or passes, when configured to fail open).
func (h Health) Fault() bool { return h.State != StateOK }

// Health returns the current health. It does no I/O.
func (s *Store) Health() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health
}

// noteWrite moves the write state on after a write. Only storage faults
// change the state; a cancelled context or a constraint error does not.
func (s *Store) noteWrite(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.health.State
	if err == nil {
		if prev != StateOK {
			s.log.Info("store: writes succeed again", "was", string(prev))
		}
		s.health.State, s.health.Err, s.health.ErrAt = StateOK, "", time.Time{}
		return
	}
	var st State
	switch {
	case errors.Is(err, ErrFull):
		st = StateFull
	case errors.Is(err, ErrReadOnly):
		st = StateReadOnly
	case errors.Is(err, ErrCorrupt):
		st = StateCorrupt
	case errors.Is(err, ErrIO):
		st = StateIO
	default:
		return
	}
	s.health.State, s.health.Err, s.health.ErrAt = st, err.Error(), s.opts.Now()
	if st != prev {
		s.log.Error("store: write fault", "state", string(st), "err", err)
	}
}
