package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrTimeout is wrapped by the error of an Update, View or Ping that the
// dialect's Timeout ended (the error also wraps context.DeadlineExceeded).
var ErrTimeout = errors.New("sqlstore: the database did not answer in time")

// bound gives ctx the dialect's Timeout, if it has one; an earlier deadline
// of the caller's still wins.
func (db *DB) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if db.d.Timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, db.d.Timeout, db.timeout)
}

// timedOut says in err, for the operator's log, when the store's own
// deadline is what ended the call rather than the caller's context.
func (db *DB) timedOut(ctx context.Context, err error) error {
	if err == nil || db.d.Timeout <= 0 || errors.Is(err, ErrTimeout) {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		// Due: a statement's context, with a timer of its own on the same
		// deadline, may have ended first. Done closes in a moment.
		<-ctx.Done()
	}
	if !errors.Is(context.Cause(ctx), ErrTimeout) {
		return err
	}
	return fmt.Errorf("%w: %w", db.timeout, err)
}

// bounded runs a transaction's statements under the transaction's deadline
// as well as under the context each statement is given. The deadline must
// reach the statements themselves: a closure passes them its caller's
// context, which may have no deadline at all, and database/sql ends a
// transaction whose context is done only once the statement in flight
// returns, which on a connection that stopped answering is never.
type bounded struct {
	tx    *sql.Tx
	outer context.Context // the caller's context, which closures usually pass
	inner context.Context // outer with the deadline

	mu      sync.Mutex
	cancels []context.CancelFunc
}

func (b *bounded) ctx(ctx context.Context) context.Context {
	if ctx == b.outer {
		return b.inner
	}
	deadline, _ := b.inner.Deadline()
	c, cancel := context.WithDeadline(ctx, deadline)
	b.mu.Lock()
	b.cancels = append(b.cancels, cancel)
	b.mu.Unlock()
	return c
}

// release frees the contexts made for statements; rows still open are
// closed by it, which the end of the transaction does anyway.
func (b *bounded) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, cancel := range b.cancels {
		cancel()
	}
}

func (b *bounded) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return b.tx.ExecContext(b.ctx(ctx), q, args...)
}

func (b *bounded) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return b.tx.QueryContext(b.ctx(ctx), q, args...)
}

func (b *bounded) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return b.tx.QueryRowContext(b.ctx(ctx), q, args...)
}
