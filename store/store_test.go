package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/scangate/scangate/downlink"
)

var ctx = context.Background()

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openAt opens (or reopens) the store at path and closes it with the test.
func openAt(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	s, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openTemp(t testing.TB, opts Options) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scangate.db")
	return openAt(t, path, opts), path
}

func sample(i int) Checkin {
	return Checkin{
		At:          t0.Add(time.Duration(i) * time.Second),
		BootID:      "6f1c2d3e-0000-4000-8000-000000000001",
		Mono:        time.Duration(i+10) * time.Second,
		ClockSynced: i%2 == 0,
		Source:      "camera0",
		Decision:    DecisionPass,
		Reason:      "pass",
		CardID:      fmt.Sprintf("card-%03d", i),
		Holder:      "h-" + fmt.Sprint(i),
		Category:    "elder",
		Group:       int64(i % 3),
		Name:        "王*英",
	}
}

func record(t testing.TB, s *Store, c Checkin) int64 {
	t.Helper()
	seq, err := s.RecordCheckin(ctx, c)
	if err != nil {
		t.Fatalf("RecordCheckin: %v", err)
	}
	return seq
}

func TestRecordOutboxAck(t *testing.T) {
	s, _ := openTemp(t, Options{Now: func() time.Time { return t0.Add(time.Hour) }})
	for i := 1; i <= 5; i++ {
		if seq := record(t, s, sample(i)); seq != int64(i) {
			t.Fatalf("seq %d, want %d", seq, i)
		}
	}
	select {
	case <-s.Committed():
	default:
		t.Error("Committed() not signalled after a check-in")
	}
	recs, err := s.Outbox(ctx, 100, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 {
		t.Fatalf("outbox has %d records, want 5", len(recs))
	}
	for i, r := range recs {
		want := sample(i + 1)
		if r.Seq != int64(i+1) || !r.At.Equal(want.At) || r.Checkin.At.Location() == nil {
			t.Errorf("record %d: seq %d at %v", i, r.Seq, r.At)
		}
		r.Checkin.At = want.At
		if r.Checkin != want {
			t.Errorf("record %d round trip:\n got %+v\nwant %+v", i, r.Checkin, want)
		}
		if r.Size <= 0 || !r.CorrectedAt.IsZero() {
			t.Errorf("record %d: size %d corrected %v", i, r.Size, r.CorrectedAt)
		}
	}

	n, err := s.Ack(ctx, 3)
	if err != nil || n != 3 {
		t.Fatalf("Ack(3) = %d, %v; want 3", n, err)
	}
	if _, err := s.Ack(ctx, 6); !errors.Is(err, ErrAckAhead) {
		t.Fatalf("Ack beyond last seq: %v, want ErrAckAhead", err)
	}
	if s.Health().Fault() {
		t.Errorf("a refused ack is not a storage fault: %+v", s.Health())
	}
	recs, _ = s.Outbox(ctx, 100, 1<<20)
	if len(recs) != 2 || recs[0].Seq != 4 || recs[1].Seq != 5 {
		t.Fatalf("after ack, outbox = %v", seqs(recs))
	}
	st, err := s.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Depth != 2 || !st.Oldest.Equal(sample(4).At) || st.LastSeq != 5 || st.Acked != 3 {
		t.Errorf("stats %+v", st)
	}
	if n, _ := s.Ack(ctx, 3); n != 0 {
		t.Errorf("a replayed ack removed %d rows", n)
	}
}

func seqs(recs []OutboxRecord) []int64 {
	var out []int64
	for _, r := range recs {
		out = append(out, r.Seq)
	}
	return out
}

func TestOutboxLimits(t *testing.T) {
	s, _ := openTemp(t, Options{})
	for i := 1; i <= 10; i++ {
		record(t, s, sample(i))
	}
	recs, _ := s.Outbox(ctx, 4, 1<<20)
	if got := seqs(recs); len(got) != 4 || got[3] != 4 {
		t.Errorf("maxRecords 4: %v", got)
	}
	one := recs[0].Size
	recs, _ = s.Outbox(ctx, 10, 3*one+one/2)
	if len(recs) != 3 {
		t.Errorf("maxBytes for 3.5 records gave %d", len(recs))
	}
	recs, _ = s.Outbox(ctx, 10, 1)
	if len(recs) != 1 || recs[0].Seq != 1 {
		t.Errorf("a byte limit below one record must still return the first: %v", seqs(recs))
	}
	if recs, _ := s.Outbox(ctx, 0, 1<<20); len(recs) != 0 {
		t.Errorf("maxRecords 0 gave %d", len(recs))
	}
}

func TestSeqNeverReused(t *testing.T) {
	now := t0.Add(100 * 24 * time.Hour)
	s, path := openTemp(t, Options{Now: func() time.Time { return now }})
	for i := 1; i <= 3; i++ {
		record(t, s, sample(i))
	}
	if _, err := s.Ack(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Purge(ctx, now); err != nil || n != 3 {
		t.Fatalf("Purge = %d, %v; want all 3", n, err)
	}
	s.Close()
	s = openAt(t, path, Options{})
	if seq := record(t, s, sample(4)); seq != 4 {
		t.Fatalf("after ack, purge and reopen, seq %d; want 4", seq)
	}
}

func TestLastPass(t *testing.T) {
	s, _ := openTemp(t, Options{})
	c := sample(1)
	record(t, s, c)
	refused := sample(2)
	refused.CardID, refused.Decision, refused.Reason = "card-x", "fail", "revoked"
	record(t, s, refused)

	at, ok, err := s.LastPass(ctx, c.CardID, c.At.Add(-10*time.Minute))
	if err != nil || !ok || !at.Equal(c.At) {
		t.Errorf("LastPass within window = %v %v %v", at, ok, err)
	}
	if _, ok, _ := s.LastPass(ctx, c.CardID, c.At.Add(time.Second)); ok {
		t.Error("LastPass found a pass before the window")
	}
	if _, ok, _ := s.LastPass(ctx, "card-x", t0.Add(-time.Hour)); ok {
		t.Error("a refused card counted as a pass")
	}
	if _, ok, _ := s.LastPass(ctx, "", t0.Add(-time.Hour)); ok {
		t.Error("the empty card id matched")
	}
}

func TestPurgeKeepUntilUploaded(t *testing.T) {
	now := t0.Add(30 * 24 * time.Hour)
	s, _ := openTemp(t, Options{RetentionDays: 7, KeepUntilUploaded: true, Now: func() time.Time { return now }})
	old1 := record(t, s, sample(1)) // uploaded, old: goes
	old2 := record(t, s, sample(2)) // never uploaded, old: stays
	fresh := sample(3)
	fresh.At = now.Add(-24 * time.Hour)
	newSeq := record(t, s, fresh) // uploaded, young: stays
	if _, err := s.Ack(ctx, old1); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Purge(ctx, now); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
	recs, _ := s.Outbox(ctx, 10, 1<<20)
	if got := seqs(recs); len(got) != 2 || got[0] != old2 || got[1] != newSeq {
		t.Fatalf("outbox after purge: %v", got)
	}
	if _, err := s.Ack(ctx, newSeq); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Purge(ctx, now); n != 1 {
		t.Errorf("second purge removed %d, want 1 (old2 now uploaded, fresh too young)", n)
	}
	var left int
	s.r.QueryRow(`SELECT count(*) FROM checkins`).Scan(&left)
	if left != 1 {
		t.Errorf("%d check-ins left, want the young one", left)
	}
}

func TestCorrectClock(t *testing.T) {
	s, _ := openTemp(t, Options{})
	a := sample(1) // clock not synced (odd)
	a.At = time.Unix(1000, 0)
	a.Mono = 50 * time.Second
	record(t, s, a)
	b := sample(2) // synced: left alone
	record(t, s, b)
	other := sample(3)
	other.BootID = "another-boot"
	record(t, s, other)

	anchor := ClockAnchor{Mono: 80 * time.Second, Wall: t0}
	n, err := s.CorrectClock(ctx, a.BootID, anchor)
	if err != nil || n != 1 {
		t.Fatalf("CorrectClock = %d, %v; want 1", n, err)
	}
	recs, _ := s.Outbox(ctx, 10, 1<<20)
	want := t0.Add(-30 * time.Second)
	if !recs[0].CorrectedAt.Equal(want) || !recs[0].At.Equal(a.At) {
		t.Errorf("corrected %v (want %v), original %v kept?", recs[0].CorrectedAt, want, recs[0].At)
	}
	if !recs[1].CorrectedAt.IsZero() || !recs[2].CorrectedAt.IsZero() {
		t.Error("a synced record or another boot's record was corrected")
	}
	if n, _ := s.CorrectClock(ctx, a.BootID, ClockAnchor{Wall: t0}); n != 0 {
		t.Errorf("a second correction rewrote %d rows", n)
	}
	if got := anchor.WallAt(80 * time.Second); !got.Equal(t0) {
		t.Errorf("WallAt = %v", got)
	}
}

func TestBlobs(t *testing.T) {
	s, _ := openTemp(t, Options{Now: func() time.Time { return t0 }})
	if _, err := s.Blob(ctx, downlink.KindTrustList); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent blob: %v", err)
	}
	if err := s.TouchBlob(ctx, downlink.KindTrustList, t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("touch absent blob: %v", err)
	}
	if err := s.PutBlob(ctx, downlink.KindTrustList, 2, []byte("signed-v2"), `"e2"`, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBlob(ctx, downlink.KindTrustList, 1, []byte("signed-v1"), `"e1"`, t0.Add(time.Hour)); !errors.Is(err, ErrOlderVersion) {
		t.Fatalf("older version: %v", err)
	}
	if err := s.PutBlob(ctx, downlink.KindTrustList, 2, []byte("ignored"), `"e2b"`, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchBlob(ctx, downlink.KindTrustList, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	b, err := s.Blob(ctx, downlink.KindTrustList)
	if err != nil {
		t.Fatal(err)
	}
	if b.Version != 2 || string(b.Data) != "signed-v2" || b.ETag != `"e2b"` ||
		!b.FetchedAt.Equal(t0.Add(2*time.Hour)) || !b.StoredAt.Equal(t0) {
		t.Errorf("blob %+v", b)
	}
	if err := s.PutBlob(ctx, downlink.KindTrustList, 3, nil, "", t0); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.Blob(ctx, downlink.KindTrustList); b.Version != 3 || len(b.Data) != 0 {
		t.Errorf("v3: %+v", b)
	}
}

func TestSettings(t *testing.T) {
	s, path := openTemp(t, Options{})
	if _, err := s.Setting(ctx, SettingDeviceID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent: %v", err)
	}
	if err := s.SetSettings(ctx, map[string]string{SettingDeviceID: "dev-1", SettingVenue: "v-9"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(ctx, SettingVenue, "v-10"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openAt(t, path, Options{})
	for k, want := range map[string]string{SettingDeviceID: "dev-1", SettingVenue: "v-10"} {
		if got, err := s.Setting(ctx, k); got != want || err != nil {
			t.Errorf("%s = %q, %v; want %q", k, got, err, want)
		}
	}
}

func TestPseudonym(t *testing.T) {
	s, path := openTemp(t, Options{})
	p := s.Pseudonym("SG1:raw text")
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(p) {
		t.Fatalf("pseudonym %q", p)
	}
	var key []byte
	s.r.QueryRow(`SELECT value FROM secrets WHERE name = ?`, pseudonymKeyName).Scan(&key)
	m := hmac.New(sha256.New, key)
	m.Write([]byte("SG1:raw text"))
	if want := hex.EncodeToString(m.Sum(nil)); p != want {
		t.Errorf("pseudonym is not HMAC-SHA256 under the stored key")
	}
	if s.Pseudonym("SG1:other") == p {
		t.Error("different texts, same pseudonym")
	}
	s.Close()
	if again := openAt(t, path, Options{}).Pseudonym("SG1:raw text"); again != p {
		t.Error("pseudonym changed across reopen")
	}
	other, _ := openTemp(t, Options{})
	if other.Pseudonym("SG1:raw text") == p {
		t.Error("two devices give the same pseudonym: the key is not per device")
	}
}

func TestCheckpointEmptiesWAL(t *testing.T) {
	s, path := openTemp(t, Options{CheckpointAfter: -1})
	for i := 1; i <= 20; i++ {
		record(t, s, sample(i))
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("WAL before checkpoint: %v", err)
	}
	if err := s.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path + "-wal"); fi.Size() != 0 {
		t.Errorf("WAL %d bytes after Checkpoint, want truncated", fi.Size())
	}
	record(t, s, sample(21))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("WAL %d bytes after Close", fi.Size())
	}
	if _, err := s.RecordCheckin(ctx, sample(22)); !errors.Is(err, ErrClosed) {
		t.Errorf("write after Close: %v", err)
	}
}

func TestBootClock(t *testing.T) {
	id, err := CurrentBootID()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(id) {
		t.Errorf("boot id %q", id)
	}
	a, err := SinceBoot()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	b, _ := SinceBoot()
	if a <= 0 || b-a < 2*time.Millisecond {
		t.Errorf("SinceBoot %v then %v", a, b)
	}
}

func TestCheckpointSafetyNet(t *testing.T) {
	s, path := openTemp(t, Options{CheckpointAfter: 5})
	for i := 1; i <= 5; i++ {
		record(t, s, sample(i))
	}
	// The background checkpoint runs on its own goroutine; wait for it.
	for deadline := time.Now().Add(10 * time.Second); ; {
		fi, err := os.Stat(path + "-wal")
		if err == nil && fi.Size() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("WAL not checkpointed after CheckpointAfter commits: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	u, err := s.Usage()
	if err != nil {
		t.Fatal(err)
	}
	if u.DBBytes < 4096 || u.WALBytes != 0 || u.FreeBytes == 0 {
		t.Errorf("usage %+v", u)
	}
}

func TestCancelledWriteLeavesNothing(t *testing.T) {
	s, _ := openTemp(t, Options{})
	record(t, s, sample(1))
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.RecordCheckin(cctx, sample(2)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: %v", err)
	}
	if s.Health().Fault() {
		t.Errorf("a cancelled write is not a storage fault: %+v", s.Health())
	}
	assertConsistent(t, s.r)
	if seq := record(t, s, sample(3)); seq != 2 {
		t.Errorf("seq %d after a cancelled write, want 2", seq)
	}
}

func TestConnectionSettings(t *testing.T) {
	s, _ := openTemp(t, Options{})
	for _, c := range []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.w, "journal_mode", "wal"},
		{s.w, "synchronous", "2"}, // FULL
		{s.w, "wal_autocheckpoint", "0"},
		{s.w, "foreign_keys", "1"},
		{s.w, "busy_timeout", "5000"},
		{s.r, "query_only", "1"},
		{s.r, "foreign_keys", "1"},
	} {
		var got string
		if err := c.db.QueryRow("PRAGMA " + c.pragma).Scan(&got); err != nil || got != c.want {
			t.Errorf("PRAGMA %s = %q, %v; want %q", c.pragma, got, err, c.want)
		}
	}
}
