package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// openCached opens a one-connection pool through the caching connector on a
// fresh file, with a table t(k INTEGER PRIMARY KEY, v TEXT) holding 1..3.
func openCached(t *testing.T) *sql.DB {
	t.Helper()
	db, err := openDB("file:" + escapePath(filepath.Join(t.TempDir(), "c.db")) + "?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	for _, q := range []string{
		`CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`,
		`INSERT INTO t (k, v) VALUES (1, 'a'), (2, 'b'), (3, 'c')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return db
}

// cached returns how many statements the pool's one connection holds.
func cached(t *testing.T, db *sql.DB) int {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.Raw(func(dc any) error {
		n = len(dc.(*cachingConn).stmts)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStmtCacheReuses(t *testing.T) {
	db := openCached(t)
	before := cached(t, db)
	const q = `SELECT v FROM t WHERE k = $1`
	for k, want := range []string{"a", "b", "c"} {
		var v string
		if err := db.QueryRow(q, k+1).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != want {
			t.Errorf("k=%d: got %q, want %q (bindings leaked from the previous run?)", k+1, v, want)
		}
	}
	if got := cached(t, db); got != before+1 {
		t.Errorf("cached statements: got %d, want %d: one text, prepared once", got, before+1)
	}
}

// A query run again while its own rows are open must not reset them.
func TestStmtCacheNestedSameQuery(t *testing.T) {
	db := openCached(t)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = `SELECT k, v FROM t WHERE k >= $1 ORDER BY k`
	rows, err := tx.Query(q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var outer []string
	for rows.Next() {
		var (
			k int
			v string
		)
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		outer = append(outer, v)
		var inner int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM (`+q+`)`, k).Scan(&inner); err != nil {
			t.Fatal(err)
		}
		// The same text, nested: runs uncached.
		var first string
		var fk int
		if err := tx.QueryRow(q, k).Scan(&fk, &first); err != nil {
			t.Fatal(err)
		}
		if first != v || inner != 4-k {
			t.Errorf("nested at k=%d: got %q and %d rows, want %q and %d", k, first, inner, v, 4-k)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if got := len(outer); got != 3 {
		t.Errorf("outer rows: got %v, want all 3", outer)
	}
}

// A statement that failed is dropped and prepared afresh; the next run works.
func TestStmtCacheAfterError(t *testing.T) {
	db := openCached(t)
	const q = `INSERT INTO t (k, v) VALUES ($1, $2)`
	if _, err := db.Exec(q, 1, "dup"); err == nil {
		t.Fatal("insert of a taken key: no error")
	}
	if _, err := db.Exec(q, 4, "d"); err != nil {
		t.Fatalf("insert after a failed one: %v", err)
	}
	var v string
	if err := db.QueryRow(`SELECT v FROM t WHERE k = 4`).Scan(&v); err != nil || v != "d" {
		t.Errorf("row 4: got %q, %v", v, err)
	}
	if _, err := db.Exec(`SELECT nonsense FROM`); err == nil {
		t.Error("malformed SQL: no error")
	}
}

// BEGIN comes from _txlock: an immediate transaction holds the write lock
// from its start, before any statement; a read-only one takes none.
func TestStmtCacheBegin(t *testing.T) {
	name := "file:" + escapePath(filepath.Join(t.TempDir(), "b.db"))
	a, err := openDB(name + "?_txlock=immediate&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := openDB(name + "?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := a.Exec(`CREATE TABLE t (k INTEGER)`); err != nil {
		t.Fatal(err)
	}
	otherWriterBlocked := func() bool {
		t.Helper()
		tx, err := b.Begin()
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		_, err = tx.Exec(`INSERT INTO t (k) VALUES (1)`)
		return err != nil
	}

	ro, err := a.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if otherWriterBlocked() {
		t.Error("a read-only transaction holds the write lock")
	}
	if err := ro.Commit(); err != nil {
		t.Fatal(err)
	}

	rw, err := a.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if !otherWriterBlocked() {
		t.Error("a read-write transaction under _txlock=immediate did not take the write lock at BEGIN")
	}
	if err := rw.Rollback(); err != nil {
		t.Fatal(err)
	}
	if otherWriterBlocked() {
		t.Error("the write lock outlived the rollback")
	}
}
