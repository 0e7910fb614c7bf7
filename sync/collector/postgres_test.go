package collector_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
)

// pgDSN returns the test database DSN. Without one the test is skipped,
// except in CI (CI=true), where PostgreSQL tests must run.
func pgDSN(t testing.TB) string {
	dsn := os.Getenv("SCANGATE_TEST_PG_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PostgreSQL tests must run in CI: set SCANGATE_TEST_PG_DSN (eval \"$(bash scripts/postgres-test.sh)\")")
		}
		t.Skip("PostgreSQL tests skipped: set SCANGATE_TEST_PG_DSN (eval \"$(bash scripts/postgres-test.sh)\")")
	}
	return dsn
}

// newPostgres opens a backend in a fresh schema of the test database, so
// subtests never see each other's rows; the schema is dropped afterwards.
func newPostgres(t testing.TB) collector.Backend {
	dsn := pgDSN(t)
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
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
	be, err := collector.OpenPostgres(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	return be
}

func TestPostgresSemantics(t *testing.T) {
	pgDSN(t)
	collectortest.RunBackendSuite(t, func(t *testing.T) collector.Backend { return newPostgres(t) })
}
