package sqlstore_test

import (
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"

	_ "modernc.org/sqlite"

	"github.com/llgate/llgate/internal/sqlstore"
)

func TestMigrations(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		fsys := fstest.MapFS{
			"0010_later.sql": {Data: []byte("SELECT 10;")},
			"0002_b.sql":     {Data: []byte("SELECT 2;")},
			"0001_init.sql":  {Data: []byte("SELECT 1;")},
			"README.md":      {Data: []byte("not a migration")},
		}
		ms, err := sqlstore.Migrations(fsys)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, m := range ms {
			got = append(got, m.Version)
		}
		if want := []int{1, 2, 10}; !reflect.DeepEqual(got, want) {
			t.Fatalf("versions: got %v, want %v", got, want)
		}
		if got, want := ms[2].SQL, "SELECT 10;"; got != want {
			t.Fatalf("SQL: got %q, want %q", got, want)
		}
	})

	for name, fsys := range map[string]fstest.MapFS{
		"ErrDuplicate": {"0001_a.sql": {}, "001_b.sql": {}},
		"ErrNoNumber":  {"init.sql": {}},
		"ErrZero":      {"0000_init.sql": {}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := sqlstore.Migrations(fsys); err == nil {
				t.Fatal("got nil error, want one")
			}
		})
	}
}

// openSQLite returns a SQLite database in a temporary file.
func openSQLite(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func tables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return names
}

func TestMigrate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		db := openSQLite(t)
		fsys := fstest.MapFS{"0001_init.sql": {Data: []byte("CREATE TABLE a (x INTEGER); CREATE TABLE b (y INTEGER);")}}
		migrate := func() {
			t.Helper()
			if err := sqlstore.New(db, db, sqlstore.Dialect{Migrations: fsys}).Migrate(t.Context()); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
		}
		migrate()
		migrate() // nothing left to do: no "table a already exists"
		fsys["0002_c.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE c (z INTEGER);")}
		migrate()
		if got, want := tables(t, db), []string{"a", "b", "c", "schema_migrations"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("tables: got %v, want %v", got, want)
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("schema_migrations: got %d rows (%v), want 2", n, err)
		}
	})

	t.Run("ErrRollsBack", func(t *testing.T) {
		db := openSQLite(t)
		fsys := fstest.MapFS{
			"0001_init.sql":   {Data: []byte("CREATE TABLE a (x INTEGER);")},
			"0002_broken.sql": {Data: []byte("CREATE TABLE b (y INTEGER); NOT SQL;")},
		}
		if err := sqlstore.New(db, db, sqlstore.Dialect{Migrations: fsys}).Migrate(t.Context()); err == nil {
			t.Fatal("Migrate: got nil error, want one")
		}
		if got := tables(t, db); len(got) != 0 {
			t.Fatalf("tables after a failed migration: got %v, want none", got)
		}
	})
}
