package llgate

import (
	"context"
	"errors"
	"time"
)

// recoverAfter is when the clock finishes a PROCESSING order whose verify
// did not record the issuer's answer (a crash), and when the 2008 test card
// settles.
const recoverAfter = 5 * time.Minute

// charge asks the issuer about a PROCESSING order and records the answer.
// o is the order as its caller just wrote it (the issuer is asked about it
// and the success prepared from it); the record re-reads it locked.
// verifiedAt is when the customer confirmed it. m is o's merchant, nil if
// the caller does not hold it. byClock: Settle asks, not a verify.
func (p *Payments) charge(ctx context.Context, o *Order, card *Card, secret *OrderSecret, verifiedAt time.Time, m *Merchant, byClock bool) (*Order, error) {
	result, decline := p.Issuer.Charge(ctx, Charge{OidPaybill: o.OidPaybill, CardNo: card.CardNo, Amount: o.Amount, VerifiedAt: verifiedAt})
	var declined *Error
	if decline != nil && !errors.As(decline, &declined) {
		return nil, decline // the issuer could not be asked: the clock will ask again
	}
	var out *Order
	var err error
	for attempt := 0; ; attempt++ {
		now := p.Clock.Now()
		var fin finish
		if decline == nil && result == ChargeSuccess {
			if fin, err = p.prepareSuccess(ctx, o, card, secret, m, now); err != nil {
				return nil, err
			}
		}
		err = p.Store.Update(ctx, func(tx Tx) error {
			locked, err := tx.Order(ctx, o.OidPaybill)
			if err != nil || locked.Status != OrderProcessing {
				out = locked
				return err // finished meanwhile (the clock, another replica)
			}
			out = locked
			return writeCharge(ctx, tx, locked, result, declined, &fin, verifiedAt, now, byClock)
		})
		if !errors.Is(err, errRetry) || attempt >= 3 {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	return p.charged(out, declined)
}

// writeCharge records the issuer's answer on a locked PROCESSING order (or
// one verifyUnderLock just counted as such): the decline, a new SettleAt
// for "processing", or the prepared success; and in the order's history,
// the events before (if any) and the answer, in one statement. now is when
// the answer came. byClock: Settle asked, and an answer that leaves the
// order as it was ("processing" again) is not an event.
func writeCharge(ctx context.Context, tx Tx, o *Order, result string, declined *Error, fin *finish, verifiedAt, now time.Time, byClock bool, before ...*OrderEvent) error {
	switch {
	case declined != nil:
		o.Status, o.Memo = OrderFailure, declined.Detail
	case result == ChargeProcessing:
		o.SettleAt = verifiedAt.Add(recoverAfter)
	default:
		if err := fin.apply(ctx, tx, o, now); err != nil {
			return err
		}
	}
	o.UpdatedAt = now
	if err := tx.UpdateOrder(ctx, o); err != nil {
		return err
	}
	events := before
	if !byClock || o.Status != OrderProcessing {
		events = append(events, newEvent(o, now, chargeNote(o, declined, byClock)))
	}
	if len(events) == 0 {
		return nil
	}
	return tx.InsertOrderEvent(ctx, events...)
}

// charged answers for an order whose charge was recorded (by this verify
// or, meanwhile, by another).
func (p *Payments) charged(out *Order, declined *Error) (*Order, error) {
	p.observe(out.Status)
	switch {
	case out.Status == OrderSuccess || out.Status == OrderRefund:
		p.wake()
		return out, nil
	case out.Status == OrderFailure && declined != nil:
		return out, declined
	case out.Status == OrderFailure:
		return out, Errorf(CodeFailed, "payment failed")
	default:
		return out, Errorf(CodeProcessing, "order is processing")
	}
}
