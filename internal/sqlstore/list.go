package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/llgate/llgate"
)

// where collects the conditions of a list query and their arguments.
type where struct {
	conds []string
	args  []any
}

// eq adds "col = $n" for v, unless v is "" (the filter is off).
func (w *where) eq(col, v string) {
	if v != "" {
		w.args = append(w.args, v)
		w.conds = append(w.conds, col+" = $"+strconv.Itoa(len(w.args)))
	}
}

// String is the WHERE clause, "" without conditions.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(w.conds, " AND ")
}

// page appends LIMIT and OFFSET for limit (<= 0: none) and offset to
// args and returns the clause. SQLite accepts OFFSET only after a LIMIT,
// and the engines spell "no limit" differently (-1, ALL), so an offset
// without a limit gets a limit no table reaches.
func page(args []any, limit, offset int) ([]any, string) {
	var q string
	if limit > 0 || offset > 0 {
		if limit > 0 {
			args = append(args, limit)
		} else {
			args = append(args, int64(1<<62))
		}
		q = ` LIMIT CAST($` + strconv.Itoa(len(args)) + ` AS BIGINT)`
	}
	if offset > 0 {
		args = append(args, offset)
		q += ` OFFSET $` + strconv.Itoa(len(args))
	}
	return args, q
}

// The console's lists read without row locks (even inside Update): they
// only show, and a page is stale the moment it is drawn anyway. Each
// filter has an index that gives its rows in the list's order, so a page
// costs its rows, not the table: see migration 0005.

// list reads the page q selects of what sel selects under w, in order.
func list[T any](ctx context.Context, t *Tx, what string, scan func(scanner) (T, error), sel string, w *where, order string, q llgate.ListQuery) ([]T, error) {
	args, p := page(w.args, q.Limit, q.Offset)
	rows, err := queryAll(ctx, t, scan, sel+w.String()+` ORDER BY `+order+p, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	return rows, nil
}

// ListAgreements returns the page q selects: the agreements q.OidPartner
// bound ("" = all), of q.UserID ("" = any), newest first.
func (t *Tx) ListAgreements(ctx context.Context, q llgate.ListQuery) ([]*llgate.Agreement, error) {
	var w where
	w.eq("oid_partner", q.OidPartner)
	w.eq("user_id", q.UserID)
	return list(ctx, t, "agreements", scanAgreement, `SELECT `+agreementCols+` FROM agreements`, &w,
		`created_at DESC, no_agree DESC`, q)
}

// ListOrders returns the page q selects: q.OidPartner's orders ("" = all)
// in state q.Status ("" = any), newest first.
func (t *Tx) ListOrders(ctx context.Context, q llgate.ListQuery) ([]*llgate.Order, error) {
	var w where
	w.eq("oid_partner", q.OidPartner)
	w.eq("status", q.Status)
	return list(ctx, t, "orders", scanOrder, `SELECT `+orderCols+` FROM orders`, &w,
		`created_at DESC, oid_paybill DESC`, q)
}

// ListRefunds returns the page q selects: q.OidPartner's refunds ("" =
// all), newest first.
func (t *Tx) ListRefunds(ctx context.Context, q llgate.ListQuery) ([]*llgate.Refund, error) {
	var w where
	w.eq("oid_partner", q.OidPartner)
	return list(ctx, t, "refunds", scanRefund, `SELECT `+refundCols+` FROM refunds`, &w,
		`created_at DESC, oid_refundno DESC`, q)
}
