package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/llgate/llgate"
)

// errReadOnly is returned by a write inside View. The engines refuse it too
// (a read-only PostgreSQL transaction, SQLite's query_only pool), but the
// in-memory SQLite store has one connection for both, so the check is here.
var errReadOnly = errors.New("sqlstore: write in a read-only transaction")

// Tx implements llgate.Tx on one database transaction.
type Tx struct {
	tx       querier // a *sql.Tx, or the shared transaction's connection
	d        *Dialect
	writable bool
	lock     string // d.LockSuffix inside Update, "" inside View
}

// claim returns the dialect's ClaimSuffix inside Update and "" inside View,
// where PostgreSQL refuses row locks.
func (t *Tx) claim() string {
	if !t.writable {
		return ""
	}
	return t.d.ClaimSuffix
}

var _ llgate.Tx = (*Tx)(nil)

type scanner interface{ Scan(dest ...any) error }

// exec runs a write. Inserts are written with ON CONFLICT DO NOTHING and
// report conflicts through the affected-row count instead of an error,
// because on PostgreSQL a failed statement aborts the whole transaction and
// a caller could not go on after ErrConflict as it can on SQLite.
func (t *Tx) exec(ctx context.Context, q string, args ...any) (int64, error) {
	if !t.writable {
		return 0, errReadOnly
	}
	res, err := t.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, t.mapErr(err)
	}
	return res.RowsAffected()
}

func (t *Tx) mapErr(err error) error {
	if t.d.IsUniqueViolation != nil && t.d.IsUniqueViolation(err) {
		return fmt.Errorf("%w: %w", llgate.ErrConflict, err)
	}
	return err
}

// queryAll runs q and scans every row with scan.
func queryAll[T any](ctx context.Context, t *Tx, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queryOne runs q and scans its one row; a missing row is llgate.ErrNotFound
// wrapped with what.
func queryOne[T any](ctx context.Context, t *Tx, what string, scan func(scanner) (T, error), q string, args ...any) (T, error) {
	v, err := scan(t.tx.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("%s: %w", what, llgate.ErrNotFound)
	}
	return v, err
}

// Times are unix milliseconds, UTC; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// Blobs: nil and empty are the same value (NULL) on both engines.
func blob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// Lists are JSON arrays in a text column; an empty list reads back nil.
func encodeList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l) // a []string always marshals
	return string(b)
}

func decodeList(s string) ([]string, error) {
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l, nil
}

// limitOr returns limit, or def when limit is not positive.
func limitOr(limit, def int) int {
	if limit <= 0 {
		return def
	}
	return limit
}
