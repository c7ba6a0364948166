package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

func testSpent(t *testing.T, open Opener) {
	s := parallel(t, open)
	ctx := t.Context()
	counted := func(paybill, status string, amount llgate.Amount, d time.Duration) *llgate.Order {
		o := newOrder(paybill, oidA, "order-"+paybill)
		o.Status, o.Amount, o.CountedAt = status, amount, at(d)
		return o
	}
	other := counted("other-person", llgate.OrderSuccess, 6400, 0)
	other.PersonFP = "person-2"
	otherMerchant := newOrder("other-merchant", oidB, "order-1")
	otherMerchant.Status, otherMerchant.Amount, otherMerchant.CountedAt = llgate.OrderSuccess, 12800, at(0)
	big1 := counted("big-1", llgate.OrderSuccess, 3_000_000_000, 0)
	big1.PersonFP = "person-big"
	big2 := counted("big-2", llgate.OrderProcessing, 3_000_000_000, 0)
	big2.PersonFP = "person-big"
	insertOrders(t, s,
		counted("success", llgate.OrderSuccess, 100, 0),
		counted("processing", llgate.OrderProcessing, 200, time.Hour),
		counted("refund", llgate.OrderRefund, 400, 2*time.Hour),
		// These never count, whenever they were counted.
		counted("waiting", llgate.OrderWaiting, 800, 2*time.Hour),
		counted("failure", llgate.OrderFailure, 1600, 2*time.Hour),
		counted("closed", llgate.OrderClosed, 3200, 2*time.Hour),
		other, otherMerchant, big1, big2)

	for _, tt := range []struct {
		name          string
		oid, personFP string
		since         time.Time
		want          llgate.Amount
	}{
		{"All", oidA, "person-1", time.Time{}, 700},
		{"SinceFirst", oidA, "person-1", at(0), 700},
		{"AfterFirst", oidA, "person-1", at(time.Millisecond), 600},
		{"SinceSecond", oidA, "person-1", at(time.Hour), 600},
		{"SinceLast", oidA, "person-1", at(2 * time.Hour), 400},
		{"AfterLast", oidA, "person-1", at(2*time.Hour + time.Millisecond), 0},
		{"OtherPerson", oidA, "person-2", time.Time{}, 6400},
		{"OtherMerchant", oidB, "person-1", time.Time{}, 12800},
		{"Beyond32Bits", oidA, "person-big", time.Time{}, 6_000_000_000},
		{"Nobody", oidA, "person-9", time.Time{}, 0},
		{"NoMerchant", oidC, "person-1", time.Time{}, 0},
	} {
		var got llgate.Amount
		view(t, s, func(tx llgate.Tx) (err error) {
			got, err = tx.Spent(ctx, tt.oid, tt.personFP, tt.since)
			return err
		})
		if got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, got, tt.want)
		}
	}

	// Inside Update, under the person's lock, the transaction's own orders
	// count and status changes take effect at once.
	update(t, s, func(tx llgate.Tx) error {
		if err := tx.LockPerson(ctx, oidA, "person-1"); err != nil {
			return err
		}
		if err := tx.InsertOrder(ctx, counted("new", llgate.OrderProcessing, 10_000, 3*time.Hour)); err != nil {
			return err
		}
		o, err := tx.Order(ctx, "processing")
		if err != nil {
			return err
		}
		o.Status = llgate.OrderFailure
		if err := tx.UpdateOrder(ctx, o); err != nil {
			return err
		}
		got, err := tx.Spent(ctx, oidA, "person-1", time.Time{})
		if err != nil {
			return err
		}
		if want := llgate.Amount(10_500); got != want {
			t.Errorf("in Update: got %d, want %d", got, want)
		}
		return nil
	})
}

func testDueOrders(t *testing.T, open Opener) {
	s := parallel(t, open)
	ctx := t.Context()
	now := at(time.Hour)
	waiting := func(paybill string, validUntil time.Duration) *llgate.Order {
		o := newOrder(paybill, oidA, "order-"+paybill)
		o.Status, o.ValidUntil, o.SettleAt = llgate.OrderWaiting, now.Add(validUntil), now.Add(time.Hour)
		return o
	}
	processing := func(paybill string, settleAt time.Duration) *llgate.Order {
		o := newOrder(paybill, oidA, "order-"+paybill)
		o.Status, o.SettleAt, o.ValidUntil = llgate.OrderProcessing, now.Add(settleAt), now.Add(time.Hour)
		return o
	}
	pastAll := func(paybill, status string) *llgate.Order {
		o := newOrder(paybill, oidA, "order-"+paybill)
		o.Status, o.ValidUntil, o.SettleAt = status, now.Add(-time.Hour), now.Add(-time.Hour)
		return o
	}
	// Waiting and processing orders interleave in due order; w-30 and p-30
	// are due at once, so oid_paybill decides.
	otherMerchant := waiting("b-10", -10*time.Minute)
	otherMerchant.OidPartner = oidB
	waitingWrongColumn := waiting("w-settle", time.Minute)
	waitingWrongColumn.SettleAt = now.Add(-time.Hour)
	processingWrongColumn := processing("p-valid", time.Minute)
	processingWrongColumn.ValidUntil = now.Add(-time.Hour)
	insertOrders(t, s,
		waiting("w-30", -30*time.Minute),
		waiting("w-00", 0), // due exactly now
		waiting("w+01", time.Millisecond),
		processing("p-45", -45*time.Minute),
		processing("p-30", -30*time.Minute),
		processing("p+01", time.Millisecond),
		otherMerchant, waitingWrongColumn, processingWrongColumn,
		pastAll("success", llgate.OrderSuccess),
		pastAll("failure", llgate.OrderFailure),
		pastAll("closed", llgate.OrderClosed),
		pastAll("refund", llgate.OrderRefund))
	all := []string{"p-45", "p-30", "w-30", "b-10", "w-00"}

	for _, limit := range []int{0, 1, 2, 3, 5, 6, 100} {
		want := all[:min(limit, len(all))]
		var got []*llgate.Order
		// Inside Update, where it locks, and inside View, where it cannot.
		update(t, s, func(tx llgate.Tx) (err error) {
			got, err = tx.DueOrders(ctx, now, limit)
			return err
		})
		if !reflect.DeepEqual(paybills(got), want) {
			t.Errorf("limit %d in Update: got %v, want %v", limit, paybills(got), want)
		}
		view(t, s, func(tx llgate.Tx) (err error) {
			got, err = tx.DueOrders(ctx, now, limit)
			return err
		})
		if !reflect.DeepEqual(paybills(got), want) {
			t.Errorf("limit %d in View: got %v, want %v", limit, paybills(got), want)
		}
	}
	var got []*llgate.Order
	view(t, s, func(tx llgate.Tx) (err error) {
		got, err = tx.DueOrders(ctx, now, 1)
		return err
	})
	if want := processing("p-45", -45*time.Minute); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("every field:\ngot  %+v\nwant %+v", got, want)
	}
	view(t, s, func(tx llgate.Tx) (err error) {
		got, err = tx.DueOrders(ctx, now.Add(-2*time.Hour), 10)
		return err
	})
	if len(got) != 0 {
		t.Errorf("before anything is due: got %v, want none", paybills(got))
	}
}

func testSettledOrders(t *testing.T, open Opener) {
	s := parallel(t, open)
	ctx := t.Context()
	paid := func(paybill, oid, status string, d time.Duration) *llgate.Order {
		o := newOrder(paybill, oid, "order-"+paybill)
		o.Status, o.PaidAt = status, at(d)
		return o
	}
	insertOrders(t, s,
		paid("s-2", oidA, llgate.OrderSuccess, time.Hour),
		paid("s-0", oidA, llgate.OrderSuccess, 0), // at from: in
		paid("r-1", oidA, llgate.OrderRefund, time.Hour),
		paid("s-1", oidA, llgate.OrderSuccess, time.Hour),
		paid("s-to", oidA, llgate.OrderSuccess, 2*time.Hour),          // at to: out
		paid("s-early", oidA, llgate.OrderSuccess, -time.Millisecond), // before from: out
		paid("waiting", oidA, llgate.OrderWaiting, time.Hour),
		paid("processing", oidA, llgate.OrderProcessing, time.Hour),
		paid("failure", oidA, llgate.OrderFailure, time.Hour),
		paid("closed", oidA, llgate.OrderClosed, time.Hour),
		paid("other", oidB, llgate.OrderSuccess, time.Hour))

	for _, tt := range []struct {
		name     string
		oid      string
		from, to time.Time
		want     []string
	}{
		{"Range", oidA, at(0), at(2 * time.Hour), []string{"s-0", "r-1", "s-1", "s-2"}},
		{"Wider", oidA, at(-time.Hour), at(3 * time.Hour), []string{"s-early", "s-0", "r-1", "s-1", "s-2", "s-to"}},
		{"OneMillisecond", oidA, at(time.Hour), at(time.Hour + time.Millisecond), []string{"r-1", "s-1", "s-2"}},
		{"Empty", oidA, at(time.Hour), at(time.Hour), []string{}},
		{"OtherMerchant", oidB, at(0), at(2 * time.Hour), []string{"other"}},
		{"NoMerchant", oidC, at(0), at(2 * time.Hour), []string{}},
	} {
		var got []*llgate.Order
		view(t, s, func(tx llgate.Tx) (err error) {
			got, err = tx.SettledOrders(ctx, tt.oid, tt.from, tt.to)
			return err
		})
		if !reflect.DeepEqual(paybills(got), tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, paybills(got), tt.want)
		}
	}
	var got []*llgate.Order
	update(t, s, func(tx llgate.Tx) (err error) {
		got, err = tx.SettledOrders(ctx, oidA, at(0), at(time.Millisecond))
		return err
	})
	if want := paid("s-0", oidA, llgate.OrderSuccess, 0); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("every field, in Update:\ngot  %+v\nwant %+v", got, want)
	}
}
