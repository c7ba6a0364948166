package sqlite

import (
	"database/sql"
	"errors"
	"testing"
)

func TestIsUniqueViolation(t *testing.T) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (id TEXT PRIMARY KEY, u TEXT UNIQUE, n TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO t VALUES ('a', 'x', 'n')`); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		q    string
		want bool
	}{
		{"PrimaryKey", `INSERT INTO t VALUES ('a', 'y', 'n')`, true},
		{"Unique", `INSERT INTO t VALUES ('b', 'x', 'n')`, true},
		{"NotNull", `INSERT INTO t VALUES ('c', 'z', NULL)`, false},
		{"Syntax", `INSERT INTO`, false},
	} {
		_, err := db.Exec(tt.q)
		if err == nil {
			t.Fatalf("%s: got nil error", tt.name)
		}
		if got := isUniqueViolation(err); got != tt.want {
			t.Errorf("%s: isUniqueViolation(%v): got %v, want %v", tt.name, err, got, tt.want)
		}
	}
	if isUniqueViolation(errors.New("other")) {
		t.Error("isUniqueViolation(other): got true, want false")
	}
}
