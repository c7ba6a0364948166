package llgate

import (
	"context"
	"errors"
	"time"
)

// Refunds owns refunds: apply, settlement by the clock, query.
type Refunds struct {
	Store    Store
	Vault    Vault
	Clock    Clock
	Issuer   Issuer
	Notices  Notices
	Payments *Payments // cards of orders
	Wake     func()
}

// RefundDelay is how long a refund stays in state 0 before the issuer
// settles it (by the sandbox clock).
const RefundDelay = 5 * time.Minute

// RefundWindow is how long after a payment it may be refunded.
const RefundWindow = 6 // months

// RefundApply is a validated refund apply naming its payment by OidPaybill
// or by NoOrder (and DtOrder when given).
type RefundApply struct {
	Merchant    *Merchant
	NoRefund    string
	DtRefund    string
	Amount      Amount
	MoneyRefund string
	NoOrder     string
	DtOrder     string
	OidPaybill  string
	NotifyURL   string
	SignType    string
	RequestHash string
}

// Apply records a refund in state 0 and reserves its money from the
// merchant's amt_unsettle, then amt_balance (5006 when short; a failed
// refund gives it back); the clock settles it. Refunds pending
// or done never add up to more than the payment. Codes: 5002 (no such
// payment, or another merchant's), 5008 (not paid), 5007 (over the
// refundable amount), 2006 (over 6 months), 1002 (no_refund reused for
// another request; an identical repeat gets the original refund).
func (r *Refunds) Apply(ctx context.Context, a *RefundApply) (*Refund, *Order, error) {
	for attempt := 0; attempt < 3; attempt++ {
		ref, err := view(ctx, r.Store, func(tx Tx) (*Refund, error) { return tx.RefundByNo(ctx, a.Merchant.OidPartner, a.NoRefund) })
		if err == nil {
			if ref.RequestHash != a.RequestHash {
				return nil, nil, Errorf(CodeDuplicateOrder, "no_refund %s was used for another request", a.NoRefund)
			}
			o, err := view(ctx, r.Store, func(tx Tx) (*Order, error) { return tx.Order(ctx, ref.OidPaybill) })
			return ref, o, err
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, nil, err
		}
		var out *Refund
		var order *Order
		now := r.Clock.Now()
		err = r.Store.Update(ctx, func(tx Tx) error {
			o, err := r.lockOrder(ctx, tx, a)
			if err != nil {
				return err
			}
			switch {
			case o.Status != OrderSuccess && o.Status != OrderRefund:
				return Errorf(CodeNotPaid, "the payment is %s", o.Status)
			case now.After(o.PaidAt.AddDate(0, RefundWindow, 0)):
				return Errorf(CodeClosed, "the payment is older than %d months", RefundWindow)
			}
			paid, err := refundable(ctx, tx, o, now)
			if err != nil {
				return err
			}
			refunds, err := tx.RefundsOf(ctx, o.OidPaybill)
			if err != nil {
				return err
			}
			var taken Amount
			for _, f := range refunds {
				if f.Status != RefundFailed {
					taken += f.Amount // pending refunds count too
				}
			}
			if taken+a.Amount > paid {
				return Errorf(CodeOverRefund, "refunds would exceed the payment")
			}
			out = &Refund{
				OidRefundno: NewOidPaybill(), OidPartner: o.OidPartner, NoRefund: a.NoRefund, DtRefund: a.DtRefund,
				OidPaybill: o.OidPaybill, Amount: a.Amount, MoneyRefund: a.MoneyRefund, SignType: a.SignType,
				NotifyURL: a.NotifyURL, Status: RefundApplied, RequestHash: a.RequestHash,
				SettleAt: now.Add(RefundDelay), CreatedAt: now, UpdatedAt: now,
			}
			order = o
			if err := tx.InsertRefund(ctx, out); errors.Is(err, ErrConflict) {
				return errRetry // a concurrent apply took the no_refund: answer as a repeat
			} else if err != nil {
				return err
			}
			if err := ReserveRefund(ctx, tx, now, o.OidPartner, o.OidPaybill, out.OidRefundno, out.Amount); err != nil {
				return err
			}
			return tx.InsertOrderEvent(ctx, newEvent(o, now, refundNote(out, "applied: "+out.MoneyRefund)))
		})
		if errors.Is(err, errRetry) {
			continue
		}
		return out, order, err
	}
	return nil, nil, Errorf(CodeSystem, "refund apply kept racing")
}

// lockOrder finds and locks the refund's payment: 5002 when it is not the
// merchant's.
func (r *Refunds) lockOrder(ctx context.Context, tx Tx, a *RefundApply) (*Order, error) {
	var o *Order
	var err error
	if a.OidPaybill != "" {
		o, err = tx.Order(ctx, a.OidPaybill)
	} else {
		o, err = tx.OrderByNo(ctx, a.Merchant.OidPartner, a.NoOrder)
	}
	if errors.Is(err, ErrNotFound) || err == nil && (o.OidPartner != a.Merchant.OidPartner ||
		a.NoOrder != "" && o.NoOrder != a.NoOrder || a.DtOrder != "" && o.DtOrder != a.DtOrder) {
		return nil, Errorf(CodeNoOriginal, "no such payment")
	}
	return o, err
}

// Query finds a merchant's refund by no_refund (and dt_refund when given),
// or by oid_refundno alone (LianLian's official RefundQueryDemo sends only
// that); both given must name the same refund. Anything else, another
// merchant's refund included, answers 8901.
func (r *Refunds) Query(ctx context.Context, oid, noRefund, dtRefund, oidRefundno string) (*Refund, *Order, error) {
	ref, err := view(ctx, r.Store, func(tx Tx) (*Refund, error) {
		if oidRefundno != "" {
			return tx.Refund(ctx, oidRefundno)
		}
		return tx.RefundByNo(ctx, oid, noRefund)
	})
	if errors.Is(err, ErrNotFound) || err == nil && (ref.OidPartner != oid ||
		noRefund != "" && ref.NoRefund != noRefund || dtRefund != "" && ref.DtRefund != dtRefund) {
		return nil, nil, Errorf(CodeNoRecord, "no such refund")
	}
	if err != nil {
		return nil, nil, err
	}
	o, err := view(ctx, r.Store, func(tx Tx) (*Order, error) { return tx.Order(ctx, ref.OidPaybill) })
	return ref, o, err
}

// Settle asks the issuer about refunds whose time has come and records the
// answer: state 2 (with its notification) or 3. It returns how many it
// handled.
func (r *Refunds) Settle(ctx context.Context) (int, error) {
	now := r.Clock.Now()
	var due []*Refund
	err := r.Store.Update(ctx, func(tx Tx) error {
		var err error
		if due, err = tx.DueRefunds(ctx, now, 100); err != nil {
			return err
		}
		for _, f := range due {
			f.SettleAt = now.Add(settleLease) // other replicas keep off
			if err := tx.UpdateRefund(ctx, f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, f := range due {
		if err := r.settle(ctx, f); err != nil {
			return 0, err
		}
	}
	return len(due), nil
}

func (r *Refunds) settle(ctx context.Context, f *Refund) error {
	o, err := view(ctx, r.Store, func(tx Tx) (*Order, error) { return tx.Order(ctx, f.OidPaybill) })
	if err != nil {
		return err
	}
	secret, err := r.Payments.openOrder(ctx, o)
	if err != nil {
		return err
	}
	card, err := r.Payments.cardOf(ctx, o, secret)
	if err != nil {
		return err
	}
	refusal := r.Issuer.Refund(ctx, Charge{OidPaybill: f.OidRefundno, CardNo: card.CardNo, Amount: f.Amount})
	var refused *Error
	if refusal != nil && !errors.As(refusal, &refused) {
		return nil // the issuer could not be asked: the lease runs out and the clock asks again
	}
	now := r.Clock.Now()
	var n *Notification
	if refused == nil {
		settled := *f
		settled.Status, settled.SettleDate = RefundSuccess, ChinaDate(now)
		md5Key, err := r.Payments.md5KeyOf(ctx, nil, f.SignType, f.OidPartner)
		if err != nil {
			return err
		}
		body, err := r.Notices.SignRefund(&settled, o, f.SignType, md5Key)
		if err != nil {
			return err
		}
		if n, err = r.Payments.notice(ctx, f.OidPartner, NotifyRefund, "", f.NoRefund, f.NotifyURL, body, now); err != nil {
			return err
		}
	}
	err = r.Store.Update(ctx, func(tx Tx) error {
		cur, err := tx.Refund(ctx, f.OidRefundno)
		if err != nil || cur.Status != RefundApplied {
			return err // settled meanwhile
		}
		cur.UpdatedAt = now
		o, err := tx.Order(ctx, cur.OidPaybill)
		if err != nil {
			return err
		}
		if refused != nil {
			cur.Status = RefundFailed
			if err := tx.UpdateRefund(ctx, cur); err != nil {
				return err
			}
			if err := ReverseRefund(ctx, tx, now, cur.OidPartner, cur.OidRefundno); err != nil {
				return err
			}
			return tx.InsertOrderEvent(ctx, newEvent(o, now, refundNote(cur, "failed (state 3)")))
		}
		cur.Status, cur.SettledAt, cur.SettleDate = RefundSuccess, now, ChinaDate(now)
		events := []*OrderEvent{newEvent(o, now, refundNote(cur, "settled (state 2)"))}
		o.Refunded += cur.Amount
		paid := o.Amount
		if o.IsPreauth() { // what its capture took
			if paid, err = refundable(ctx, tx, o, now); err != nil {
				return err
			}
		}
		if o.Refunded >= paid && o.Status != OrderRefund {
			o.Status = OrderRefund
			events = append(events, newEvent(o, now, noteRefunded))
		}
		o.UpdatedAt = now
		if err := tx.UpdateOrder(ctx, o); err != nil {
			return err
		}
		if err := tx.UpdateRefund(ctx, cur); err != nil {
			return err
		}
		if err := tx.InsertOrderEvent(ctx, events...); err != nil {
			return err
		}
		return tx.InsertNotification(ctx, n)
	})
	if err == nil && n != nil && r.Wake != nil {
		r.Wake()
	}
	return err
}

// refundable is what may be refunded of a paid order in all: the amount,
// or for a pre-authorisation the captured amount once the capture is done
// (5008 before).
func refundable(ctx context.Context, tx Tx, o *Order, now time.Time) (Amount, error) {
	if !o.IsPreauth() {
		return o.Amount, nil
	}
	pa, err := tx.Preauth(ctx, o.OidPaybill)
	if errors.Is(err, ErrNotFound) {
		return 0, Errorf(CodeNotPaid, "the authorisation is not captured")
	}
	if err != nil {
		return 0, err
	}
	if PreauthStateAt(o, pa, now) != CaptureOK {
		return 0, Errorf(CodeNotPaid, "the authorisation is not captured")
	}
	return pa.Amount, nil
}
