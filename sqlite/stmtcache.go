package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"net/url"
	"strings"

	"modernc.org/sqlite"
)

// The store runs a small, fixed set of statements over and over, and
// modernc.org/sqlite prepares the SQL text again for every query and exec
// on a connection: parsing and planning cost about as much as running
// them. cachingConnector wraps the driver's connector so that each
// connection keeps its prepared statements by SQL text and only binds and
// steps them. PostgreSQL needs none of this: pgx caches per connection.

// maxCachedStmts bounds the statements one connection keeps. The store's
// SQL is a fixed set (a few hundred texts counting the filter variants of
// the agreement list), so the bound only guards against a caller that
// builds SQL from data; past it, statements run uncached as before.
const maxCachedStmts = 512

type cachingConnector struct {
	driver.Connector
	begin string // what starts a read-write transaction, after _txlock
}

func newCachingConnector(dsn string) (driver.Connector, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	begin := "BEGIN"
	if i := strings.IndexByte(dsn, '?'); i >= 0 {
		q, err := url.ParseQuery(dsn[i+1:])
		if err != nil {
			return nil, err
		}
		if mode := q.Get("_txlock"); mode != "" {
			begin += " " + strings.ToUpper(mode)
		}
	}
	return cachingConnector{Connector: c, begin: begin}, nil
}

// sqliteConn is what database/sql uses of a modernc.org/sqlite connection,
// all of which the wrapper passes on.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type stmtConn interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, errors.New("sqlite: driver connection lacks the context interfaces")
	}
	return &cachingConn{sqliteConn: sc, begin: c.begin, stmts: make(map[string]*cachedStmt)}, nil
}

// cachingConn is one connection and its statements. database/sql uses a
// connection from one goroutine at a time, so it needs no lock.
type cachingConn struct {
	sqliteConn
	begin string
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	stmtConn
	// busy: rows of this statement are open. Running it again would reset
	// them, so a query nested inside its own iteration runs uncached.
	busy bool
}

// stmt returns the cached statement for query, preparing it on first use;
// nil when it is busy or the cache is full (run the query uncached).
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if s, ok := c.stmts[query]; ok {
		if s.busy {
			return nil, nil
		}
		return s, nil
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil, nil
	}
	ds, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	sc, ok := ds.(stmtConn)
	if !ok {
		ds.Close()
		return nil, nil
	}
	s := &cachedStmt{stmtConn: sc}
	c.stmts[query] = s
	return s, nil
}

// forget drops a statement that failed, so that whatever state the failure
// left it in is finalized rather than reused.
func (c *cachingConn) forget(query string, s *cachedStmt) {
	delete(c.stmts, query)
	s.Close()
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	res, err := s.ExecContext(ctx, args)
	if err != nil {
		c.forget(query, s)
	}
	return res, err
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := s.QueryContext(ctx, args)
	if err != nil {
		c.forget(query, s)
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, s: s}, nil
}

// BeginTx starts a transaction as the driver would (a read-only one with a
// plain BEGIN, others as _txlock says), but with cached statements: the
// driver prepares BEGIN and COMMIT afresh for every transaction.
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if opts.Isolation != driver.IsolationLevel(0) {
		return c.sqliteConn.BeginTx(ctx, opts)
	}
	begin := c.begin
	if opts.ReadOnly {
		begin = "BEGIN"
	}
	if _, err := c.ExecContext(ctx, begin, nil); err != nil {
		return nil, err
	}
	return cachingTx{c}, nil
}

type cachingTx struct{ c *cachingConn }

// Commit commits; if that fails, the transaction is rolled back, as the
// driver does, so that the connection goes back to the pool clean.
func (t cachingTx) Commit() error {
	_, err := t.c.ExecContext(context.Background(), "COMMIT", nil)
	if err != nil {
		// Fails harmlessly when the failed COMMIT already ended it.
		_, _ = t.c.ExecContext(context.Background(), "ROLLBACK", nil)
	}
	return err
}

func (t cachingTx) Rollback() error {
	_, err := t.c.ExecContext(context.Background(), "ROLLBACK", nil)
	return err
}

// Close finalizes the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.Close())
		delete(c.stmts, q)
	}
	return errors.Join(append(errs, c.sqliteConn.Close())...)
}

// cachedRows marks its statement free again when closed; the driver resets
// the statement for reuse on Close.
type cachedRows struct {
	driver.Rows
	s *cachedStmt
}

func (r *cachedRows) Close() error {
	r.s.busy = false
	return r.Rows.Close()
}
