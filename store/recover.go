package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
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

// salvageSteps copy what can still be read from a corrupt database besides
// the check-ins. Each runs alone: a broken table must not cost the others.
// Column lists are explicit so a file from an older schema still gives what
// it has. The ledger is never copied: the new file is a new incarnation.
var salvageSteps = []struct{ name, table, sql string }{
	{"settings", "settings", `INSERT OR REPLACE INTO main.settings (key, value) SELECT key, value FROM old.settings
		WHERE key NOT IN ('ledger', 'store.probe')`},
	{"secrets", "secrets", `INSERT OR REPLACE INTO main.secrets (name, value) SELECT name, value FROM old.secrets`},
	{"blobs", "blobs", `INSERT OR REPLACE INTO main.blobs (kind, version, data, etag, fetched_ns, stored_ns)
		SELECT kind, version, data, etag, fetched_ns, stored_ns FROM old.blobs`},
	// The damaged ledger's purged ranges, so the collector still counts
	// those gaps as purged rather than lost.
	{"purged", "purged", `INSERT OR IGNORE INTO main.purged (ledger, lo, hi) SELECT ledger, lo, hi FROM old.purged`},
}

// salvageChunk is the widest seq range copied in one statement; a range
// that fails is split in halves down to single rows, so one bad page costs
// only the rows on it.
const salvageChunk = 512

// salvageUnknownSpan bounds the seq range searched when the damaged file no
// longer tells its last seq.
const salvageUnknownSpan = 1 << 20

// Recovery is one recovery of a corrupt database, as status and the
// uplink report it.
type Recovery struct {
	At       time.Time
	Ledger   string // the damaged file's ledger
	Salvaged int64  // queued check-ins copied into the new file
	Lost     int64  // queued check-ins that could not be read; -1: unknown
	MovedTo  string
}

// recovered salvages from the moved file into the new database w, records
// an event and a recovery and sets Health. Failures are reported, never
// fatal: the door must keep working.
func (s *Store) recovered(ctx context.Context, w *sql.DB, moved string) {
	var got, lost []string
	rec := Recovery{At: s.opts.Now(), Lost: -1, MovedTo: moved}
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
			var have int
			if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM old.sqlite_schema WHERE type = 'table' AND name = ?`,
				st.table).Scan(&have); err == nil && have == 0 {
				continue // a file from before the table existed has none to lose
			}
			if _, err := conn.ExecContext(ctx, st.sql); err != nil {
				lost = append(lost, st.name)
				s.log.Warn("store: salvage step failed", "step", st.name, "err", err)
			} else {
				got = append(got, st.name)
			}
		}
		rec.Ledger, rec.Salvaged, rec.Lost = s.salvageCheckins(ctx, conn)
		got = append(got, fmt.Sprintf("checkins(%d)", rec.Salvaged))
		if rec.Lost != 0 {
			lost = append(lost, fmt.Sprintf("checkins(%s)", lostText(rec.Lost)))
		}
		conn.ExecContext(ctx, "DETACH DATABASE old")
	}
	// Whatever was salvaged, the counter ends above every seq in the new
	// file, so no seq is handed out twice.
	if _, err := conn.ExecContext(ctx, `UPDATE counters SET value = max(value,
		coalesce((SELECT max(seq) FROM checkins), 0)) WHERE name = 'seq'`); err != nil {
		s.log.Error("store: salvage: counter", "err", err)
	}
	detail := fmt.Sprintf("moved to %s; salvaged: %s; lost: %s", moved, strings.Join(got, ","), strings.Join(lost, ","))
	if len(lost) > 0 {
		s.log.Error("store: corrupt database recovered with losses", "detail", detail)
	} else {
		s.log.Warn("store: corrupt database recovered", "detail", detail)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO events (at_ns, kind, detail) VALUES (?, 'corrupt-recovered', ?)`,
		rec.At.UnixNano(), detail); err != nil {
		s.log.Error("store: record recovery event", "err", err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO recoveries (at_ns, ledger, salvaged, lost, moved_to) VALUES (?, ?, ?, ?, ?)`,
		rec.At.UnixNano(), rec.Ledger, rec.Salvaged, rec.Lost, moved); err != nil {
		s.log.Error("store: record recovery", "err", err)
	}
	s.health.Recovered, s.health.RecoveredAt, s.health.Salvage = moved, rec.At, detail
}

func lostText(n int64) string {
	if n < 0 {
		return "unknown"
	}
	return strconv.FormatInt(n, 10)
}

// salvageCheckins copies the queued check-ins of the attached old file
// into the new one, range by range, and queues them again under the ledger
// each was made in. It returns the old file's ledger and how many rows it
// salvaged and lost (-1 when the old file no longer tells).
//
// The queued rows are exactly the seqs above the old 'acked' watermark (an
// ack deletes the outbox up to it). When the counters are unreadable the
// outbox gives the same bound; when that is gone too every readable row is
// copied: rows already uploaded go up again under their old identity and
// the collector recognises them.
func (s *Store) salvageCheckins(ctx context.Context, conn *sql.Conn) (ledger string, salvaged, lostRows int64) {
	one := func(q string) (int64, bool) {
		var v sql.NullInt64
		if err := conn.QueryRowContext(ctx, q).Scan(&v); err != nil || !v.Valid {
			return 0, false
		}
		return v.Int64, true
	}
	conn.QueryRowContext(ctx, `SELECT value FROM old.settings WHERE key = 'ledger'`).Scan(&ledger)
	lower, lowerKnown := one(`SELECT value FROM old.counters WHERE name = 'acked'`)
	if !lowerKnown {
		if m, ok := one(`SELECT min(seq) FROM old.outbox`); ok {
			lower, lowerKnown = m-1, true
		}
	}
	upper, upperKnown := int64(0), false
	for _, q := range []string{`SELECT value FROM old.counters WHERE name = 'seq'`,
		`SELECT max(seq) FROM old.checkins`, `SELECT max(seq) FROM old.outbox`} {
		if v, ok := one(q); ok {
			upper, upperKnown = max(upper, v), true
		}
	}
	if !upperKnown {
		upper = lower + salvageUnknownSpan
	}
	// A file from before ledgers has no column: its rows are all ledger "".
	ledgerCol := "?"
	if rows, err := conn.QueryContext(ctx, `SELECT name FROM pragma_table_info('checkins', 'old')`); err == nil {
		for rows.Next() {
			var name string
			if rows.Scan(&name) == nil && name == "ledger" {
				ledgerCol = "coalesce(ledger, ?)"
			}
		}
		rows.Close()
	}
	copyRange := `INSERT OR IGNORE INTO main.checkins (seq, at_ns, boot_id, mono_ns, clock_synced, corrected_ns,
		source, decision, reason, card_id, holder, category, grp, name, ledger)
		SELECT seq, at_ns, boot_id, mono_ns, clock_synced, corrected_ns,
		source, decision, reason, card_id, holder, category, grp, name, ` + ledgerCol + `
		FROM old.checkins WHERE seq > ? AND seq <= ?`
	var bad int64 // seqs in ranges that could not be read
	var salvage func(lo, hi int64)
	salvage = func(lo, hi int64) { // (lo, hi]
		if lo >= hi || ctx.Err() != nil {
			return
		}
		res, err := conn.ExecContext(ctx, copyRange, ledger, lo, hi)
		if err == nil {
			n, _ := res.RowsAffected()
			salvaged += n
			return
		}
		if hi-lo == 1 {
			bad++
			return
		}
		mid := lo + (hi-lo)/2
		salvage(lo, mid)
		salvage(mid, hi)
	}
	for lo := lower; lo < upper; lo += salvageChunk {
		salvage(lo, min(lo+salvageChunk, upper))
	}
	if _, err := conn.ExecContext(ctx, `INSERT OR IGNORE INTO main.outbox (seq)
		SELECT seq FROM main.checkins WHERE seq > ? AND seq <= ?`, lower, upper); err != nil {
		s.log.Error("store: salvage: queue salvaged check-ins", "err", err)
	}
	if _, err := conn.ExecContext(ctx, `UPDATE main.counters SET value = max(value, ?) WHERE name = 'acked'`, lower); err != nil {
		s.log.Warn("store: salvage: watermark", "err", err)
	}
	switch {
	case lowerKnown && upperKnown:
		lostRows = upper - lower - salvaged
	default:
		lostRows = -1
	}
	if bad > 0 {
		s.log.Warn("store: salvage: unreadable check-in rows", "seqs", bad)
	}
	return ledger, salvaged, lostRows
}

// Recoveries returns the recoveries this file remembers, oldest first.
func (s *Store) Recoveries(ctx context.Context) ([]Recovery, error) {
	r, err := s.reader()
	if err != nil {
		return nil, fmt.Errorf("store: recoveries: %w", err)
	}
	rows, err := r.QueryContext(ctx, `SELECT at_ns, ledger, salvaged, lost, moved_to FROM recoveries ORDER BY id`)
	if err != nil {
		return nil, classify("recoveries", err)
	}
	defer rows.Close()
	var out []Recovery
	for rows.Next() {
		var rec Recovery
		var at int64
		if err := rows.Scan(&at, &rec.Ledger, &rec.Salvaged, &rec.Lost, &rec.MovedTo); err != nil {
			return nil, classify("recoveries", err)
		}
		rec.At = time.Unix(0, at)
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, classify("recoveries", err)
	}
	return out, nil
}
