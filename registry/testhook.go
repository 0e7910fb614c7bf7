package registry

import "database/sql"

// DBForTestOf exposes the database handle to other packages' tests that
// check what is (not) stored. Not for production code.
func DBForTestOf(s *Store) *sql.DB { return s.db }
