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
		Product:     llgate.PayProductMPAY,
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
			Product:     llgate.PayProductEasypay,
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
