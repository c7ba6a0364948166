package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// newOrder returns a WAITING order of person-1 with every field set.
func newOrder(oidPaybill, oid, noOrder string) *llgate.Order {
	return &llgate.Order{
		OidPaybill:  oidPaybill,
		OidPartner:  oid,
		NoOrder:     noOrder,
		DtOrder:     "20261122093015",
		UserID:      "user-1",
		Scope:       "m:" + oid,
		PersonFP:    "person-1",
		NoAgree:     "2026112200000001",
		CardFP:      "card-1",
		CardMask:    "622208*********0000",
		BankCode:    "01020000",
		CardType:    "2",
		PayType:     "D",
		BusiPartner: "101001",
		Amount:      5544,
		MoneyOrder:  "55.44",
		SignType:    llgate.SignRSA,
		NotifyURL:   "https://merchant.example/notify?x=1",
		Status:      llgate.OrderWaiting,
		Memo:        "memo",
		RequestHash: "hash-of-the-apply",
		Token:       "token-1",
		Sealed:      []byte{0x00, 0x01, 0xfe, 0xff},
		ValidUntil:  at(30 * time.Minute),
		SettleAt:    at(time.Minute),
		SettleDate:  "20261122",
		CountedAt:   at(time.Second),
		PaidAt:      at(2 * time.Second),
		Refunded:    44,
		CreatedAt:   at(0),
		UpdatedAt:   at(3 * time.Second),
	}
}

func insertOrders(t *testing.T, s llgate.Store, os ...*llgate.Order) {
	t.Helper()
	update(t, s, func(tx llgate.Tx) error {
		for _, o := range os {
			if err := tx.InsertOrder(t.Context(), o); err != nil {
				return err
			}
		}
		return nil
	})
}

func getOrder(t *testing.T, s llgate.Store, oidPaybill string) *llgate.Order {
	t.Helper()
	var o *llgate.Order
	view(t, s, func(tx llgate.Tx) (err error) {
		o, err = tx.Order(t.Context(), oidPaybill)
		return err
	})
	return o
}

func getOrderByNo(t *testing.T, s llgate.Store, oid, noOrder string) *llgate.Order {
	t.Helper()
	var o *llgate.Order
	view(t, s, func(tx llgate.Tx) (err error) {
		o, err = tx.OrderByNo(t.Context(), oid, noOrder)
		return err
	})
	return o
}

func paybills(os []*llgate.Order) []string {
	out := []string{}
	for _, o := range os {
		out = append(out, o.OidPaybill)
	}
	return out
}

func testOrder(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		want := newOrder("pay-1", oidA, "order-1")
		everyFieldSet(t, want)
		insertOrders(t, s, want)
		if got := getOrder(t, s, "pay-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("Order after insert:\ngot  %+v\nwant %+v", got, want)
		}
		if got := getOrderByNo(t, s, oidA, "order-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("OrderByNo after insert:\ngot  %+v\nwant %+v", got, want)
		}

		// Every field but the keys and CreatedAt changes; amounts beyond
		// 32 bits survive.
		want = &llgate.Order{
			OidPaybill:  "pay-1",
			OidPartner:  oidA,
			NoOrder:     "order-1",
			DtOrder:     "20261123000000",
			UserID:      "user-2",
			Scope:       scopeP,
			PersonFP:    "person-2",
			NoAgree:     "2026112200000002",
			CardFP:      "card-2",
			CardMask:    "438088*********1111",
			BankCode:    "03080000",
			CardType:    "3",
			PayType:     "P",
			BusiPartner: "109001",
			Amount:      1 << 40,
			MoneyOrder:  "10995116277.76",
			SignType:    llgate.SignSHA256,
			NotifyURL:   "https://merchant.example/other",
			Status:      llgate.OrderSuccess,
			Memo:        "issuer message",
			RequestHash: "other-hash",
			Token:       "token-2",
			Sealed:      []byte("resealed"),
			ValidUntil:  at(time.Hour),
			SettleAt:    at(2 * time.Hour),
			SettleDate:  "20261123",
			CountedAt:   at(3 * time.Hour),
			PaidAt:      at(4 * time.Hour),
			Refunded:    1<<40 - 1,
			CreatedAt:   at(0),
			UpdatedAt:   at(5 * time.Hour),
		}
		everyFieldSet(t, want)
		everyFieldDiffers(t, want, newOrder("pay-1", oidA, "order-1"), "OidPaybill", "OidPartner", "NoOrder", "CreatedAt")
		changed := *want
		changed.CreatedAt = at(-time.Hour)
		update(t, s, func(tx llgate.Tx) error { return tx.UpdateOrder(t.Context(), &changed) })
		if got := getOrder(t, s, "pay-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after update:\ngot  %+v\nwant %+v", got, want)
		}

		// The merchant's key stays as inserted.
		moved := *want
		moved.OidPartner, moved.NoOrder = oidB, "order-9"
		update(t, s, func(tx llgate.Tx) error { return tx.UpdateOrder(t.Context(), &moved) })
		if got := getOrderByNo(t, s, oidA, "order-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after an update of the keys:\ngot  %+v\nwant %+v", got, want)
		}

		// Zero values round-trip.
		want = &llgate.Order{OidPaybill: "pay-1", OidPartner: oidA, NoOrder: "order-1", CreatedAt: at(0)}
		update(t, s, func(tx llgate.Tx) error { return tx.UpdateOrder(t.Context(), want) })
		if got := getOrder(t, s, "pay-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after zeroing:\ngot  %+v\nwant %+v", got, want)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		insertOrders(t, s, newOrder("pay-1", oidA, "order-1"))

		// Both keys, in one transaction that goes on after each conflict.
		update(t, s, func(tx llgate.Tx) error {
			if err := tx.InsertOrder(ctx, newOrder("pay-1", oidB, "order-2")); !errors.Is(err, llgate.ErrConflict) {
				t.Errorf("taken oid_paybill: got %v, want ErrConflict", err)
			}
			if err := tx.InsertOrder(ctx, newOrder("pay-2", oidA, "order-1")); !errors.Is(err, llgate.ErrConflict) {
				t.Errorf("taken no_order: got %v, want ErrConflict", err)
			}
			// no_order is unique per merchant only.
			return tx.InsertOrder(ctx, newOrder("pay-3", oidB, "order-1"))
		})
		if got, want := getOrder(t, s, "pay-1"), newOrder("pay-1", oidA, "order-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after conflicts:\ngot  %+v\nwant %+v", got, want)
		}
		if got, want := getOrderByNo(t, s, oidB, "order-1").OidPaybill, "pay-3"; got != want {
			t.Fatalf("order-1 of oidB: got %s, want %s", got, want)
		}

		// In a transaction of its own, as a caller would do it.
		err := s.Update(ctx, func(tx llgate.Tx) error { return tx.InsertOrder(ctx, newOrder("pay-4", oidA, "order-1")) })
		if !errors.Is(err, llgate.ErrConflict) {
			t.Fatalf("taken no_order: got %v, want ErrConflict", err)
		}
		err = s.View(ctx, func(tx llgate.Tx) error {
			_, err := tx.Order(ctx, "pay-4")
			return err
		})
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Fatalf("pay-4: got %v, want ErrNotFound", err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		insertOrders(t, s, newOrder("pay-1", oidA, "order-1"))
		for name, fn := range map[string]func(tx llgate.Tx) error{
			"Order": func(tx llgate.Tx) error {
				_, err := tx.Order(ctx, "missing")
				return err
			},
			"OrderByNo": func(tx llgate.Tx) error {
				_, err := tx.OrderByNo(ctx, oidA, "missing")
				return err
			},
			"OrderByNoOtherMerchant": func(tx llgate.Tx) error {
				_, err := tx.OrderByNo(ctx, oidB, "order-1")
				return err
			},
		} {
			if err := s.View(ctx, fn); !errors.Is(err, llgate.ErrNotFound) {
				t.Errorf("%s in View: got %v, want ErrNotFound", name, err)
			}
			if err := s.Update(ctx, fn); !errors.Is(err, llgate.ErrNotFound) {
				t.Errorf("%s in Update: got %v, want ErrNotFound", name, err)
			}
		}
		err := s.Update(ctx, func(tx llgate.Tx) error { return tx.UpdateOrder(ctx, newOrder("missing", oidA, "order-1")) })
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("UpdateOrder: got %v, want ErrNotFound", err)
		}
	})

	t.Run("Spent", func(t *testing.T) { testSpent(t, open) })
	t.Run("LockPerson", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		// Taking the lock again, or in a later transaction, is no error.
		for range 2 {
			update(t, s, func(tx llgate.Tx) error {
				for _, p := range []string{"person-1", "person-1", "person-2"} {
					if err := tx.LockPerson(ctx, oidA, p); err != nil {
						return err
					}
				}
				return tx.LockPerson(ctx, oidB, "person-1")
			})
		}
	})
	t.Run("DueOrders", func(t *testing.T) { testDueOrders(t, open) })
	t.Run("SettledOrders", func(t *testing.T) { testSettledOrders(t, open) })
}

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
