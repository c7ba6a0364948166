package llgate

import (
	"context"
	"errors"
	"time"
)

// PayVerify is a validated pay verify. NoOrder and Amount, when the client
// sends them, must match the token's order.
type PayVerify struct {
	Merchant *Merchant
	Token    string
	Code     string
	NoOrder  string
	Amount   Amount // 0: not sent
}

// Verify checks the code, then charges the issuer in two transactions: the
// first commits the used token and the order as PROCESSING (counting against
// the limits) before the issuer is asked; the second records the answer.
// A crash between them leaves a PROCESSING order whose SettleAt lets the
// clock finish it (Settle). Codes: 1000, 9700, 9702, 9703, 2006, 2007, 2008,
// 1019/1014/1016, and the issuer's declines.
func (p *Payments) Verify(ctx context.Context, v *PayVerify) (*Order, error) {
	c, err := view(ctx, p.Store, func(tx Tx) (*Challenge, error) { return tx.Challenge(ctx, v.Token) })
	if errors.Is(err, ErrNotFound) || err == nil && (c.Kind != ChallengePay || c.OidPartner != v.Merchant.OidPartner) {
		return nil, Errorf(CodeTokenInvalid, "token unknown")
	}
	if err != nil {
		return nil, err
	}
	o, err := view(ctx, p.Store, func(tx Tx) (*Order, error) { return tx.Order(ctx, c.Ref) })
	if err != nil {
		return nil, err
	}
	if v.NoOrder != "" && v.NoOrder != o.NoOrder || v.Amount != 0 && v.Amount != o.Amount {
		return nil, Errorf(CodeTokenInvalid, "token belongs to another order or amount")
	}
	secret, err := p.openOrder(ctx, o)
	if err != nil {
		return nil, err
	}
	card, err := p.cardOf(ctx, o, secret)
	if err != nil {
		return nil, err
	}

	now := p.Clock.Now()
	var answer error
	err = p.Store.Update(ctx, func(tx Tx) error {
		answer = nil
		c, err := tx.Challenge(ctx, v.Token)
		if err != nil {
			return err
		}
		o, err := tx.Order(ctx, c.Ref)
		if err != nil {
			return err
		}
		switch {
		case o.Status == OrderSuccess || o.Status == OrderRefund:
			answer = Errorf(CodePaid, "order already paid")
			return nil
		case o.Status == OrderClosed || o.Status == OrderWaiting && !now.Before(o.ValidUntil):
			answer = Errorf(CodeClosed, "order closed by valid_order")
			return nil
		case o.Status == OrderProcessing:
			answer = Errorf(CodeProcessing, "order is processing")
			return nil
		}
		changed, err := checkCode(p.Vault, c, v.Code, now)
		if err != nil {
			answer = err
			if changed {
				return tx.UpdateChallenge(ctx, c)
			}
			return nil
		}
		if o.NoAgree != "" {
			// Locked, so an unbind racing this payment waits or has won:
			// no payment goes through on an unbound agreement.
			a, err := tx.Agreement(ctx, o.NoAgree)
			if err != nil {
				return err
			}
			if a.Status != AgreementActive {
				answer = Errorf(CodeNoAgreement, "the agreement was unbound")
				return nil
			}
		}
		if err := tx.LockPerson(ctx, o.OidPartner, o.PersonFP); err != nil {
			return err
		}
		if err := checkLimits(ctx, tx, v.Merchant, o.PersonFP, o.Amount, now); err != nil {
			answer = err
			return nil
		}
		c.State, c.UpdatedAt = ChallengeUsed, now
		if err := tx.UpdateChallenge(ctx, c); err != nil {
			return err
		}
		o.Status, o.CountedAt, o.SettleAt, o.UpdatedAt = OrderProcessing, now, now.Add(recoverAfter), now
		return tx.UpdateOrder(ctx, o)
	})
	if err != nil {
		return nil, err
	}
	if answer != nil {
		return nil, answer
	}
	return p.charge(ctx, o.OidPaybill, card, secret, now)
}

// recoverAfter is when the clock finishes a PROCESSING order whose verify
// did not record the issuer's answer (a crash), and when the 2008 test card
// settles.
const recoverAfter = 5 * time.Minute

// charge asks the issuer about a PROCESSING order and records the answer.
// verifiedAt is when the customer confirmed it.
func (p *Payments) charge(ctx context.Context, oidPaybill string, card *CardSecret, secret *OrderSecret, verifiedAt time.Time) (*Order, error) {
	o, err := view(ctx, p.Store, func(tx Tx) (*Order, error) { return tx.Order(ctx, oidPaybill) })
	if err != nil {
		return nil, err
	}
	result, decline := p.Issuer.Charge(ctx, Charge{OidPaybill: o.OidPaybill, CardNo: card.CardNo, Amount: o.Amount, VerifiedAt: verifiedAt})
	var declined *Error
	if decline != nil && !errors.As(decline, &declined) {
		return nil, decline // the issuer could not be asked: the clock will ask again
	}
	var out *Order
	for attempt := 0; ; attempt++ {
		now := p.Clock.Now()
		var fin finish
		if decline == nil && result == ChargeSuccess {
			if fin, err = p.prepareSuccess(ctx, o, card, secret, now); err != nil {
				return nil, err
			}
		}
		err = p.Store.Update(ctx, func(tx Tx) error {
			o, err := tx.Order(ctx, oidPaybill)
			if err != nil || o.Status != OrderProcessing {
				out = o
				return err // finished meanwhile (the clock, another replica)
			}
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
			out = o
			return tx.UpdateOrder(ctx, o)
		})
		if !errors.Is(err, errRetry) || attempt >= 3 {
			break
		}
	}
	if err != nil {
		return nil, err
	}
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
