package llgate

import (
	"context"
	"time"
)

// ListQuery selects a page of a list the console shows, newest first.
type ListQuery struct {
	OidPartner string // "" = every merchant
	UserID     string // agreements only
	Status     string // payments only: result_pay ("" = any)
	Offset     int
	Limit      int // rows wanted; the use case asks the store for Limit+1 to know whether more follow
}

// Page sizes: what a page shows when the caller asks for none, and the
// most it shows.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// page normalizes q for a store read of one row more than the page shows,
// and returns how many rows the page shows.
func (q ListQuery) page() (ListQuery, int) {
	n := q.Limit
	switch {
	case n <= 0:
		n = DefaultPageSize
	case n > MaxPageSize:
		n = MaxPageSize
	}
	q.Offset = max(q.Offset, 0)
	q.Limit = n + 1
	return q, n
}

// listPage reads the page q selects through list and says whether more
// rows follow it.
func listPage[T any](ctx context.Context, s Store, q ListQuery, list func(tx Tx, q ListQuery) ([]T, error)) ([]T, bool, error) {
	q, n := q.page()
	rows, err := view(ctx, s, func(tx Tx) ([]T, error) { return list(tx, q) })
	if err != nil {
		return nil, false, err
	}
	if len(rows) > n {
		return rows[:n], true, nil
	}
	return rows, false, nil
}

// Browse is what the console reads: the lists of agreements, payments and
// refunds, and a payment with its history. It changes nothing.
type Browse struct{ Store Store }

// Agreements returns a page of agreements, newest first (created_at, then
// no_agree, descending), of the merchant that bound them (q.OidPartner, ""
// = all) and, with q.UserID, of one user; more says whether more follow.
func (b *Browse) Agreements(ctx context.Context, q ListQuery) (rows []*Agreement, more bool, err error) {
	return listPage(ctx, b.Store, q, func(tx Tx, q ListQuery) ([]*Agreement, error) { return tx.ListAgreements(ctx, q) })
}

// Payments returns a page of orders, newest first (created_at, then
// oid_paybill, descending), of one merchant or all, in one state
// (q.Status, as result_pay reads it) or any.
func (b *Browse) Payments(ctx context.Context, q ListQuery) ([]*Order, bool, error) {
	return listPage(ctx, b.Store, q, func(tx Tx, q ListQuery) ([]*Order, error) { return tx.ListOrders(ctx, q) })
}

// Refunds returns a page of refunds, newest first (created_at, then
// oid_refundno, descending), of one merchant or all.
func (b *Browse) Refunds(ctx context.Context, q ListQuery) ([]*Refund, bool, error) {
	return listPage(ctx, b.Store, q, func(tx Tx, q ListQuery) ([]*Refund, error) { return tx.ListRefunds(ctx, q) })
}

// PaymentView is a payment with what happened to it.
type PaymentView struct {
	Order   *Order
	Events  []OrderEvent // oldest first
	Refunds []*Refund    // oldest first
}

// Payment returns a payment, its history and its refunds, read in one
// snapshot; ErrNotFound when there is no such order.
func (b *Browse) Payment(ctx context.Context, oidPaybill string) (*PaymentView, error) {
	return view(ctx, b.Store, func(tx Tx) (*PaymentView, error) {
		o, err := tx.Order(ctx, oidPaybill)
		if err != nil {
			return nil, err
		}
		v := &PaymentView{Order: o}
		if v.Events, err = tx.OrderEvents(ctx, oidPaybill); err != nil {
			return nil, err
		}
		if v.Refunds, err = tx.RefundsOf(ctx, oidPaybill); err != nil {
			return nil, err
		}
		return v, nil
	})
}

// OrderEvent is one step in a payment's history, written in the same
// transaction as the change it records, by the use case that makes it.
type OrderEvent struct {
	OidPaybill string
	OidPartner string // the order's merchant (a reset goes by it)
	At         time.Time
	Status     string // the order's result_pay after the event
	// Note says what happened, for people: "applied", "verified,
	// charging", "issuer declined: 6001 ...", "closed by valid_order",
	// "refund R settled (state 2)", "refunded in full". Never personal
	// data.
	Note string
}

// newEvent is an event of o in its current state. Notes are made of
// llgate's own words and the merchant's identifiers; outside text (an
// issuer's message) is masked where it is put in (chargeNote).
func newEvent(o *Order, at time.Time, note string) *OrderEvent {
	return &OrderEvent{OidPaybill: o.OidPaybill, OidPartner: o.OidPartner, At: at, Status: o.Status, Note: note}
}

// Event notes the use cases write.
const (
	noteApplied   = "applied"
	noteNewToken  = "new token"
	noteVerified  = "verified, charging"
	noteClosed    = "closed by valid_order"
	noteRefunded  = "refunded in full"
	noteProcessed = "issuer answered processing (2008)"
)

// refundNote is a refund's event note: "refund R applied: 3.00", "refund R
// settled (state 2)", "refund R failed (state 3)"; R is the merchant's
// no_refund.
func refundNote(f *Refund, what string) string { return "refund " + f.NoRefund + " " + what }

// chargeNote says what the issuer's answer to a charge did to the order;
// byClock when the clock asked (Settle), not a verify.
func chargeNote(o *Order, declined *Error, byClock bool) string {
	var note string
	switch {
	case declined != nil:
		note = "issuer declined: " + declined.Code
		if declined.Detail != "" {
			note += " " + MaskText(declined.Detail)
		}
	case o.Status == OrderProcessing:
		note = noteProcessed
	default:
		note = "paid, settle_date " + o.SettleDate
	}
	if byClock {
		note = "by the clock: " + note
	}
	return note
}
