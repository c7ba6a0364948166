// Package sqlstore implements llgate.Store over database/sql once for both
// engines. Every query is written with $N placeholders, which PostgreSQL and
// modernc.org/sqlite both bind by number, so the SQL text is shared; what
// differs between the engines (row locks, error codes, the schema) is a
// Dialect supplied by package sqlite or package postgres.
//
// Both engines keep prepared statements per connection, so the SQL text of
// a query must not depend on data. On SQLite two spellings also make a
// statement re-plan on every run, as costly as not caching it: a bare
// parameter as LIMIT (write LIMIT CAST($n AS BIGINT)), and a parameter
// where a partial index's condition has a constant (agreements.status).
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"time"

	"github.com/llgate/llgate"
)

// Dialect is what one engine tells the shared code.
type Dialect struct {
	// LockSuffix is appended, inside Update only, to every SELECT of rows
	// the transaction may write: " FOR UPDATE" on PostgreSQL, whose READ
	// COMMITTED would otherwise lose updates; "" on SQLite, whose single
	// immediate writer already excludes every other writer.
	LockSuffix string
	// ClaimSuffix is appended to the SELECT that picks notifications to
	// lease, so that concurrent claimers pass over each other's rows
	// (" FOR UPDATE SKIP LOCKED" on PostgreSQL).
	ClaimSuffix string

	// UpdateTx and ViewTx are the options of the two kinds of transaction.
	UpdateTx, ViewTx sql.TxOptions

	// MigrationLock, when set, is executed first in the migration
	// transaction so that processes starting together migrate one at a time.
	MigrationLock string
	// Migrations holds the numbered schema files (0001_init.sql, ...).
	Migrations fs.FS

	// IsUniqueViolation reports whether err is a unique-key violation.
	IsUniqueViolation func(error) bool
	// GroupBegin, when set, makes Updates share transactions (group
	// commit, see committer): it is the statement that opens one and takes
	// the write lock at once (BEGIN IMMEDIATE on SQLite). For an engine with
	// a single writer, whose every commit syncs the log.
	GroupBegin string
	// IsRetryable reports whether a transaction that failed with err may
	// simply be run again (serialization failure, deadlock). Nil: never.
	IsRetryable func(error) bool

	// Timeout, when set, bounds every Update (all its attempts), View and
	// Ping, whatever context the caller passed: a database that stops
	// answering costs a caller that long, then an error, and the statement
	// in flight is abandoned (pgx closes a connection whose context ends).
	// For an engine across a network. Not applied to shared transactions
	// (GroupBegin): cancelling one mid-statement would interrupt the engine
	// and roll back other callers' writes, and a local engine's waits are
	// bounded by its busy timeout instead.
	Timeout time.Duration
}

// maxAttempts bounds how often Update runs a closure whose transaction the
// database aborted for a retryable reason.
const maxAttempts = 5

// DB is an llgate.Store on one engine.
type DB struct {
	write *sql.DB // Update
	read  *sql.DB // View; may be write
	d     Dialect
	group *committer // Updates when d.GroupBegin is set

	timeout error // the cause of a call that d.Timeout ended
}

var _ llgate.Store = (*DB)(nil)

// New returns a store that runs Update on write and View on read (which may be
// the same pool). It does not migrate; call Migrate.
func New(write, read *sql.DB, d Dialect) *DB {
	db := &DB{write: write, read: read, d: d}
	db.timeout = fmt.Errorf("%w (within %s)", ErrTimeout, d.Timeout)
	if d.GroupBegin != "" {
		db.group = &committer{pool: write, begin: d.GroupBegin, d: &db.d}
	}
	return db
}

// Update runs fn in a read-write transaction and commits if fn returns nil.
// When the database aborts the transaction for a retryable reason (deadlock,
// serialization failure), fn runs again, so fn must not have effects outside
// the transaction that cannot be repeated.
func (db *DB) Update(ctx context.Context, fn func(tx llgate.Tx) error) error {
	if db.group != nil {
		return db.group.update(ctx, fn)
	}
	outer := ctx
	ctx, cancel := db.bound(ctx)
	defer cancel()
	for attempt := 1; ; attempt++ {
		err := db.run(ctx, outer, db.write, db.d.UpdateTx, true, fn)
		if err == nil || attempt == maxAttempts ||
			db.d.IsRetryable == nil || !db.d.IsRetryable(err) {
			return db.timedOut(ctx, err)
		}
		// A short random pause, so that two transactions that deadlocked
		// do not meet again at once.
		t := time.NewTimer(time.Duration(rand.Int64N(int64(attempt) * int64(5*time.Millisecond))))
		select {
		case <-ctx.Done():
			t.Stop()
			return db.timedOut(ctx, err)
		case <-t.C:
		}
	}
}

// View runs fn in a read-only transaction.
func (db *DB) View(ctx context.Context, fn func(tx llgate.Tx) error) error {
	outer := ctx
	ctx, cancel := db.bound(ctx)
	defer cancel()
	return db.timedOut(ctx, db.run(ctx, outer, db.read, db.d.ViewTx, false, fn))
}

// run runs fn in one transaction under ctx, the bounded form of the
// caller's context outer.
func (db *DB) run(ctx, outer context.Context, pool *sql.DB, opts sql.TxOptions, writable bool, fn func(tx llgate.Tx) error) error {
	stx, err := pool.BeginTx(ctx, &opts)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	// Rolls back when fn fails or panics; a no-op after Commit.
	defer stx.Rollback()

	t := &Tx{tx: stx, d: &db.d, writable: writable}
	if ctx != outer {
		b := &bounded{tx: stx, outer: outer, inner: ctx}
		defer b.release()
		t.tx = b
	}
	if writable {
		t.lock = db.d.LockSuffix
	}
	if err := fn(t); err != nil {
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", err)
	}
	return nil
}

// Ping checks that both pools answer.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.write.PingContext(ctx)
	if err == nil && db.read != db.write {
		err = db.read.PingContext(ctx)
	}
	return db.timedOut(ctx, err)
}

// Close closes the pools.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}
