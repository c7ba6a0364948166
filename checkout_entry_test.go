package llgate_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
)

// entry is a checkout entry of m for no_order no (pay_type M, 1.00).
func entry(m *llgate.Merchant, no string) *llgate.CheckoutEntry {
	return &llgate.CheckoutEntry{
		Merchant: m,
		Checkout: llgate.Checkout{
			OidPartner: m.OidPartner, NoOrder: no, Flavour: llgate.FlavourWEB, Route: "/payment/bankgateway.htm",
			UserID: "u1", Scope: m.OidPartner, DtOrder: "20261122100000", BusiPartner: "101001", Amount: 100,
			MoneyOrder: "1.00", NotifyURL: "http://127.0.0.1:1/n", PayType: "M", SignType: llgate.SignRSA,
			RequestHash: "entry-" + no, ValidOrder: time.Hour,
		},
		Secret: llgate.CheckoutSecret{NameGoods: "goods"},
	}
}

// TestCheckoutEntryOrder: the entry's order is card-less and WAITING; an
// apply without Attach (MPAY, direct API) cannot take it (1002), nor can an
// entry take the no_order of an apply (1002); concurrent code steps attach
// one card to the one order, which keeps its number, creation and
// valid_order.
func TestCheckoutEntryOrder(t *testing.T) {
	bothStores(t, func(t *testing.T, e *payEnv) {
		ctx := context.Background()
		m := e.merchant("201408071000000005")
		co, err := e.app.Checkouts.Open(ctx, entry(m, "co-1"))
		if err != nil {
			t.Fatal(err)
		}
		entered, _, err := e.app.Payments.Query(ctx, m.OidPartner, "co-1", "", "")
		if err != nil {
			t.Fatal(err)
		}
		if !entered.CardLess() || entered.Status != llgate.OrderWaiting || entered.OidPaybill != co.OidPaybill ||
			entered.Product != llgate.PayProductEasypay || entered.PayType != "M" || entered.Token != "" ||
			!entered.ValidUntil.Equal(co.ExpiresAt.Truncate(time.Millisecond)) {
			t.Fatalf("the entry's order: %+v", entered)
		}

		// The JSON applies cannot take it, whatever their product and hash.
		for _, product := range []string{llgate.PayProductMPAY, llgate.PayProductEasypay} {
			_, err := e.applyNo(m, product, "2", debitCard(t, 91), "co-1", entered.RequestHash)
			wantErrCode(t, product+" apply of the entry's no_order", err, llgate.CodeDuplicateOrder)
		}
		// An entry cannot take an apply's no_order.
		if _, err := e.applyNo(m, llgate.PayProductMPAY, "2", debitCard(t, 92), "co-2", "h-2"); err != nil {
			t.Fatal(err)
		}
		_, err = e.app.Checkouts.Open(ctx, entry(m, "co-2"))
		wantErrCode(t, "entry of an apply's no_order", err, llgate.CodeDuplicateOrder)

		// Concurrent code steps: one card, one order.
		if _, err := e.app.Checkouts.Card(ctx, co.Token, testCard(t, "622202", 19, 93), ""); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		got := make([]*llgate.Order, 4)
		errs := make([]error, 4)
		for i := range got {
			wg.Go(func() {
				got[i], errs[i] = e.app.Checkouts.SendCode(ctx, m, &llgate.CheckoutCode{Token: co.Token, Holder: holder})
			})
		}
		wg.Wait()
		for i := range got {
			if errs[i] != nil {
				t.Fatalf("code step %d: %v", i, errs[i])
			}
			if got[i].OidPaybill != co.OidPaybill {
				t.Fatalf("code step %d made order %s, want %s", i, got[i].OidPaybill, co.OidPaybill)
			}
		}
		v, err := e.app.Browse.Payment(ctx, co.OidPaybill)
		if err != nil {
			t.Fatal(err)
		}
		o := v.Order
		if o.CardLess() || o.Token == "" || o.CardType != "2" || o.Status != llgate.OrderWaiting ||
			!o.CreatedAt.Equal(entered.CreatedAt) || !o.ValidUntil.Equal(entered.ValidUntil) {
			t.Fatalf("the order after the code steps: %+v", o)
		}
		applied := 0
		for _, ev := range v.Events {
			if ev.Note == "applied" {
				applied++
			}
		}
		if len(v.Events) == 0 || v.Events[0].Note != "opened at the checkout entry" || applied != 1 {
			t.Fatalf("events: %+v, want the entry's then one apply", v.Events)
		}
		// It pays with the newest token, and is the checkout's.
		if _, err := e.app.Checkouts.Pay(ctx, m, co.Token, "123456"); err != nil {
			t.Fatal(err)
		}
		cv, err := e.app.Checkouts.Get(ctx, co.Token)
		if err != nil || cv.State != llgate.CheckoutSuccess || cv.Order.OidPaybill != co.OidPaybill {
			t.Fatalf("checkout after paying: %+v %v", cv, err)
		}
	})
}

// TestCheckoutWithoutOrder: a checkout stored before entries made orders
// (no oid_paybill) still pays: its code step makes the order and ties it.
func TestCheckoutWithoutOrder(t *testing.T) {
	bothStores(t, func(t *testing.T, e *payEnv) {
		ctx := context.Background()
		m := e.merchant("201408071000000006")
		in := entry(m, "old-1")
		co := in.Checkout
		now := e.app.Clock.Now()
		co.Token = llgate.NewToken()
		co.CreatedAt, co.UpdatedAt, co.ExpiresAt = now, now, now.Add(co.ValidOrder)
		plain, _ := json.Marshal(llgate.CheckoutSecret{NameGoods: "goods", CardNo: testCard(t, "622202", 19, 94)})
		var err error
		if co.Sealed, err = e.app.Vault.Seal(ctx, co.OidPartner, llgate.TableCheckouts, co.Token, plain); err != nil {
			t.Fatal(err)
		}
		if err := e.app.Store.Update(ctx, func(tx llgate.Tx) error { return tx.InsertCheckout(ctx, &co) }); err != nil {
			t.Fatal(err)
		}
		if v, err := e.app.Checkouts.Get(ctx, co.Token); err != nil || v.Order != nil || v.State != llgate.CheckoutOpen {
			t.Fatalf("the old checkout: %+v %v", v, err)
		}
		o, err := e.app.Checkouts.SendCode(ctx, m, &llgate.CheckoutCode{Token: co.Token, Holder: holder})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.app.Checkouts.Pay(ctx, m, co.Token, "123456"); err != nil {
			t.Fatal(err)
		}
		v, err := e.app.Checkouts.Get(ctx, co.Token)
		if err != nil || v.State != llgate.CheckoutSuccess || v.Checkout.OidPaybill != o.OidPaybill {
			t.Fatalf("the old checkout after paying: %+v %v", v, err)
		}
	})
}
