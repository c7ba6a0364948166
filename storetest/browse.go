package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// newEvent is an event of o in its current state.
func newEvent(o *llgate.Order, when time.Time, note string) *llgate.OrderEvent {
	return &llgate.OrderEvent{OidPaybill: o.OidPaybill, OidPartner: o.OidPartner, At: when, Status: o.Status, Note: note}
}

// The console's lists: newest first, one merchant or all, filters, pages.
// Rows created in the same millisecond come in descending key order; keys
// are digit strings of one length, which every collation sorts alike.
func testBrowse(t *testing.T, open Opener) {
	t.Run("Agreements", func(t *testing.T) {
		s := parallel(t, open)
		mk := func(n int, oid, scope, user string, created time.Duration) *llgate.Agreement {
			a := newAgreement(fmt.Sprintf("20261122%08d", n), scope, user, fmt.Sprintf("card-%d", n))
			a.OidPartner, a.CreatedAt = oid, at(created)
			return a
		}
		a := []*llgate.Agreement{
			mk(0, oidA, "m:"+oidA, "u1", 0),
			mk(1, oidA, "m:"+oidA, "u2", time.Second),
			mk(2, oidB, "m:"+oidB, "u1", 2*time.Second),
			mk(3, oidA, "p:shared", "u1", 2*time.Second), // same time as 2: the greater no_agree first
			mk(4, oidB, "p:shared", "u2", 3*time.Second),
		}
		a[1].Status, a[1].UnboundAt = llgate.AgreementUnbound, at(time.Minute) // unbound ones are listed too
		insertAgreements(t, s, a...)
		checkPages(t, s, llgate.Tx.ListAgreements, func(a *llgate.Agreement) string { return a.NoAgree }, []page[llgate.ListQuery, *llgate.Agreement]{
			{"All", llgate.ListQuery{}, []*llgate.Agreement{a[4], a[3], a[2], a[1], a[0]}},
			{"Merchant", llgate.ListQuery{OidPartner: oidA}, []*llgate.Agreement{a[3], a[1], a[0]}},
			{"MerchantAndUser", llgate.ListQuery{OidPartner: oidA, UserID: "u1"}, []*llgate.Agreement{a[3], a[0]}},
			{"UserOfEveryMerchant", llgate.ListQuery{UserID: "u1"}, []*llgate.Agreement{a[3], a[2], a[0]}},
			{"Page", llgate.ListQuery{Offset: 1, Limit: 2}, []*llgate.Agreement{a[3], a[2]}},
			{"OffsetNoLimit", llgate.ListQuery{OidPartner: oidA, Offset: 2}, []*llgate.Agreement{a[0]}},
			{"PastTheEnd", llgate.ListQuery{OidPartner: oidB, Offset: 2, Limit: 5}, nil},
			{"NoSuchMerchant", llgate.ListQuery{OidPartner: oidC}, nil},
		})
	})

	t.Run("Orders", func(t *testing.T) {
		s := parallel(t, open)
		mk := func(n int, oid, status string, created time.Duration) *llgate.Order {
			o := newOrder(fmt.Sprintf("20261122%08d", n), oid, fmt.Sprintf("order-%d", n))
			o.Status, o.CreatedAt = status, at(created)
			return o
		}
		o := []*llgate.Order{
			mk(0, oidA, llgate.OrderSuccess, 0),
			mk(1, oidB, llgate.OrderSuccess, time.Second),
			mk(2, oidA, llgate.OrderFailure, 2*time.Second),
			mk(3, oidA, llgate.OrderSuccess, 2*time.Second),
			mk(4, oidA, llgate.OrderWaiting, 3*time.Second),
		}
		insertOrders(t, s, o...)
		checkPages(t, s, llgate.Tx.ListOrders, func(o *llgate.Order) string { return o.OidPaybill }, []page[llgate.ListQuery, *llgate.Order]{
			{"All", llgate.ListQuery{}, []*llgate.Order{o[4], o[3], o[2], o[1], o[0]}},
			{"Merchant", llgate.ListQuery{OidPartner: oidA}, []*llgate.Order{o[4], o[3], o[2], o[0]}},
			{"Status", llgate.ListQuery{Status: llgate.OrderSuccess}, []*llgate.Order{o[3], o[1], o[0]}},
			{"MerchantAndStatus", llgate.ListQuery{OidPartner: oidA, Status: llgate.OrderSuccess}, []*llgate.Order{o[3], o[0]}},
			{"Page", llgate.ListQuery{OidPartner: oidA, Offset: 1, Limit: 2}, []*llgate.Order{o[3], o[2]}},
			{"OffsetNoLimit", llgate.ListQuery{Offset: 4}, []*llgate.Order{o[0]}},
			{"PastTheEnd", llgate.ListQuery{Status: llgate.OrderFailure, Offset: 1}, nil},
		})
	})

	t.Run("Refunds", func(t *testing.T) {
		s := parallel(t, open)
		mk := func(n int, oid string, created time.Duration) *llgate.Refund {
			r := newRefund(fmt.Sprintf("20261122%08d", n), oid, fmt.Sprintf("refund-%d", n))
			r.CreatedAt = at(created)
			return r
		}
		r := []*llgate.Refund{mk(0, oidA, 0), mk(1, oidB, time.Second), mk(2, oidA, time.Second), mk(3, oidA, 2*time.Second)}
		insertRefunds(t, s, r...)
		checkPages(t, s, llgate.Tx.ListRefunds, func(r *llgate.Refund) string { return r.OidRefundno }, []page[llgate.ListQuery, *llgate.Refund]{
			{"All", llgate.ListQuery{}, []*llgate.Refund{r[3], r[2], r[1], r[0]}},
			{"Merchant", llgate.ListQuery{OidPartner: oidA}, []*llgate.Refund{r[3], r[2], r[0]}},
			{"Page", llgate.ListQuery{Offset: 1, Limit: 2}, []*llgate.Refund{r[2], r[1]}},
			{"PastTheEnd", llgate.ListQuery{OidPartner: oidB, Offset: 1, Limit: 1}, nil},
		})
	})

	t.Run("OrderEvents", func(t *testing.T) {
		s := parallel(t, open)
		a, b := newOrder("2026112200000001", oidA, "order-1"), newOrder("2026112200000002", oidB, "order-2")
		insertOrders(t, s, a, b)
		var want []llgate.OrderEvent
		update(t, s, func(tx llgate.Tx) error {
			ctx := t.Context()
			// One at a time, interleaved with another order's.
			if err := tx.InsertOrderEvent(ctx, newEvent(a, at(0), "applied")); err != nil {
				return err
			}
			if err := tx.InsertOrderEvent(ctx, newEvent(b, at(0), "applied")); err != nil {
				return err
			}
			// Many in one call (more than one statement carries), in one
			// millisecond, and one whose time runs back (another
			// replica's clock): the order is the order they were written.
			var many []*llgate.OrderEvent
			for i := range 11 {
				e := newEvent(a, at(time.Second), fmt.Sprintf("step %d", i))
				e.Status = []string{llgate.OrderProcessing, llgate.OrderSuccess}[i%2]
				many = append(many, e)
			}
			many[10].At = at(time.Millisecond)
			if err := tx.InsertOrderEvent(ctx, many...); err != nil {
				return err
			}
			want = append(want, *newEvent(a, at(0), "applied"))
			for _, e := range many {
				want = append(want, *e)
			}
			// Two orders' events in one call, as Settle writes them.
			mixed := []*llgate.OrderEvent{newEvent(a, at(time.Minute), "a1"), newEvent(b, at(time.Minute), "b1"),
				newEvent(a, at(time.Minute), "a2")}
			if err := tx.InsertOrderEvent(ctx, mixed...); err != nil {
				return err
			}
			want = append(want, *mixed[0], *mixed[2])
			// The transaction reads its own events.
			got, err := tx.OrderEvents(ctx, a.OidPaybill)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("inside the transaction:\ngot  %+v\nwant %+v", got, want)
			}
			return tx.InsertOrderEvent(ctx) // none: nothing to do
		})
		view(t, s, func(tx llgate.Tx) error {
			got, err := tx.OrderEvents(t.Context(), a.OidPaybill)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("order a:\ngot  %+v\nwant %+v", got, want)
			}
			if got, err = tx.OrderEvents(t.Context(), b.OidPaybill); err != nil {
				return err
			}
			if want := []llgate.OrderEvent{*newEvent(b, at(0), "applied"), *newEvent(b, at(time.Minute), "b1")}; !reflect.DeepEqual(got, want) {
				t.Errorf("order b:\ngot  %+v\nwant %+v", got, want)
			}
			if got, err = tx.OrderEvents(t.Context(), "2026112200000009"); err != nil || len(got) != 0 {
				t.Errorf("no such order: got %+v, %v; want none", got, err)
			}
			return nil
		})
	})

	t.Run("NotificationPages", func(t *testing.T) {
		s := parallel(t, open)
		var ns []*llgate.Notification
		for i := range 5 {
			n := newNotification(fmt.Sprintf("n-%d", i), []string{oidA, oidB}[i%3/2], fmt.Sprintf("order-%d", i))
			n.CreatedAt = at(time.Duration(i/2) * time.Second) // pairs in one millisecond: the later insert first
			ns = append(ns, n)
		}
		insertNotifications(t, s, ns...) // oidA: 0, 1, 3, 4; oidB: 2
		checkPages(t, s, llgate.Tx.Notifications, func(n *llgate.Notification) string { return n.ID }, []page[llgate.NotificationFilter, *llgate.Notification]{
			{"Page", llgate.NotificationFilter{Offset: 1, Limit: 3}, []*llgate.Notification{ns[3], ns[2], ns[1]}},
			{"Merchant", llgate.NotificationFilter{OidPartner: oidA, Offset: 1, Limit: 2}, []*llgate.Notification{ns[3], ns[1]}},
			{"OffsetNoLimit", llgate.NotificationFilter{OidPartner: oidA, Offset: 3}, []*llgate.Notification{ns[0]}},
			{"PastTheEnd", llgate.NotificationFilter{OidPartner: oidB, Offset: 1}, nil},
		})
	})
}

// page is one page of a list: its query and the rows it holds.
type page[Q, T any] struct {
	name string
	q    Q
	want []T
}

// checkPages reads each page through list and compares it with its rows,
// which key names in the failure message.
func checkPages[Q, T any](t *testing.T, s llgate.Store, list func(tx llgate.Tx, ctx context.Context, q Q) ([]T, error), key func(T) string, pages []page[Q, T]) {
	t.Helper()
	keys := func(rows []T) []string {
		var out []string
		for _, r := range rows {
			out = append(out, key(r))
		}
		return out
	}
	for _, p := range pages {
		var got []T
		view(t, s, func(tx llgate.Tx) (err error) {
			got, err = list(tx, t.Context(), p.q)
			return err
		})
		if !reflect.DeepEqual(got, p.want) {
			t.Errorf("%s:\ngot  %v\nwant %v", p.name, keys(got), keys(p.want))
		}
	}
}
