// Package pgtest gives tests the PostgreSQL database CI starts
// (scripts/postgres-test.sh exports SCANGATE_TEST_PG_DSN): without it a
// test is skipped, except under CI=true, where PostgreSQL tests must run.
// Each caller gets a schema of its own, so tests never see each other's
// rows.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// DSN is the test database's DSN, or skips (fails under CI=true).
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("SCANGATE_TEST_PG_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PostgreSQL tests must run in CI: set SCANGATE_TEST_PG_DSN (eval \"$(bash scripts/postgres-test.sh)\")")
		}
		t.Skip("PostgreSQL tests skipped: set SCANGATE_TEST_PG_DSN (eval \"$(bash scripts/postgres-test.sh)\")")
	}
	return dsn
}

// SchemaDSN creates a fresh schema in the test database, dropped when the
// test ends, and returns a DSN whose search_path is that schema.
func SchemaDSN(t testing.TB) string {
	t.Helper()
	dsn := DSN(t)
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), dsn); err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
