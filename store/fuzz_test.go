package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen feeds Open an arbitrary file where the database should be: what
// an SD card gives back after a bad power cut. Open must not panic or hang;
// when it succeeds the store must take a check-in, and a file it moved
// aside must be the original bytes.
func FuzzOpen(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("SQLite format 3\x00"))
	f.Add(bytes.Repeat([]byte{0xff}, 4096))
	// A real database, whole and with a damaged page.
	path := filepath.Join(f.TempDir(), "seed.db")
	s, err := Open(path, Options{Logger: quietLogger()})
	if err != nil {
		f.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		s.RecordCheckin(ctx, sample(i))
	}
	s.Close()
	real, _ := os.ReadFile(path)
	f.Add(real)
	damaged := bytes.Clone(real)
	copy(damaged[4096+100:], "garbage in a b-tree page")
	f.Add(damaged)
	header := bytes.Clone(real[:100])
	f.Add(header)

	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "scangate.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(path, Options{Logger: quietLogger(), CheckpointAfter: -1})
		if err != nil {
			if errors.Is(err, ErrCorrupt) {
				t.Fatalf("corruption must be recovered, not returned: %v", err)
			}
			return
		}
		defer s.Close()
		if h := s.Health(); h.Recovered != "" {
			if moved, err := os.ReadFile(h.Recovered); err != nil || !bytes.Equal(moved, data) {
				t.Errorf("moved-aside file differs from the original: %v", err)
			}
		}
		if _, err := s.RecordCheckin(ctx, sample(1)); err != nil {
			t.Errorf("RecordCheckin after Open: %v", err)
		}
	})
}
