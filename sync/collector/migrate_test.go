package collector_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/pgtest"

	"github.com/jackc/pgx/v5"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
	"github.com/scangate/scangate/sync/wire"
)

var oldBase = time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)

// oldRecords are what a device sent before ledgers: varied enough that a
// digest computed in SQL must match the one computed in Go field by field.
func oldRecords() []wire.Record {
	corr := oldBase.Add(90 * time.Second)
	return []wire.Record{
		{Seq: 1, At: oldBase.Add(123456789 * time.Nanosecond), BootID: "b-1", MonoNS: 12e9, ClockSynced: true, Source: "camera",
			Decision: wire.DecisionPass, Reason: "pass", CardID: "00112233445566778899aabbccddeeff", Holder: "h-1", Category: "elder", Name: "王*英"},
		{Seq: 2, At: time.Unix(70, 5000).UTC(), CorrectedAt: &corr, BootID: "b-0", MonoNS: 70e9, Source: "serial",
			Decision: wire.DecisionAlreadyIn, Reason: "already", CardID: "ffeeddccbbaa99887766554433221100", Holder: "h|2:x", Category: "companion", Group: 7, Name: "李*"},
		{Seq: 3, At: oldBase.Add(3 * time.Minute), BootID: "b-1", MonoNS: 200e9, ClockSynced: true, Source: "hid",
			Decision: wire.DecisionFail, Reason: "revoked"},
	}
}

// oldIssuerKey is the clear private key an old collector kept.
var oldIssuerKey = ed25519.NewKeyFromSeed(make([]byte, 32))

// TestSQLiteMigratesOldDatabase builds a database with the schema of the
// collector before migrations (testdata/schema-v1-sqlite.sql, as that
// collector wrote it), opens it with this one, and checks that every row,
// the ack and the queries survive, that replays are told from conflicts,
// and that a clear issuer key is sealed.
func TestSQLiteMigratesOldDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "collector.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("testdata/schema-v1-sqlite.sql")
	if err != nil {
		t.Fatal(err)
	}
	ns := func(t time.Time) int64 { return t.UnixNano() }
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(string(schema))
	exec(`INSERT INTO meta (k, v) VALUES ('revision', 1000)`)
	exec(`INSERT INTO venues (id, name, policy) VALUES ('v1', 'Hall', '{"mode":"verify","duplicate_window":"10m0s","max_trust_age":"168h0m0s","categories":["elder"],"companion_window":"2m0s","fail_open":false}')`)
	pub := oldIssuerKey.Public().(ed25519.PublicKey)
	exec(`INSERT INTO devices (id, venue, public_key, hardware, enrolled_at, ack_seq) VALUES ('d1', 'v1', ?, 'rpi4', ?, 3)`, []byte(pub), ns(oldBase))
	exec(`INSERT INTO issuers (id, name, public_key, private_key, venues) VALUES ('city', 'City', ?, ?, 'null')`, []byte(pub), []byte(oldIssuerKey))
	for _, r := range oldRecords() {
		t0, corr := r.At, any(nil)
		if r.CorrectedAt != nil {
			t0, corr = *r.CorrectedAt, ns(*r.CorrectedAt)
		}
		exec(`INSERT INTO checkins (device, seq, venue, t, at, corrected_at, received, boot_id, mono_ns, clock_synced, source, decision, reason,
			card_id, holder, category, grp, name, card_key) VALUES ('d1', ?, 'v1', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Seq, ns(t0), ns(r.At), corr, ns(oldBase), r.BootID, r.MonoNS, r.ClockSynced, r.Source, r.Decision, r.Reason,
			r.CardID, r.Holder, r.Category, r.Group, r.Name, collector.CardKey(r.CardID))
	}
	db.Close()

	be, err := collector.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	checkMigrated(t, be)
	be.Close()
	// Opening again runs nothing and keeps everything.
	be, err = collector.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	if d, err := be.Device(t.Context(), "d1"); err != nil || d.AckSeq != 5 {
		t.Fatalf("after reopen: %+v, %v", d, err)
	}
	db, _ = sql.Open("sqlite3", "file:"+path)
	defer db.Close()
	var v int
	want, _ := collector.SchemaVersions()
	if err := db.QueryRow(`SELECT v FROM meta WHERE k = 'schema'`).Scan(&v); err != nil || v != want {
		t.Fatalf("schema version %d, %v; want %d", v, err, want)
	}
}

// TestSQLiteRefusesNewerSchema: a database migrated by a newer collector
// is not touched by an older one.
func TestSQLiteRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "collector.db")
	be, err := collector.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	be.Close()
	db, _ := sql.Open("sqlite3", "file:"+path)
	if _, err := db.Exec(`UPDATE meta SET v = 99 WHERE k = 'schema'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := collector.OpenSQLite(path); !errors.Is(err, collector.ErrSchemaNewer) {
		t.Fatalf("open a newer schema: %v, want ErrSchemaNewer", err)
	}
}

// TestPostgresMigratesOldDatabase is TestSQLiteMigratesOldDatabase on
// PostgreSQL: it also checks that the digests the migration computes in
// SQL for the old rows equal the collector's own (a replay of an old row
// is not a conflict).
func TestPostgresMigratesOldDatabase(t *testing.T) {
	dsn := pgtest.SchemaDSN(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("testdata/schema-v1-postgres.sql")
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(string(schema))
	// The old collector made monthly partitions: October 2026 holds the
	// rows (the one timed in 1970 by its corrected time).
	exec(`CREATE TABLE checkins_p202610 PARTITION OF checkins FOR VALUES FROM ('2026-10-01T00:00:00Z') TO ('2026-11-01T00:00:00Z')`)
	exec(`INSERT INTO meta (k, v) VALUES ('revision', 1000)`)
	exec(`INSERT INTO venues (id, name, policy) VALUES ('v1', 'Hall', $1)`, wire.DefaultPolicy())
	pub := oldIssuerKey.Public().(ed25519.PublicKey)
	exec(`INSERT INTO devices (id, venue, public_key, hardware, enrolled_at, ack_seq) VALUES ('d1', 'v1', $1, 'rpi4', $2, 3)`, []byte(pub), oldBase)
	exec(`INSERT INTO issuers (id, name, public_key, private_key, venues) VALUES ('city', 'City', $1, $2, '{}')`, []byte(pub), []byte(oldIssuerKey))
	for _, r := range oldRecords() {
		t0 := r.At
		if r.CorrectedAt != nil {
			t0 = *r.CorrectedAt
		}
		exec(`INSERT INTO checkin_seqs (device, seq) VALUES ('d1', $1)`, int64(r.Seq))
		exec(`INSERT INTO checkins (device, seq, venue, t, at, corrected_at, received, boot_id, mono_ns, clock_synced, source, decision, reason,
			card_id, holder, category, grp, name) VALUES ('d1', $1, 'v1', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			int64(r.Seq), t0, r.At, r.CorrectedAt, oldBase, r.BootID, r.MonoNS, r.ClockSynced, r.Source, r.Decision, r.Reason,
			r.CardID, r.Holder, r.Category, r.Group, r.Name)
	}
	conn.Close(ctx)

	be, err := collector.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	// The digests the migration computed are the collector's.
	conn, err = pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, r := range oldRecords() {
		var dg []byte
		if err := conn.QueryRow(ctx, `SELECT digest FROM checkin_seqs WHERE device = 'd1' AND ledger = '' AND seq = $1`, int64(r.Seq)).Scan(&dg); err != nil {
			t.Fatal(err)
		}
		if string(dg) != string(collector.ContentDigest(&r)) {
			t.Fatalf("seq %d: digest from SQL %x, from Go %x", r.Seq, dg, collector.ContentDigest(&r))
		}
	}
	var inPart int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM checkins_p202610 WHERE ledger = ''`).Scan(&inPart); err != nil || inPart != 3 {
		t.Fatalf("old partition after migration: %d rows, %v; want 3", inPart, err)
	}
	checkMigrated(t, be)
	// Another collector opening the migrated schema runs nothing.
	be2, err := collector.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	be2.Close()
	var v int
	_, want := collector.SchemaVersions()
	if err := conn.QueryRow(ctx, `SELECT v FROM meta WHERE k = 'schema'`).Scan(&v); err != nil || v != want {
		t.Fatalf("schema version %d, %v; want %d", v, err, want)
	}
	if _, err := conn.Exec(ctx, `UPDATE meta SET v = 99 WHERE k = 'schema'`); err != nil {
		t.Fatal(err)
	}
	if _, err := collector.OpenPostgres(ctx, dsn); !errors.Is(err, collector.ErrSchemaNewer) {
		t.Fatalf("open a newer schema: %v, want ErrSchemaNewer", err)
	}
}

// checkMigrated checks a backend opened over the old database of
// oldRecords (device d1, ack 3, issuer city with a clear key).
func checkMigrated(t *testing.T, be collector.Backend) {
	t.Helper()
	ctx := context.Background()
	d, err := be.Device(ctx, "d1")
	if err != nil || d.AckSeq != 3 || d.Venue != "v1" || d.Hardware != "rpi4" {
		t.Fatalf("device after migration: %+v, %v", d, err)
	}
	ls, err := be.Ledgers(ctx, "d1")
	if err != nil || len(ls) != 1 || ls[0].Ledger != "" || ls[0].AckSeq != 3 {
		t.Fatalf("ledgers after migration: %+v, %v", ls, err)
	}
	from, to := time.Unix(0, 0), oldBase.Add(time.Hour)
	vs, err := be.VisitsAtVenue(ctx, "v1", from, to)
	if err != nil || len(vs) != 3 {
		t.Fatalf("visits after migration: %d, %v", len(vs), err)
	}
	for _, v := range vs {
		if v.Ledger != "" || v.Device != "d1" {
			t.Fatalf("visit %+v", v)
		}
	}
	old := oldRecords()
	if wh, err := be.VisitsOfCard(ctx, old[0].CardID, from, to); err != nil || len(wh) != 1 || wh[0].Seq != 1 || wh[0].Name != "王*英" {
		t.Fatalf("card visits after migration: %+v, %v", wh, err)
	}
	checkin := func(recs ...wire.Record) []collector.Checkin {
		var out []collector.Checkin
		for _, r := range recs {
			out = append(out, collector.Checkin{Device: "d1", Venue: "v1", Received: oldBase.Add(time.Hour), Record: r})
		}
		return out
	}
	// The old records replayed: not conflicts. Seq 4 continues the ack.
	next := old[2]
	next.Seq = 4
	res, err := be.InsertBatch(ctx, d, collector.Batch{Records: checkin(old[0], old[1], old[2], next), Now: oldBase})
	if err != nil || res.AckSeq != 4 || len(res.Conflicts) != 0 {
		t.Fatalf("old records replayed after migration: %+v, %v; want ack 4, no conflict", res, err)
	}
	// Other content under an old seq: a conflict.
	clash := old[1]
	clash.Reason = "other"
	next.Seq = 5
	res, err = be.InsertBatch(ctx, d, collector.Batch{Records: checkin(clash, next), Now: oldBase})
	if err != nil || res.AckSeq != 5 || !slices.Equal(res.Conflicts, []uint64{2}) {
		t.Fatalf("conflict with an old row: %+v, %v", res, err)
	}
	// A new ledger numbers from 1.
	res, err = be.InsertBatch(ctx, d, collector.Batch{Ledger: "L2", Records: checkin(old[0]), Now: oldBase})
	if err != nil || res.AckSeq != 1 || len(res.Conflicts) != 0 {
		t.Fatalf("new ledger after migration: %+v, %v", res, err)
	}
	if err := be.UseNonce(ctx, "d1/x", oldBase.Add(time.Minute), oldBase); err != nil {
		t.Fatalf("nonces after migration: %v", err)
	}
	// The clear issuer key: refused without a KEK, sealed with one.
	if _, err := collector.SealIssuerKeys(ctx, be, nil); !errors.Is(err, collector.ErrNoKEK) {
		t.Fatalf("clear key, no KEK: %v, want ErrNoKEK", err)
	}
	kek := collectortest.NewKEK(t)
	if n, err := collector.SealIssuerKeys(ctx, be, kek); err != nil || n != 1 {
		t.Fatalf("SealIssuerKeys = %d, %v; want 1 sealed", n, err)
	}
	is, _ := be.Issuers(ctx)
	if len(is) != 1 || !collector.IsSealed(is[0].SealedKey) || string(is[0].SealedKey) == string(oldIssuerKey) {
		t.Fatalf("issuer key not sealed: %+v", is)
	}
	if k, err := kek.Open("city", is[0].SealedKey); err != nil || !k.Equal(oldIssuerKey) {
		t.Fatalf("sealed key opens to %x, %v", k, err)
	}
	if n, err := collector.SealIssuerKeys(ctx, be, kek); err != nil || n != 0 {
		t.Fatalf("second SealIssuerKeys = %d, %v; want 0", n, err)
	}
	if _, err := collector.SealIssuerKeys(ctx, be, collectortest.NewKEK(t)); err == nil {
		t.Fatal("a sealed key opened with another KEK")
	}

	// Retention and erasure work on rows from before them: a venue keeps
	// everything until told, an erased old row replayed is no conflict,
	// and a purged one replayed is not stored again.
	if v, err := be.Venue(ctx, "v1"); err != nil || v.RetentionDays != 0 || v.TimeZone != "" {
		t.Fatalf("venue settings after migration: %+v, %v", v, err)
	}
	if ls, _ := be.Ledgers(ctx, "d1"); ls[0].Purged != 0 {
		t.Fatalf("purged after migration: %+v", ls)
	}
	rep, err := be.Erase(ctx, collector.Erasure{Kind: collector.EraseCard, Subject: old[0].CardID, Actor: "test", At: oldBase.Add(2 * time.Hour)})
	if err != nil || rep.Deleted[collector.TableCheckins] != 2 {
		t.Fatalf("erase an old card = %+v, %v; want its 2 rows (ledgers \"\" and L2)", rep, err)
	}
	res, err = be.InsertBatch(ctx, d, collector.Batch{Records: checkin(old[0]), Now: oldBase})
	if err != nil || len(res.Conflicts) != 0 {
		t.Fatalf("an erased old row replayed: %+v, %v", res, err)
	}
	if err := be.SetVenueSettings(ctx, "v1", collector.VenueSettings{RetentionDays: 1}); err != nil {
		t.Fatal(err)
	}
	ps, err := be.PurgeExpired(ctx, oldBase.Add(3*24*time.Hour))
	if err != nil || len(ps) != 1 || ps[0].Deleted[collector.TableCheckins] != 6 {
		t.Fatalf("purge old rows = %+v, %v; want all 6 check-ins", ps, err)
	}
	res, err = be.InsertBatch(ctx, d, collector.Batch{Records: checkin(old[0], old[1], old[2]), Now: oldBase})
	if err != nil || len(res.Conflicts) != 0 || res.AckSeq != 5 {
		t.Fatalf("purged old rows replayed: %+v, %v", res, err)
	}
	if vs, _ := be.VisitsAtVenue(ctx, "v1", from, to); len(vs) != 0 {
		t.Fatalf("a replay brought purged rows back: %+v", vs)
	}
}
