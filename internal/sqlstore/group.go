package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/llgate/llgate"
)

// An engine with one writer (SQLite) pays for every durable commit with a
// sync of its log, and that sync, not the statements, is most of what an
// Update costs. The committer lets one commit serve several Updates (group
// commit). Updates take turns on the writer: each closure runs inside a
// savepoint of the open write transaction, so a closure that fails rolls
// back only its own writes. The last closure of a turn, the one that finds
// nobody queued behind it, commits for all; the Updates whose closures ran
// in that transaction return once the commit is durable, with its error.
// A turn therefore gathers the Updates that arrived while the previous
// commit was syncing, and waits for nobody: with one caller at a time it is
// one transaction per Update, as before.
//
// A caller that returns has its writes durable, or none of them: a closure
// that fails is rolled back at once, and when the commit fails, every
// closure that shared it is told so. A closure may see the writes of an
// earlier closure of the same turn (they commit together or not at all),
// never those of one that failed; so every caller, failed or not, returns
// only when its turn has ended, and with the turn's error if it failed.

// maxTurn bounds the closures one transaction serves, so that a steady
// stream of Updates still commits regularly.
const maxTurn = 32

type committer struct {
	pool  *sql.DB
	begin string // BEGIN IMMEDIATE: the write lock from the first statement
	d     *Dialect

	queued atomic.Int64 // Updates waiting for mu
	mu     sync.Mutex
	open   *turn // the open transaction; nil between turns (guarded by mu)

	updates atomic.Int64 // closures run
	commits atomic.Int64 // COMMITs that succeeded
}

// turn is one shared write transaction.
type turn struct {
	conn *sql.Conn
	ran  int // closures run in it
	kept int // closures whose writes it holds

	done chan struct{} // closed when the transaction has ended
	err  error         // why it did not commit; set before done closes
}

func (c *committer) update(ctx context.Context, fn func(tx llgate.Tx) error) error {
	c.queued.Add(1)
	c.mu.Lock()
	c.queued.Add(-1)
	t, err, panicked := c.step(ctx, fn)
	if c.open != nil && (c.queued.Load() == 0 || c.open.ran >= maxTurn) {
		c.end(nil)
	}
	c.mu.Unlock()
	if t != nil {
		// Even a closure that failed waits: its failure may rest on what an
		// earlier closure of the turn wrote (a unique key it took), which
		// its caller must be able to read once this returns.
		<-t.done
		if t.err != nil {
			err = t.err
		}
	}
	if panicked != nil {
		panic(panicked)
	}
	return err
}

// step runs fn in a savepoint of the open transaction, opening one if
// needed, and returns the transaction it ran in (nil if it did not run).
// A panic in fn is rolled back like an error and handed back for the
// caller to raise once the writer is free again. c.mu is held.
func (c *committer) step(ctx context.Context, fn func(tx llgate.Tx) error) (t *turn, err error, panicked any) {
	if err := ctx.Err(); err != nil {
		return nil, err, nil
	}
	if c.open == nil {
		if err := c.start(); err != nil {
			return nil, err, nil
		}
	}
	t = c.open
	t.ran++
	c.updates.Add(1)
	if err := t.exec("SAVEPOINT u"); err != nil {
		c.end(err)
		return t, err, nil
	}
	err, panicked = protect(fn, &Tx{tx: detached{t.conn}, d: c.d, writable: true, lock: c.d.LockSuffix})
	if err == nil && panicked == nil {
		if err := t.exec("RELEASE u"); err != nil {
			c.end(err)
			return t, err, nil
		}
		t.kept++
		return t, nil, nil
	}
	rerr := t.exec("ROLLBACK TO u")
	if rerr == nil {
		rerr = t.exec("RELEASE u")
	}
	if rerr != nil {
		// The engine may have ended the transaction itself (an I/O error):
		// what the earlier closures wrote cannot be trusted to commit.
		c.end(rerr)
	}
	return t, err, panicked
}

// protect runs fn, turning a panic into a value.
func protect(fn func(tx llgate.Tx) error, tx *Tx) (err error, panicked any) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return fn(tx), nil
}

func (c *committer) start() error {
	conn, err := c.pool.Conn(context.Background())
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	t := &turn{conn: conn, done: make(chan struct{})}
	if err := t.exec(c.begin); err != nil {
		conn.Close()
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	c.open = t
	return nil
}

// end ends the open transaction: it commits what the closures kept, or
// rolls back when cause is set or nothing was kept, and tells every closure
// of the turn how it went. c.mu is held.
func (c *committer) end(cause error) {
	t := c.open
	c.open = nil
	err := cause
	if cause == nil && t.kept > 0 {
		if err = t.exec("COMMIT"); err != nil {
			err = fmt.Errorf("sqlstore: commit: %w", err)
		} else {
			c.commits.Add(1)
		}
	}
	if err != nil || t.kept == 0 {
		if rerr := t.exec("ROLLBACK"); rerr != nil {
			// Nothing is open any more (the engine rolled back itself), or
			// the connection is broken: do not hand it out again.
			t.conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}
	if err != nil {
		if cause != nil {
			err = fmt.Errorf("sqlstore: the shared transaction was rolled back: %w", err)
		}
		t.err = err
	}
	t.conn.Close()
	close(t.done)
}

func (t *turn) exec(q string) error {
	_, err := t.conn.ExecContext(context.Background(), q)
	return err
}

// querier is what a Tx runs its statements on.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// detached runs a closure's statements on the shared connection. A
// cancelled context stops the closure at its next statement, never inside
// one: the driver answers a cancellation by interrupting the engine, which
// may roll back the whole transaction, other callers' writes included.
type detached struct{ c *sql.Conn }

func (d detached) ctx(ctx context.Context) context.Context {
	if ctx.Err() != nil {
		return ctx // database/sql answers ctx.Err() without running anything
	}
	return context.WithoutCancel(ctx)
}

func (d detached) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return d.c.ExecContext(d.ctx(ctx), q, args...)
}

func (d detached) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return d.c.QueryContext(d.ctx(ctx), q, args...)
}

func (d detached) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return d.c.QueryRowContext(d.ctx(ctx), q, args...)
}

// GroupState reports, when Updates share transactions, how many closures
// have run, how many commits made them durable, and how many Updates wait
// for the writer now. ok is false when they do not share.
func (db *DB) GroupState() (updates, commits, queued int64, ok bool) {
	if db.group == nil {
		return 0, 0, 0, false
	}
	return db.group.updates.Load(), db.group.commits.Load(), db.group.queued.Load(), true
}
