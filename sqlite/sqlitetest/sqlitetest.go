// Package sqlitetest opens throw-away SQLite stores for tests. It is a
// package of its own so that the server binary never links package testing.
package sqlitetest

import (
	"path/filepath"
	"testing"

	"github.com/llgate/llgate/sqlite"
)

// Open opens a store in a fresh file under tb.TempDir and closes it when the
// test ends.
func Open(tb testing.TB) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "llgate.db"))
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
