package llgate

import (
	"context"
	"encoding/json"
	"time"
)

// A checkout entry makes its order at once (CONTRACT-easypay-payouts.md
// §4.2: "a valid entry creates the order", result_pay WAITING, a
// pre-authorisation 2003), before the payer has chosen a card. Such an
// order is card-less: no card, no agreement, no token, so nothing can
// verify it, and it counts against no limit. The code step attaches the
// card through the pay apply (PayApply.Attach), which runs every rule of an
// apply and fills the order in place. The clock closes a card-less order
// past valid_order like any WAITING one.

// CardLess says whether the order is a checkout entry's that has no card
// or agreement yet: no card type and no token (the code step sets both).
func (o *Order) CardLess() bool { return o.Token == "" && o.CardType == "" }

// noteOpened is the event of an order made by a checkout entry.
const noteOpened = "opened at the checkout entry"

// entryOrder builds, and seals, the card-less order of a checkout entry:
// the apply's terms (3010, 1004 pay_type), state WAITING, valid until
// now + a.ValidOrder. a.Card and a.NoAgree are not used: the code step
// brings the card. The caller inserts it with insertEntryOrder.
func entryOrder(ctx context.Context, v Vault, a *PayApply, now time.Time) (*Order, error) {
	t, err := a.terms()
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(OrderSecret{InfoOrder: t.InfoOrder, NameGoods: t.NameGoods, RiskItem: t.RiskItem})
	if err != nil {
		return nil, err
	}
	o := &Order{
		OidPaybill: NewOidPaybill(), OidPartner: t.Merchant.OidPartner, NoOrder: t.NoOrder, DtOrder: t.DtOrder,
		UserID: t.UserID, Scope: t.Scope, PayType: t.PayType, BusiPartner: t.BusiPartner, Product: t.Product,
		Amount: t.Amount, MoneyOrder: t.MoneyOrder, SignType: t.SignType, NotifyURL: t.NotifyURL,
		Status: OrderWaiting, RequestHash: t.RequestHash,
		ValidUntil: now.Add(t.ValidOrder), CreatedAt: now, UpdatedAt: now,
	}
	if o.Sealed, err = v.Seal(ctx, o.OidPartner, TableOrders, o.OidPaybill, plain); err != nil {
		return nil, err
	}
	return o, nil
}

// insertEntryOrder writes an entry's order and its first event in tx;
// ErrConflict when the merchant's no_order is taken.
func insertEntryOrder(ctx context.Context, tx Tx, o *Order) error {
	if err := tx.InsertOrder(ctx, o); err != nil {
		return err
	}
	return tx.InsertOrderEvent(ctx, newEvent(o, o.CreatedAt, noteOpened))
}

// attachable checks, before any card rule runs, that a card-less order may
// still take a card: 2006 once valid_order has closed it.
func attachable(o *Order, now time.Time) error {
	if o.Status != OrderWaiting || !now.Before(o.ValidUntil) {
		return Errorf(CodeClosed, "no_order %s was closed by valid_order", o.NoOrder)
	}
	return nil
}

// attach fills the locked card-less order with the card, agreement and
// token of o (built by place from the apply) in place of an insert.
// errRetry when another apply attached a card first (the caller answers
// as a repeat); 2006 when the clock closed it.
func attach(ctx context.Context, tx Tx, o *Order, now time.Time) error {
	cur, err := tx.Order(ctx, o.OidPaybill)
	if err != nil {
		return err
	}
	if !cur.CardLess() {
		return errRetry
	}
	if err := attachable(cur, now); err != nil {
		return err
	}
	return tx.UpdateOrder(ctx, o)
}
