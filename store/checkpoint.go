package store

import (
	"context"
	"fmt"
)

// Checkpoint copies the WAL into the database file and truncates the WAL.
// The daemon calls it when the door is idle: a checkpoint costs fsyncs of
// the main file, which should not land on a check-in's latency, and the
// fewer checkpoints a card that lies about fsync sees, the fewer moments a
// power cut can tear the main file (see the package doc).
func (s *Store) Checkpoint(ctx context.Context) error {
	if s.w == nil {
		return fmt.Errorf("store: checkpoint: %w", ErrReadOnly)
	}
	var busy, logFrames, done int
	err := s.w.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done)
	if err != nil {
		err = classify("checkpoint", err)
		s.noteWrite(err)
		return err
	}
	if busy != 0 {
		// A reader held an old snapshot past busy_timeout; the next call
		// finishes the job.
		return fmt.Errorf("store: checkpoint: readers busy (%d of %d frames copied)", done, logFrames)
	}
	s.mu.Lock()
	s.sinceCkpt = 0
	s.mu.Unlock()
	return nil
}

// countCommit is the safety net behind explicit checkpoints: after
// CheckpointAfter commits without one, the background loop checkpoints.
func (s *Store) countCommit() {
	if s.opts.CheckpointAfter < 0 {
		return
	}
	s.mu.Lock()
	s.sinceCkpt++
	due := s.sinceCkpt >= s.opts.CheckpointAfter
	s.mu.Unlock()
	if due {
		select {
		case s.checkpoint <- struct{}{}:
		default:
		}
	}
}

func (s *Store) checkpointLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.done:
			return
		case <-s.checkpoint:
			if err := s.Checkpoint(context.Background()); err != nil {
				s.log.Warn("store: background checkpoint", "err", err)
			}
		}
	}
}
