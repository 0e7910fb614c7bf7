package collector

import "fmt"

// A migration takes the schema from version-1 to version. Migrations run
// in order, each in the transaction that records its version in meta
// ('schema'), so a crash leaves the database at one version or the next.
// A database from before versioned migrations has a meta table without
// 'schema': it is at version 1, the schema as it was then, whose
// statements are all IF NOT EXISTS.
type migration struct {
	version int
	name    string
	sql     string
}

// checkMigrations panics when a list is out of order: a programming error
// that must never reach a database.
func checkMigrations(ms []migration) []migration {
	for i, m := range ms {
		if m.version != i+1 {
			panic(fmt.Sprintf("collector: migration %q has version %d, want %d", m.name, m.version, i+1))
		}
	}
	return ms
}

// schemaVersion is the version of the last migration in ms.
func schemaVersion(ms []migration) int { return ms[len(ms)-1].version }

func newerSchema(have, want int) error {
	return fmt.Errorf("%w: version %d, this collector knows up to %d; run the newer collector", ErrSchemaNewer, have, want)
}
