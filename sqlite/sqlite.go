// Package sqlite is the llgate.Store on SQLite (modernc.org/sqlite, no cgo).
//
// Writes go through one connection whose transactions begin IMMEDIATE, so
// Update holds the database's only write lock from its first statement and a
// read-check-write closure cannot interleave with another. Reads use a
// separate pool of query-only connections, which in WAL mode never wait for
// the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/llgate/llgate"
	"github.com/llgate/llgate/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is an llgate.Store in one SQLite file.
type Store struct {
	db   *sqlstore.DB
	read *sql.DB // for IntegrityCheck
	path string
}

var _ llgate.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and brings its schema
// up to date. The path ":memory:" opens a private in-memory database on a
// single connection, which serves both Update and View; a View must then not
// be started from inside an Update.
func Open(ctx context.Context, path string) (*Store, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	var write, read *sql.DB
	if path == ":memory:" {
		write, err = openDB("file::memory:?_txlock=immediate&_pragma=foreign_keys(1)")
		if err != nil {
			return nil, err
		}
		// The database lives as long as its one connection: never let the
		// pool close it.
		write.SetMaxOpenConns(1)
		write.SetMaxIdleConns(1)
		write.SetConnMaxLifetime(0)
		write.SetConnMaxIdleTime(0)
		read = write
	} else {
		name := "file:" + escapePath(path)
		// temp_store(MEMORY): Updates share transactions in savepoints,
		// whose undo pages (the sub-journal) would otherwise go to a
		// temporary file created afresh for every transaction.
		write, err = openDB(name + "?_txlock=immediate" +
			"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
			"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=temp_store(2)")
		if err != nil {
			return nil, err
		}
		write.SetMaxOpenConns(1)
		write.SetMaxIdleConns(1)
		write.SetConnMaxLifetime(0)
		write.SetConnMaxIdleTime(0)

		// query_only makes the engine itself refuse a write in View.
		read, err = openDB(name + "?_txlock=deferred" +
			"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=query_only(1)")
		if err != nil {
			write.Close()
			return nil, err
		}
		n := max(4, runtime.GOMAXPROCS(0))
		read.SetMaxOpenConns(n)
		read.SetMaxIdleConns(n)
	}

	db := sqlstore.New(write, read, sqlstore.Dialect{
		Migrations:        sub,
		ViewTx:            sql.TxOptions{ReadOnly: true},
		GroupBegin:        "BEGIN IMMEDIATE",
		IsUniqueViolation: isUniqueViolation,
	})
	s := &Store{db: db, read: read, path: path}
	// Migrate on the write connection first: it also switches the file to
	// WAL, which the read connections then find.
	if err := db.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	return s, nil
}

// openDB opens a pool whose connections cache their prepared statements.
func openDB(dsn string) (*sql.DB, error) {
	c, err := newCachingConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

// escapePath makes path safe inside a file: URI, whose query and fragment
// would otherwise start at a '?' or '#' in a file name.
func escapePath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	c := e.Code()
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// Path returns the path the store was opened with.
func (s *Store) Path() string { return s.path }

// Update runs fn in an immediate (write-locked) transaction and commits it
// durably (synchronous=FULL) if fn returns nil. Updates that arrive while
// another runs share its transaction, each in a savepoint of its own, and
// one commit (group commit: see sqlstore's committer).
func (s *Store) Update(ctx context.Context, fn func(tx llgate.Tx) error) error {
	return s.db.Update(ctx, fn)
}

// WriteCounts says how many Updates have run and how many durable commits
// served them: Updates that arrive together share one.
func (s *Store) WriteCounts() (updates, commits int64) {
	updates, commits, _, _ = s.db.GroupState()
	return updates, commits
}

// View runs fn in a read-only transaction on a snapshot of the database.
func (s *Store) View(ctx context.Context, fn func(tx llgate.Tx) error) error {
	return s.db.View(ctx, fn)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// IntegrityCheck runs PRAGMA integrity_check and returns an error unless the
// database reports "ok".
func (s *Store) IntegrityCheck(ctx context.Context) error {
	rows, err := s.read.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		problems = append(problems, line)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) == 1 && problems[0] == "ok" {
		return nil
	}
	return fmt.Errorf("sqlite %s: integrity check: %s", s.path, strings.Join(problems, "; "))
}
