package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"testing"

	"github.com/scangate/scangate/downlink"
)

// fixtures hold representative rows for a database left at each schema
// version. Adding a migration means adding the fixture for the version
// before it: TestMigrateFromEveryVersion fails until then.
var fixtures = map[int]string{
	0: ``,
	1: `
		UPDATE counters SET value = 7 WHERE name = 'seq';
		UPDATE counters SET value = 5 WHERE name = 'acked';
		INSERT INTO checkins (seq, at_ns, boot_id, mono_ns, clock_synced, corrected_ns, source, decision, reason,
			card_id, holder, category, grp, name)
		VALUES (6, 1772355600000000000, 'boot-a', 5000000000, 0, NULL, 'camera0', 'pass', 'pass', 'card-6', 'h6', 'elder', 0, '王*英'),
		       (7, 1772355660000000000, 'boot-a', 65000000000, 0, NULL, 'serial0', 'fail', 'revoked', 'card-7', 'h7', 'child', 2, '李*');
		INSERT INTO outbox (seq) VALUES (6), (7);
		INSERT INTO blobs (kind, version, data, etag, fetched_ns, stored_ns) VALUES ('trust', 3, X'A1B2', '"t3"', 1, 2);
		INSERT INTO settings (key, value) VALUES ('device_id', 'dev-42'), ('venue', 'v-1');
		INSERT INTO secrets (name, value) VALUES ('pseudonym', X'000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
	`,
}

func init() {
	// Version 2 added only the events table and an index: the same rows.
	fixtures[2] = fixtures[1] + `
		INSERT INTO events (at_ns, kind, detail) VALUES (1, 'corrupt-recovered', 'moved to x');`
	// Version 3 added ledgers: a file that had uploaded before keeps the
	// empty one, and recoveries.
	fixtures[3] = fixtures[2] + `
		UPDATE settings SET value = '' WHERE key = 'ledger';
		INSERT INTO recoveries (at_ns, ledger, salvaged, lost, moved_to) VALUES (1, 'old', 2, 0, 'x');`
	// Version 4 added purged ranges.
	fixtures[4] = fixtures[3] + `
		INSERT INTO purged (ledger, lo, hi) VALUES ('', 1, 5);`
	// Version 5 added the desk's audit and undo columns; version 6 only an
	// index for exits.
	fixtures[5] = fixtures[4] + `
		INSERT INTO desk_audit (at_ns, staff, action, detail, seq) VALUES (1, 's1', 'manual', 'x', 6);`
}

func TestMigrateFromEveryVersion(t *testing.T) {
	latest := SchemaVersion()
	if latest < 2 {
		t.Fatalf("schema version %d", latest)
	}
	for k := 0; k < latest; k++ {
		fixture, ok := fixtures[k]
		if !ok {
			t.Fatalf("no fixture for schema version %d", k)
		}
		path := filepath.Join(t.TempDir(), "scangate.db")
		db, err := sql.Open("sqlite3", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := migrate(ctx, db, k); err != nil {
			t.Fatalf("build version %d: %v", k, err)
		}
		if _, err := db.Exec(fixture); err != nil {
			t.Fatalf("fixture %d: %v", k, err)
		}
		db.Close()

		s := openAt(t, path, Options{})
		var v int
		s.r.QueryRow("PRAGMA user_version").Scan(&v)
		if v != latest {
			t.Errorf("from %d: version %d after Open, want %d", k, v, latest)
		}
		if k == 0 {
			if seq := record(t, s, sample(1)); seq != 1 {
				t.Errorf("from 0: first seq %d", seq)
			}
			continue
		}
		recs, err := s.Outbox(ctx, 10, 1<<20)
		if err != nil || len(recs) != 2 || recs[0].Seq != 6 || recs[1].Name != "李*" || recs[1].Group != 2 {
			t.Errorf("from %d: outbox %+v %v", k, recs, err)
		}
		if st, _ := s.OutboxStats(ctx); st.LastSeq != 7 || st.Acked != 5 {
			t.Errorf("from %d: stats %+v", k, st)
		}
		if b, err := s.Blob(ctx, downlink.KindTrustList); err != nil || b.Version != 3 || hex.EncodeToString(b.Data) != "a1b2" {
			t.Errorf("from %d: blob %+v %v", k, b, err)
		}
		if d, _ := s.Setting(ctx, SettingDeviceID); d != "dev-42" {
			t.Errorf("from %d: device id %q", k, d)
		}
		key, _ := hex.DecodeString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
		m := hmac.New(sha256.New, key)
		m.Write([]byte("x"))
		if s.Pseudonym("x") != hex.EncodeToString(m.Sum(nil)) {
			t.Errorf("from %d: pseudonym key replaced", k)
		}
		if n, err := s.CorrectClock(ctx, "boot-a", ClockAnchor{}); err != nil || n != 2 {
			t.Errorf("from %d: correcting old rows: %d %v", k, n, err)
		}
		if seq := record(t, s, sample(8)); seq != 8 {
			t.Errorf("from %d: next seq %d, want 8", k, seq)
		}
		// A file that already uploaded under no ledger keeps it, so the
		// collector's identity of its rows does not change.
		if s.Ledger() != "" {
			t.Errorf("from %d: ledger %q, want the empty ledger of a used file", k, s.Ledger())
		}
		if recs, _ := s.Outbox(ctx, 10, 1<<20); len(recs) != 3 || recs[0].Ledger != "" || recs[2].Ledger != "" {
			t.Errorf("from %d: ledgers of old and new rows %+v", k, recs)
		}
	}
}

// A new file starts a ledger of its own; two files never share one.
func TestNewFileNewLedger(t *testing.T) {
	a := openAt(t, filepath.Join(t.TempDir(), "scangate.db"), Options{})
	b := openAt(t, filepath.Join(t.TempDir(), "scangate.db"), Options{})
	if len(a.Ledger()) != 16 || a.Ledger() == b.Ledger() {
		t.Fatalf("ledgers %q and %q", a.Ledger(), b.Ledger())
	}
	record(t, a, sample(1))
	if recs, _ := a.Outbox(ctx, 10, 1<<20); len(recs) != 1 || recs[0].Ledger != a.Ledger() {
		t.Fatalf("record ledger %+v", recs)
	}
}

func TestMigrationNames(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.version != i+1 || m.sql == "" {
			t.Errorf("migration %d: %+v", i, m.name)
		}
	}
}
