// Package postgres is the llgate.Store on PostgreSQL, through database/sql
// and pgx.
//
// Update runs at READ COMMITTED and locks every row it reads that it may
// write (SELECT ... FOR UPDATE), which is what keeps a read-check-write
// closure from losing a concurrent update; View runs in a read-only
// REPEATABLE READ transaction, a consistent snapshot as on SQLite.
//
// No call waits for the database without a bound (see Options): a server
// that stops answering, its packets dropped rather than refused, costs a
// caller Options.Timeout and then an error, and the pool replaces the
// connections it abandoned once the network forwards again.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also registers "pgx"

	"github.com/llgate/llgate"
	"github.com/llgate/llgate/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is an llgate.Store in one PostgreSQL schema.
type Store struct {
	db *sqlstore.DB
}

var _ llgate.Store = (*Store)(nil)

// maxConns bounds the pool. A transaction holding row locks keeps its
// connection, so this is also how many Updates can wait on each other.
const maxConns = 16

// DefaultTimeout is Options.Timeout when it is zero.
const DefaultTimeout = 5 * time.Second

// Options tune how long the store waits for PostgreSQL.
type Options struct {
	// Timeout bounds each Update (all its attempts), View and Ping: when it
	// passes, the statement in flight is abandoned, its connection closed,
	// and the call fails. It also bounds opening a connection, unless the
	// URL sets connect_timeout, and it is PostgreSQL's statement_timeout and
	// idle_in_transaction_session_timeout, unless the URL sets those: the
	// server then gives up too on what its client gave up on, and frees the
	// rows a vanished client held locked. Zero means DefaultTimeout.
	Timeout time.Duration
}

// Open connects to the database at url (postgres://... or a key=value DSN)
// with the default Options and brings its schema up to date. Tables are
// created in the first schema of the search_path, which a URL may set with
// ?search_path=name.
func Open(ctx context.Context, url string) (*Store, error) {
	return OpenWith(ctx, url, Options{})
}

// OpenWith is Open with Options.
func OpenWith(ctx context.Context, url string, o Options) (*Store, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = o.Timeout
	}
	cfg.DialFunc = dialer(cfg.ConnectTimeout).DialContext
	// pgx sends parameters it does not know to the server as run-time
	// parameters of every connection (behind PgBouncer, list these two in
	// its ignore_startup_parameters).
	ms := strconv.FormatInt(o.Timeout.Milliseconds(), 10)
	for _, p := range []string{"statement_timeout", "idle_in_transaction_session_timeout"} {
		if _, set := cfg.RuntimeParams[p]; !set {
			cfg.RuntimeParams[p] = ms
		}
	}
	sdb := stdlib.OpenDB(*cfg)
	sdb.SetMaxOpenConns(maxConns)
	sdb.SetMaxIdleConns(maxConns)

	db := sqlstore.New(sdb, sdb, sqlstore.Dialect{
		LockSuffix:  " FOR UPDATE",
		ClaimSuffix: " FOR UPDATE SKIP LOCKED",
		UpdateTx:    sql.TxOptions{Isolation: sql.LevelReadCommitted},
		ViewTx:      sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
		// A transaction-scoped lock, per schema: released by the commit,
		// and replicas sharing a schema migrate one after the other. A
		// migration may rewrite a large table and another replica may wait
		// for it: neither is cut short by statement_timeout.
		MigrationLock: `SET LOCAL statement_timeout = 0; ` +
			`SELECT pg_advisory_xact_lock(hashtext('llgate.migrate:' || current_schema()))`,
		Migrations:        sub,
		IsUniqueViolation: func(err error) bool { return hasCode(err, "23505") },
		// 40001 serialization_failure, 40P01 deadlock_detected.
		IsRetryable: func(err error) bool { return hasCode(err, "40001", "40P01") },
		Timeout:     o.Timeout,
	})
	s := &Store{db: db}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := db.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

func hasCode(err error, codes ...string) bool {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if e.Code == c {
			return true
		}
	}
	return false
}

// Update runs fn in a READ COMMITTED transaction whose reads lock their rows,
// and commits if fn returns nil. A transaction PostgreSQL aborts as a
// deadlock victim or serialization failure is run again, a few times.
func (s *Store) Update(ctx context.Context, fn func(tx llgate.Tx) error) error {
	return s.db.Update(ctx, fn)
}

// View runs fn in a read-only snapshot transaction.
func (s *Store) View(ctx context.Context, fn func(tx llgate.Tx) error) error {
	return s.db.View(ctx, fn)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

// Close closes the connection pool.
func (s *Store) Close() error { return s.db.Close() }
