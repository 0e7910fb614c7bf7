package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
)

// moveAside renames the database and its -wal and -shm files to
// path.corrupt-<UTC time>[-wal|-shm]. The names keep SQLite's pairing, so
// the moved file opens with its own WAL for forensic recovery.
func (s *Store) moveAside() (string, error) {
	moved := s.path + ".corrupt-" + s.opts.Now().UTC().Format("20060102T150405.000000000Z")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		err := os.Rename(s.path+suffix, moved+suffix)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("store: move corrupt database aside: %w", err)
		}
	}
	s.log.Error("store: database corrupt; moved aside, starting a new one", "moved", moved)
	return moved, nil
}

// salvageSteps copy what can still be read from a corrupt database. Each
// runs alone: a broken table must not cost the others. Column lists are
// explicit so a file from an older schema still gives what it has.
var salvageSteps = []struct{ name, sql string }{
	{"settings", `INSERT OR REPLACE INTO main.settings (key, value) SELECT key, value FROM old.settings`},
	{"secrets", `INSERT OR REPLACE INTO main.secrets (name, value) SELECT name, value FROM old.secrets`},
	{"blobs", `INSERT OR REPLACE INTO main.blobs (kind, version, data, etag, fetched_ns, stored_ns)
		SELECT kind, version, data, etag, fetched_ns, stored_ns FROM old.blobs`},
	// The counter keeps its place so no seq is handed out twice.
	{"seq", `UPDATE main.counters SET value = max(value,
		coalesce((SELECT value FROM old.counters WHERE name = 'seq'), 0),
		coalesce((SELECT max(seq) FROM old.checkins), 0)) WHERE name = 'seq'`},
	{"acked", `UPDATE main.counters SET value = max(value,
		coalesce((SELECT value FROM old.counters WHERE name = 'acked'), 0)) WHERE name = 'acked'`},
	{"checkins", `INSERT OR IGNORE INTO main.checkins (seq, at_ns, boot_id, mono_ns, clock_synced, corrected_ns,
		source, decision, reason, card_id, holder, category, grp, name)
		SELECT seq, at_ns, boot_id, mono_ns, clock_synced, corrected_ns,
		source, decision, reason, card_id, holder, category, grp, name
		FROM old.checkins WHERE seq IN (SELECT seq FROM old.outbox)`},
	{"outbox", `INSERT OR IGNORE INTO main.outbox (seq) SELECT seq FROM old.outbox WHERE seq IN (SELECT seq FROM main.checkins)`},
}

// recovered salvages from the moved file into the new database w, records
// an event and sets Health. Failures are reported, never fatal: the door
// must keep working.
func (s *Store) recovered(ctx context.Context, w *sql.DB, moved string) {
	var got, lost []string
	// One connection throughout: the writer pool has only one, and ATTACH
	// is per connection.
	conn, err := w.Conn(ctx)
	if err != nil {
		s.log.Error("store: salvage", "err", err)
		return
	}
	defer conn.Close()
	old := (&Store{path: moved}).dsn(map[string][]string{"mode": {"ro"}})
	if _, err = conn.ExecContext(ctx, "ATTACH DATABASE ? AS old", old); err != nil {
		lost = append(lost, "all ("+err.Error()+")")
	} else {
		for _, st := range salvageSteps {
			if _, err := conn.ExecContext(ctx, st.sql); err != nil {
				lost = append(lost, st.name)
				s.log.Warn("store: salvage step failed", "step", st.name, "err", err)
			} else {
				got = append(got, st.name)
			}
		}
		conn.ExecContext(ctx, "DETACH DATABASE old")
	}
	detail := fmt.Sprintf("moved to %s; salvaged: %s; lost: %s", moved, strings.Join(got, ","), strings.Join(lost, ","))
	if len(lost) > 0 {
		s.log.Error("store: corrupt database recovered with losses", "detail", detail)
	} else {
		s.log.Warn("store: corrupt database recovered", "detail", detail)
	}
	now := s.opts.Now()
	if _, err := conn.ExecContext(ctx, `INSERT INTO events (at_ns, kind, detail) VALUES (?, 'corrupt-recovered', ?)`,
		now.UnixNano(), detail); err != nil {
		s.log.Error("store: record recovery event", "err", err)
	}
	s.health.Recovered, s.health.RecoveredAt, s.health.Salvage = moved, now, detail
}
