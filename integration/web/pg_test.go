package web_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// pgSchemaDSN creates a fresh schema in the test database, dropped when
// the test ends. Without SCANGATE_TEST_PG_DSN the test is skipped, except
// under CI=true.
func pgSchemaDSN(t testing.TB) string {
	dsn := os.Getenv("SCANGATE_TEST_PG_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PostgreSQL tests must run in CI: set SCANGATE_TEST_PG_DSN (eval \"$(bash scripts/postgres-test.sh)\")")
		}
		t.Skip("PostgreSQL tests skipped: set SCANGATE_TEST_PG_DSN")
	}
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	schema := "b_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), dsn); err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
