package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// newCheckout returns a checkout with every field set.
func newCheckout(token, oid, noOrder string) *llgate.Checkout {
	return &llgate.Checkout{
		Token: token, OidPartner: oid, NoOrder: noOrder, Flavour: llgate.FlavourH5, Route: "/payment.htm",
		UserID: "user-1", Scope: "m:" + oid, DtOrder: "20261122100000", BusiPartner: "101001", Amount: 1234,
		MoneyOrder: "12.34", NotifyURL: "https://merchant.example/notify", URLReturn: "https://merchant.example/return",
		BackURL: "https://merchant.example/back", PayType: "M", SignType: llgate.SignRSA, BgColor: "ff5001",
		FontColor: "000000", SyncNotify: true, FlagModify: true, NoAgree: "2026112200000001",
		RequestHash: "hash-of-the-entry", ValidOrder: 30 * time.Minute, OidPaybill: "pay-1", FailCode: "6001",
		ReturnedAt: at(2 * time.Minute), Sealed: []byte{1, 2, 3}, ExpiresAt: at(30 * time.Minute),
		CreatedAt: at(0), UpdatedAt: at(time.Second),
	}
}

func insertCheckouts(t *testing.T, s llgate.Store, cs ...*llgate.Checkout) {
	t.Helper()
	update(t, s, func(tx llgate.Tx) error {
		for _, c := range cs {
			if err := tx.InsertCheckout(t.Context(), c); err != nil {
				return err
			}
		}
		return nil
	})
}

func getCheckout(t *testing.T, s llgate.Store, token string) *llgate.Checkout {
	t.Helper()
	var c *llgate.Checkout
	view(t, s, func(tx llgate.Tx) (err error) {
		c, err = tx.Checkout(t.Context(), token)
		return err
	})
	return c
}

func listCheckouts(t *testing.T, s llgate.Store, q llgate.CheckoutQuery) []string {
	t.Helper()
	var cs []*llgate.Checkout
	view(t, s, func(tx llgate.Tx) (err error) {
		cs, err = tx.Checkouts(t.Context(), q)
		return err
	})
	var tokens []string
	for _, c := range cs {
		tokens = append(tokens, c.Token)
	}
	return tokens
}

func testCheckout(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		want := newCheckout("T1", oidA, "order-1")
		guardAllSet(t, *want)
		insertCheckouts(t, s, want)
		if got := getCheckout(t, s, "T1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		var byNo *llgate.Checkout
		view(t, s, func(tx llgate.Tx) (err error) {
			byNo, err = tx.CheckoutByOrder(t.Context(), oidA, "order-1")
			return err
		})
		if !reflect.DeepEqual(byNo, want) {
			t.Fatalf("by no_order: got %+v, want %+v", byNo, want)
		}
		upd := newCheckout("T1", oidA, "order-1")
		upd.Flavour, upd.Route, upd.OidPaybill, upd.ReturnedAt = llgate.FlavourWEB, "/payment/bankgateway.htm", "pay-2", at(time.Hour)
		upd.SyncNotify, upd.FlagModify, upd.Sealed, upd.UpdatedAt = false, false, []byte{9}, at(time.Hour)
		update(t, s, func(tx llgate.Tx) error { return tx.UpdateCheckout(t.Context(), upd) })
		if got := getCheckout(t, s, "T1"); !reflect.DeepEqual(got, upd) {
			t.Fatalf("after update: got %+v, want %+v", got, upd)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := parallel(t, open)
		insertCheckouts(t, s, newCheckout("T1", oidA, "order-1"))
		for _, c := range []*llgate.Checkout{newCheckout("T1", oidA, "order-2"), newCheckout("T2", oidA, "order-1")} {
			err := s.Update(t.Context(), func(tx llgate.Tx) error { return tx.InsertCheckout(t.Context(), c) })
			if !errors.Is(err, llgate.ErrConflict) {
				t.Errorf("insert %s/%s: got %v, want ErrConflict", c.Token, c.NoOrder, err)
			}
		}
		insertCheckouts(t, s, newCheckout("T3", oidB, "order-1")) // another merchant's no_order
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := parallel(t, open)
		err := s.View(t.Context(), func(tx llgate.Tx) error { _, err := tx.Checkout(t.Context(), "T9"); return err })
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("Checkout: got %v, want ErrNotFound", err)
		}
		err = s.Update(t.Context(), func(tx llgate.Tx) error { return tx.UpdateCheckout(t.Context(), newCheckout("T9", oidA, "x")) })
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("UpdateCheckout: got %v, want ErrNotFound", err)
		}
	})
	t.Run("List", func(t *testing.T) {
		s := parallel(t, open)
		a1, a2, b1 := newCheckout("A1", oidA, "o1"), newCheckout("A2", oidA, "o2"), newCheckout("B1", oidB, "o1")
		a2.CreatedAt, b1.CreatedAt = at(time.Minute), at(2*time.Minute)
		a1.ReturnedAt, a2.ReturnedAt, b1.ReturnedAt = at(time.Hour), time.Time{}, at(time.Minute)
		insertCheckouts(t, s, a1, a2, b1)
		for _, c := range []struct {
			q    llgate.CheckoutQuery
			want []string
		}{
			{llgate.CheckoutQuery{}, []string{"B1", "A2", "A1"}},
			{llgate.CheckoutQuery{OidPartner: oidA}, []string{"A2", "A1"}},
			{llgate.CheckoutQuery{NoOrder: "o1"}, []string{"B1", "A1"}},
			{llgate.CheckoutQuery{OidPartner: oidA, NoOrder: "o1"}, []string{"A1"}},
			{llgate.CheckoutQuery{Returned: true}, []string{"A1", "B1"}},
			{llgate.CheckoutQuery{Limit: 1}, []string{"B1"}},
		} {
			if got := listCheckouts(t, s, c.q); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%+v: got %v, want %v", c.q, got, c.want)
			}
		}
	})
	t.Run("Reset", func(t *testing.T) {
		s := parallel(t, open)
		fillMerchant(t, s, oidA)
		fillMerchant(t, s, oidB)
		insertCheckouts(t, s, newCheckout("A1", oidA, "o1"), newCheckout("B1", oidB, "o1"))
		update(t, s, func(tx llgate.Tx) error { return tx.Reset(t.Context(), oidA) })
		if got, want := listCheckouts(t, s, llgate.CheckoutQuery{}), []string{"B1"}; !reflect.DeepEqual(got, want) {
			t.Errorf("after reset of A: got %v, want %v", got, want)
		}
		update(t, s, func(tx llgate.Tx) error { return tx.Reset(t.Context(), "") })
		if got := listCheckouts(t, s, llgate.CheckoutQuery{}); len(got) != 0 {
			t.Errorf("after reset of all: got %v, want none", got)
		}
	})
}

// guardAllSet fails when a field of v is its zero value: a field added to
// the type without a column would otherwise round-trip as zero unnoticed.
func guardAllSet(t *testing.T, v any) {
	t.Helper()
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		if rv.Field(i).IsZero() {
			t.Fatalf("%s.%s is zero: set it in the fixture", rv.Type().Name(), rv.Type().Field(i).Name)
		}
	}
}
