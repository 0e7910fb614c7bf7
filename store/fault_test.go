package store

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/downlink"

	"golang.org/x/sys/unix"
)

// assertConsistent checks the invariants a crash or fault must never break:
// the counter is the highest seq ever made, check-ins are gap-free from the
// first kept one, and every outbox row has its check-in.
func assertConsistent(t *testing.T, db *sql.DB) (last int64) {
	t.Helper()
	var counter, n, lo, hi, orphans int64
	if err := db.QueryRow(`SELECT value FROM counters WHERE name = 'seq'`).Scan(&counter); err != nil {
		t.Fatal(err)
	}
	db.QueryRow(`SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM checkins`).Scan(&n, &lo, &hi)
	db.QueryRow(`SELECT count(*) FROM outbox WHERE seq NOT IN (SELECT seq FROM checkins)`).Scan(&orphans)
	if hi != counter {
		t.Errorf("counter %d, highest check-in %d", counter, hi)
	}
	if n > 0 && hi-lo+1 != n {
		t.Errorf("check-ins %d..%d hold %d rows: a gap", lo, hi, n)
	}
	if orphans != 0 {
		t.Errorf("%d outbox rows without a check-in", orphans)
	}
	return counter
}

func TestDiskFull(t *testing.T) {
	now := t0.Add(365 * 24 * time.Hour)
	s, _ := openTemp(t, Options{Now: func() time.Time { return now }})
	for i := 1; i <= 5; i++ {
		record(t, s, sample(i))
	}
	var pages int
	s.w.QueryRow("PRAGMA page_count").Scan(&pages)
	// The limit binds the writer connection only; the file then fills for
	// real, exactly as a full partition refuses the next page.
	if _, err := s.w.Exec("PRAGMA max_page_count = " + strconv.Itoa(pages+3)); err != nil {
		t.Fatal(err)
	}
	var err error
	ok := int64(5)
	for i := 6; i < 100000; i++ {
		if _, err = s.RecordCheckin(ctx, sample(i)); err != nil {
			break
		}
		ok++
	}
	if !errors.Is(err, ErrFull) {
		t.Fatalf("filling the database: %v, want ErrFull", err)
	}
	if !strings.HasPrefix(err.Error(), "store: record check-in: storage full") {
		t.Errorf("error text %q", err)
	}
	h := s.Health()
	if h.State != StateFull || !h.Fault() || h.Err == "" {
		t.Errorf("health after SQLITE_FULL: %+v", h)
	}
	if last := assertConsistent(t, s.r); last != ok {
		t.Errorf("last seq %d, but %d check-ins succeeded", last, ok)
	}

	// The uplink must still be able to free space when the card is full.
	if _, err := s.Ack(ctx, ok); err != nil {
		t.Fatalf("Ack on a full database: %v", err)
	}
	if n, err := s.Purge(ctx, now); err != nil || n == 0 {
		t.Fatalf("Purge on a full database: %d, %v", n, err)
	}
	seq, err := s.RecordCheckin(ctx, sample(1))
	if err != nil {
		t.Fatalf("write after space was freed: %v", err)
	}
	if seq != ok+1 {
		t.Errorf("seq after a failed write %d, want %d: the failure used a number", seq, ok+1)
	}
	if h := s.Health(); h.Fault() || h.State != StateOK {
		t.Errorf("health after recovery: %+v", h)
	}
}

func TestReadOnlyWhileRunning(t *testing.T) {
	// query_only makes SQLite answer SQLITE_READONLY to every write, as a
	// card the kernel has remounted read-only does.
	s, _ := openTemp(t, Options{})
	record(t, s, sample(1))
	if _, err := s.w.Exec("PRAGMA query_only = 1"); err != nil {
		t.Fatal(err)
	}
	_, err := s.RecordCheckin(ctx, sample(2))
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("write on read-only: %v, want ErrReadOnly", err)
	}
	if h := s.Health(); h.State != StateReadOnly || !h.Fault() {
		t.Errorf("health %+v", h)
	}
	if err := s.SetSetting(ctx, "k", "v"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("setting on read-only: %v", err)
	}
	if _, ok, err := s.LastPass(ctx, sample(1).CardID, t0.Add(-time.Hour)); !ok || err != nil {
		t.Errorf("reads must keep working: %v %v", ok, err)
	}
	assertConsistent(t, s.r)
	s.w.Exec("PRAGMA query_only = 0")
	if seq := record(t, s, sample(3)); seq != 2 {
		t.Errorf("seq %d after read-only spell, want 2", seq)
	}
	if s.Health().Fault() {
		t.Error("health still faulted after a good write")
	}
}

// fsImmutable is FS_IMMUTABLE_FL from linux/fs.h.
const fsImmutable = 0x10

// setImmutable sets or clears FS_IMMUTABLE_FL: even root cannot write to or
// create entries in an immutable file or directory, which is as close to
// read-only media as a test can get without mounting.
func setImmutable(t *testing.T, path string, on bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return err
	}
	if on {
		flags |= fsImmutable
	} else {
		flags &^= fsImmutable
	}
	v := int(flags)
	return unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, v)
}

func TestReadOnlyMediaAtOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "scangate.db")
	s := openAt(t, path, Options{})
	record(t, s, sample(1))
	if err := s.PutBlob(ctx, downlink.KindTrustList, 1, []byte("trust"), "", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, dir} {
		if err := setImmutable(t, p, true); err != nil {
			t.Skipf("cannot make %s immutable here: %v", p, err)
		}
		t.Cleanup(func() { setImmutable(t, p, false) })
	}
	s, err := Open(path, Options{Logger: quietLogger()})
	if err != nil {
		t.Fatalf("Open on read-only media: %v (want a read-only store)", err)
	}
	defer s.Close()
	if h := s.Health(); h.State != StateReadOnly || !h.Fault() {
		t.Errorf("health %+v", h)
	}
	if b, err := s.Blob(ctx, downlink.KindTrustList); err != nil || string(b.Data) != "trust" {
		t.Errorf("trust data unreadable on read-only media: %v", err)
	}
	if _, err := s.RecordCheckin(ctx, sample(2)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("write: %v, want ErrReadOnly", err)
	}
	if st, err := s.OutboxStats(ctx); err != nil || st.Depth != 1 {
		t.Errorf("outbox stats %+v %v", st, err)
	}
}

// corruptPage overwrites one page of a closed database file with garbage.
func corruptPage(t *testing.T, path string, page int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	garbage := bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 1024)
	if _, err := f.WriteAt(garbage, (page-1)*4096); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptAtOpenSalvages(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "scangate.db")
	s := openAt(t, path, Options{})
	for i := 1; i <= 300; i++ {
		record(t, s, sample(i))
	}
	s.Ack(ctx, 200)
	s.SetSetting(ctx, SettingDeviceID, "dev-7")
	s.PutBlob(ctx, downlink.KindRevocations, 4, []byte("revoked"), "", t0)
	pseud := s.Pseudonym("text")
	var root, pageSize int64
	s.r.QueryRow(`SELECT rootpage FROM sqlite_schema WHERE name = 'checkins_pass_by_card'`).Scan(&root)
	s.r.QueryRow(`PRAGMA page_size`).Scan(&pageSize)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if pageSize != 4096 || root < 2 {
		t.Fatalf("page size %d, index root %d", pageSize, root)
	}
	// Garbage in an index the salvage does not need: quick_check fails, the
	// tables still read.
	corruptPage(t, path, root)
	orig, _ := os.ReadFile(path)

	s = openAt(t, path, Options{})
	h := s.Health()
	if h.Recovered == "" || h.Fault() {
		t.Fatalf("health after corrupt open: %+v", h)
	}
	if moved, err := os.ReadFile(h.Recovered); err != nil || !bytes.Equal(moved, orig) {
		t.Errorf("corrupt file not kept byte for byte at %s: %v", h.Recovered, err)
	}
	if !strings.HasSuffix(h.Salvage, "lost: ") {
		t.Errorf("salvage %q", h.Salvage)
	}
	ev, err := s.Events(ctx, 10)
	if err != nil || len(ev) != 1 || ev[0].Kind != "corrupt-recovered" {
		t.Errorf("events %+v %v", ev, err)
	}
	if v, _ := s.Setting(ctx, SettingDeviceID); v != "dev-7" {
		t.Errorf("device id not salvaged: %q", v)
	}
	if b, err := s.Blob(ctx, downlink.KindRevocations); err != nil || b.Version != 4 {
		t.Errorf("revocations not salvaged: %v", err)
	}
	if s.Pseudonym("text") != pseud {
		t.Error("pseudonym key not salvaged")
	}
	recs, _ := s.Outbox(ctx, 1000, 1<<30)
	if len(recs) != 100 || recs[0].Seq != 201 || recs[99].Seq != 300 || recs[0].CardID != sample(201).CardID {
		t.Errorf("un-uploaded check-ins not salvaged: %d records %v", len(recs), seqs(recs[:min(3, len(recs))]))
	}
	if seq := record(t, s, sample(301)); seq != 301 {
		t.Errorf("seq after recovery %d, want 301: a seq would be reused", seq)
	}
}

func TestGarbageFileAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scangate.db")
	garbage := bytes.Repeat([]byte("not a database "), 1000)
	os.WriteFile(path, garbage, 0o600)
	os.WriteFile(path+"-wal", []byte("junk wal"), 0o600)
	s := openAt(t, path, Options{})
	h := s.Health()
	if h.Recovered == "" || !strings.Contains(h.Salvage, "lost: all") {
		t.Fatalf("health %+v", h)
	}
	if b, _ := os.ReadFile(h.Recovered); !bytes.Equal(b, garbage) {
		t.Error("garbage not kept")
	}
	if b, err := os.ReadFile(h.Recovered + "-wal"); string(b) != "junk wal" {
		m, _ := filepath.Glob(filepath.Dir(path) + "/*")
		t.Errorf("-wal not moved beside it: %q %v; dir %v", b, err, m)
	}
	if seq := record(t, s, sample(1)); seq != 1 {
		t.Errorf("seq %d", seq)
	}
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scangate.db")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	db.Exec("PRAGMA user_version = 999")
	db.Close()
	if _, err := Open(path, Options{Logger: quietLogger()}); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open on a newer schema: %v", err)
	}
	if m, _ := filepath.Glob(path + ".corrupt-*"); len(m) != 0 {
		t.Errorf("a newer database was moved aside: %v", m)
	}
}
