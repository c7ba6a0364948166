package sqlite

import (
	"path/filepath"
	"testing"
)

// MustOpenTest opens a store in a fresh file under tb.TempDir and closes it
// when the test ends.
func MustOpenTest(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), filepath.Join(tb.TempDir(), "llgate.db"))
	if err != nil {
		tb.Fatalf("sqlite.Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("sqlite close: %v", err)
		}
	})
	return s
}
