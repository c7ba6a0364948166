package postgres_test

import (
	"database/sql"
	"errors"
	"testing"

	"github.com/llgate/llgate/postgres"
	"github.com/llgate/llgate/postgres/pgtest"
)

func TestHasCode(t *testing.T) {
	db, err := sql.Open("pgx", pgtest.URL(t))
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
	if !postgres.HasCode(err, "23505") {
		t.Errorf("duplicate key: got %v, want SQLSTATE 23505", err)
	}
	_, err = db.Exec(`INSERT INTO t VALUES ('b', NULL)`)
	if err == nil || postgres.HasCode(err, "23505") {
		t.Errorf("not null: got %v, want an error other than 23505", err)
	}
	if postgres.HasCode(errors.New("other"), "23505") {
		t.Error("postgres.HasCode(other): got true, want false")
	}
}
