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
// prepared once per connection. An event's seq is one past the order's
// last, plus its place among the statement's events of that order: a
// statement may not see its own rows (PostgreSQL does not), and a gap in
// seq is harmless, it only orders.
var orderEventInsert = func() map[int]string {
	m := map[int]string{}
	for n := 1; n <= orderEventRows; n++ {
		var b strings.Builder
		b.WriteString(`INSERT INTO order_events (oid_paybill, seq, oid_partner, at, status, note) VALUES `)
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			k := orderEventCols * i
			fmt.Fprintf(&b, "($%d, (SELECT COALESCE(MAX(seq), 0) FROM order_events WHERE oid_paybill = $%d) + $%d, $%d, $%d, $%d, $%d)",
				k+1, k+1, k+2, k+3, k+4, k+5, k+6)
		}
		m[n] = b.String()
	}
	return m
}()

// orderEventCols is the number of values an event inserts.
const orderEventCols = 6

// InsertOrderEvent appends es to their orders' histories, in order. The
// caller holds each order's lock, so no other transaction numbers the
// same order's events meanwhile (a collision would be ErrConflict).
func (t *Tx) InsertOrderEvent(ctx context.Context, es ...*llgate.OrderEvent) error {
	for len(es) > 0 {
		n := min(len(es), orderEventRows)
		args := make([]any, 0, orderEventCols*n)
		for i, e := range es[:n] {
			place := int64(1)
			for _, before := range es[:i] {
				if before.OidPaybill == e.OidPaybill {
					place++
				}
			}
			args = append(args, e.OidPaybill, place, e.OidPartner, ms(e.At), e.Status, e.Note)
		}
		// A later chunk's MAX(seq) sees the earlier chunks' rows: places
		// count within the chunk.
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
