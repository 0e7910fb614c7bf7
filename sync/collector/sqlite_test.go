package collector_test

import (
	"path/filepath"
	"testing"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
)

func newSQLite(t testing.TB) collector.Backend {
	b, err := collector.OpenSQLite(filepath.Join(t.TempDir(), "collector.db"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSQLiteSemantics(t *testing.T) {
	collectortest.RunBackendSuite(t, func(t *testing.T) collector.Backend { return newSQLite(t) })
}
