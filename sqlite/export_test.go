package sqlite

import (
	"path/filepath"
	"testing"
)

// GroupState is the store's commits so far and Updates queued now.
func GroupState(s *Store) (commits, queued int64) {
	_, commits, queued, _ = s.db.GroupState()
	return commits, queued
}

// openTest opens a store in a fresh file for the package's internal tests
// (the external ones use package sqlitetest, which imports this one).
func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "llgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
