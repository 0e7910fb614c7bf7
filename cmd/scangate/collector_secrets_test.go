//go:build !kiosk

package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
)

// collectorFiles is a collector's directory as docs/collector.md sets it
// up: token, key and database, all 0600 in a 0700 directory.
type collectorFiles struct {
	dir, token, key, db, kek string
}

func newCollectorFiles(t *testing.T) collectorFiles {
	t.Helper()
	dir := privateTempDir(t)
	f := collectorFiles{dir: dir, token: filepath.Join(dir, "admin.token"), key: filepath.Join(dir, "collector.key"),
		db: filepath.Join(dir, "collector.db"), kek: filepath.Join(dir, "kek")}
	if err := os.WriteFile(f.token, []byte("0123456789abcdef-admin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if st := run([]string{"collector", "gen-kek", f.kek}, &out, &errb); st != 0 {
		t.Fatalf("gen-kek: %d %s", st, errb.String())
	}
	if st := run([]string{"collector", "gen-kek", f.kek}, &out, &errb); st != 2 {
		t.Fatalf("gen-kek over an existing key: status %d, want 2", st)
	}
	return f
}

func (f collectorFiles) args(extra ...string) []string {
	return append([]string{"--db", f.db, "--admin-token-file", f.token, "--key", f.key}, extra...)
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestCollectorCreatesPrivateFiles: a first start makes the database, its
// WAL and shared memory, and the collector key 0600.
func TestCollectorCreatesPrivateFiles(t *testing.T) {
	f := newCollectorFiles(t)
	_, stop, _ := startCollector(t, f.args("--kek-file", f.kek)...)
	for _, p := range []string{f.db, f.db + "-wal", f.db + "-shm", f.key, f.kek} {
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s created with mode %04o, want 0600", filepath.Base(p), m)
		}
	}
	if st := stop(); st != 0 {
		t.Fatalf("stop: %d", st)
	}
}

// TestCollectorRefusesExposedFiles: each secret readable by group or
// others stops the start, naming the file and the chmod.
func TestCollectorRefusesExposedFiles(t *testing.T) {
	f := newCollectorFiles(t)
	_, stop, _ := startCollector(t, f.args("--kek-file", f.kek)...)
	stop()
	for _, tc := range []struct {
		path  string
		mode  os.FileMode
		chmod string
	}{
		{f.token, 0o644, "chmod 600 "},
		{f.key, 0o640, "chmod 600 "},
		{f.kek, 0o604, "chmod 600 "},
		{f.db, 0o644, "chmod 600 "},
		{f.db + "-wal", 0o644, "chmod 600 "},
		{f.db + "-shm", 0o660, "chmod 600 "},
		{f.dir, 0o755, "chmod 700 "},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			if _, err := os.Stat(tc.path); err != nil {
				// -wal and -shm may be gone after a clean stop.
				if err := os.WriteFile(tc.path, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			old := mode(t, tc.path)
			if err := os.Chmod(tc.path, tc.mode); err != nil {
				t.Fatal(err)
			}
			defer os.Chmod(tc.path, old)
			var out, errb bytes.Buffer
			st := run(append([]string{"collector", "--listen", "127.0.0.1:0"}, f.args("--kek-file", f.kek)...), &out, &errb)
			if st != 2 || !strings.Contains(errb.String(), tc.chmod+tc.path) {
				t.Fatalf("status %d, stderr %q; want 2 and %q", st, errb.String(), tc.chmod+tc.path)
			}
		})
	}
}

// TestCollectorKEK: issuer keys the collector holds need a KEK; a clear
// key from before sealing is sealed at the first start with one (and no
// longer found in the database files); without a KEK a start with held
// keys is refused; the KEK also comes from a systemd credential.
func TestCollectorKEK(t *testing.T) {
	f := newCollectorFiles(t)
	// An old database holding an issuer key in clear.
	be, err := collector.OpenSQLite(f.db)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	if err := be.PutIssuer(context.Background(), collector.Issuer{ID: "city", PublicKey: pub, SealedKey: priv}); err != nil {
		t.Fatal(err)
	}
	be.Close()

	var out, errb bytes.Buffer
	if st := run(append([]string{"collector", "--listen", "127.0.0.1:0"}, f.args()...), &out, &errb); st != 2 ||
		!strings.Contains(errb.String(), `issuer "city"`) || !strings.Contains(errb.String(), "--kek-file") {
		t.Fatalf("start without a KEK over a held key: %d %q; want 2 naming the issuer and --kek-file", st, errb.String())
	}
	url, stop, _ := startCollector(t, f.args("--kek-file", f.kek)...)
	admin := func(args ...string) (int, string) {
		t.Helper()
		var out, errb bytes.Buffer
		st := run(append([]string{"collector", "admin", "--url", url, "--admin-token-file", f.token}, args...), &out, &errb)
		return st, out.String() + errb.String()
	}
	if st, o := admin("card-issue", "city", "h-1", "--name", "王秀英", "--category", "elder"); st != 0 || !strings.Contains(o, "SG2:") {
		t.Fatalf("card-issue with the sealed migrated key: %d %s", st, o)
	}
	if st, o := admin("issuer-add", "held"); st != 0 {
		t.Fatalf("issuer-add with a KEK: %d %s", st, o)
	}
	stop()
	for _, p := range []string{f.db, f.db + "-wal"} {
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, priv.Seed()) {
			t.Fatalf("%s still holds the issuer key in clear", filepath.Base(p))
		}
	}
	// The KEK from a systemd credential, without --kek-file.
	creds := privateTempDir(t)
	kb, _ := os.ReadFile(f.kek)
	if err := os.WriteFile(filepath.Join(creds, "scangate-kek"), kb, 0o400); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CREDENTIALS_DIRECTORY", creds)
	url, stop, _ = startCollector(t, f.args()...)
	if st, o := admin("card-issue", "held", "h-2", "--name", "李明", "--category", "child"); st != 0 {
		t.Fatalf("card-issue with the KEK from the credential: %d %s", st, o)
	}
	stop()
	// Another KEK does not open the keys.
	other := filepath.Join(f.dir, "other.kek")
	run([]string{"collector", "gen-kek", other}, &out, &errb)
	errb.Reset()
	collectorContext = func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 20*time.Second)
	}
	if st := run(append([]string{"collector", "--listen", "127.0.0.1:0"}, f.args("--kek-file", other)...), &out, &errb); st != 2 || !strings.Contains(errb.String(), "does not open") {
		t.Fatalf("start with another KEK: %d %q", st, errb.String())
	}
}

// TestCollectorWithoutKEK: with no keys held, a collector starts without a
// KEK and refuses to make an issuer key it would have to hold.
func TestCollectorWithoutKEK(t *testing.T) {
	f := newCollectorFiles(t)
	url, stop, _ := startCollector(t, f.args()...)
	defer stop()
	var out, errb bytes.Buffer
	if st := run([]string{"collector", "admin", "--url", url, "--admin-token-file", f.token, "issuer-add", "city"}, &out, &errb); st != 1 || !strings.Contains(errb.String(), "key-encryption key") {
		t.Fatalf("issuer-add without a KEK: %d %q", st, errb.String())
	}
}

// privateTempDir is t.TempDir() made 0700, as a collector's directory
// must be.
func privateTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}
