package registry

import "database/sql"

// DBForTest exposes the handle to tests that check the database refuses.
func DBForTest(s *Store) *sql.DB { return s.db }
