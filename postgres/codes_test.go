package postgres

import (
	"database/sql"
	"errors"
	"testing"
)

func TestHasCode(t *testing.T) {
	db, err := sql.Open("pgx", TestURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (id TEXT PRIMARY KEY, n TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO t VALUES ('a', 'n')`); err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`INSERT INTO t VALUES ('a', 'n')`)
	if !hasCode(err, "23505") {
		t.Errorf("duplicate key: got %v, want SQLSTATE 23505", err)
	}
	_, err = db.Exec(`INSERT INTO t VALUES ('b', NULL)`)
	if err == nil || hasCode(err, "23505") {
		t.Errorf("not null: got %v, want an error other than 23505", err)
	}
	if hasCode(errors.New("other"), "23505") {
		t.Error("hasCode(other): got true, want false")
	}
}
