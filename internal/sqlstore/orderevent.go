package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/llgate/llgate"
)

// orderEventRows is the most events one InsertOrderEvent statement
// carries; a use case writes one to three, Settle up to a batch of
// closings.
const orderEventRows = 8

// orderEventInsert[n] inserts n events; only these few texts exist, each
// prepared once per connection.
var orderEventInsert = func() map[int]string {
	m := map[int]string{}
	for n := 1; n <= orderEventRows; n++ {
		var b strings.Builder
		b.WriteString(`INSERT INTO order_events (oid_paybill, oid_partner, at, status, note) VALUES `)
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			k := 5 * i
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5)
		}
		m[n] = b.String()
	}
	return m
}()

// InsertOrderEvent appends es, in order: their seq, which orders an
// order's history, increases in VALUES order.
func (t *Tx) InsertOrderEvent(ctx context.Context, es ...*llgate.OrderEvent) error {
	for len(es) > 0 {
		n := min(len(es), orderEventRows)
		args := make([]any, 0, 5*n)
		for _, e := range es[:n] {
			args = append(args, e.OidPaybill, e.OidPartner, ms(e.At), e.Status, e.Note)
		}
		if _, err := t.exec(ctx, orderEventInsert[n], args...); err != nil {
			return fmt.Errorf("insert order events of %s: %w", es[0].OidPaybill, err)
		}
		es = es[n:]
	}
	return nil
}

// OrderEvents returns an order's history in the order it was written.
func (t *Tx) OrderEvents(ctx context.Context, oidPaybill string) ([]llgate.OrderEvent, error) {
	es, err := queryAll(ctx, t, func(s scanner) (llgate.OrderEvent, error) {
		var (
			e  llgate.OrderEvent
			at int64
		)
		err := s.Scan(&e.OidPaybill, &e.OidPartner, &at, &e.Status, &e.Note)
		e.At = fromMS(at)
		return e, err
	}, `SELECT oid_paybill, oid_partner, at, status, note FROM order_events
		WHERE oid_paybill = $1 ORDER BY seq`, oidPaybill)
	if err != nil {
		return nil, fmt.Errorf("events of order %s: %w", oidPaybill, err)
	}
	return es, nil
}
