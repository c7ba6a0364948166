package sqlite_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/llgate/llgate/sqlite/sqlitetest"

	"github.com/llgate/llgate"
	"github.com/llgate/llgate/sqlite"
	"github.com/llgate/llgate/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) llgate.Store { return sqlitetest.Open(tb) })
}

func TestStoreMemory(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) llgate.Store {
		s, err := sqlite.Open(tb.Context(), ":memory:")
		if err != nil {
			tb.Fatalf("Open: %v", err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	})
}

func TestOpen(t *testing.T) {
	t.Run("Reopen", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "llgate.db")
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if got := s.Path(); got != path {
			t.Errorf("Path: got %q, want %q", got, path)
		}
		err = s.Update(t.Context(), func(tx llgate.Tx) error {
			return tx.PutSetting(t.Context(), "k", []byte("v"))
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}

		// A second Open finds the schema up to date and the data kept.
		s, err = sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatalf("second Open: %v", err)
		}
		defer s.Close()
		var v []byte
		err = s.View(t.Context(), func(tx llgate.Tx) (err error) {
			v, err = tx.Setting(t.Context(), "k")
			return err
		})
		if err != nil || string(v) != "v" {
			t.Fatalf("after reopen: got %q, %v, want %q, nil", v, err, "v")
		}
		if err := s.IntegrityCheck(t.Context()); err != nil {
			t.Fatalf("IntegrityCheck: %v", err)
		}
	})

	t.Run("OddPath", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "a?b#c%20.db")
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer s.Close()
		// The file has exactly the name asked for.
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("database file: %v", err)
		}
	})

	t.Run("ErrBadPath", func(t *testing.T) {
		t.Parallel()
		if _, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "missing", "dir", "x.db")); err == nil {
			t.Fatal("got nil error, want one")
		}
	})
}

func TestIntegrityCheck(t *testing.T) {
	s := sqlitetest.Open(t)
	if err := s.IntegrityCheck(t.Context()); err != nil {
		t.Fatalf("got %v, want nil", err)
	}
}

// BenchmarkUpdate measures one durable (synchronous=FULL) single-row commit.
func BenchmarkUpdate(b *testing.B) {
	s := sqlitetest.Open(b)
	ctx := b.Context()
	i := 0
	for b.Loop() {
		i++
		err := s.Update(ctx, func(tx llgate.Tx) error {
			return tx.PutSetting(ctx, "bench", []byte(strconv.Itoa(i)))
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
