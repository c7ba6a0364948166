package llgate

import (
	"context"
	"errors"
	"reflect"
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

// Verify checks the code, then charges the issuer. With a real issuer it
// takes two transactions: the first commits the used token and the order as
// PROCESSING (counting against the limits) before the issuer is asked; the
// second records the answer. A crash between them leaves a PROCESSING order
// whose SettleAt lets the clock finish it (Settle). With a LocalCharger
// (the simulated issuer) asking has no effect outside this process, so when
// a snapshot says the code will be accepted, verify asks first and writes
// everything in one transaction (payAtOnce): the two-phase commits were a
// large part of a verify's cost. The snapshot is then the hint the apply
// left in this process when there is one (no read at all), else one
// read-only transaction. Both paths answer the same. Codes: 1000, 9700,
// 9702, 9703, 2006, 2007, 2008, 1019/1014/1016, and the issuer's declines.
func (p *Payments) Verify(ctx context.Context, v *PayVerify) (*Order, error) {
	return p.verify(ctx, v, p.chargesLocally())
}

// chargesLocally says whether asking the issuer for a charge has no effect
// outside this process.
func (p *Payments) chargesLocally() bool {
	l, ok := p.Issuer.(LocalCharger)
	return ok && l.ChargeIsLocal()
}

// verifySnapshot is what a verify starts from: one read-only transaction,
// or the hint its apply left in this process (PendingPays).
type verifySnapshot struct {
	c *Challenge
	o *Order     // nil when the token is not a pay token of this merchant
	a *Agreement // the order's agreement; nil for card elements (or none found)
}

func (p *Payments) verify(ctx context.Context, v *PayVerify, atOnce bool) (*Order, error) {
	var snap verifySnapshot
	hinted := false
	if atOnce {
		snap, hinted = p.Pending.take(v.Token, p.Clock.Now())
		hinted = hinted && snap.c.OidPartner == v.Merchant.OidPartner
	}
	if !hinted {
		var err error
		if snap, err = p.snapshot(ctx, v); err != nil {
			return nil, err
		}
	}
	o := snap.o
	if v.NoOrder != "" && v.NoOrder != o.NoOrder || v.Amount != 0 && v.Amount != o.Amount {
		return nil, Errorf(CodeTokenInvalid, "token belongs to another order or amount")
	}
	secret, card, err := p.secretsOf(ctx, o, snap.a)
	now := p.Clock.Now()
	switch {
	case err == nil && atOnce && p.mayPayAtOnce(v, snap, now):
		if out, done, err := p.payAtOnce(ctx, v, o, card, secret, now); done {
			return out, err
		}
		// Nothing was written: start again on the two-phase path, from a
		// fresh read, as a new request would.
		return p.verify(ctx, v, false)
	case hinted:
		// A hint serves the one-transaction path only: the two-phase path,
		// and every failure, go by what the store says.
		return p.verify(ctx, v, false)
	case err != nil:
		return nil, err
	}
	return p.verifyInTwo(ctx, v, card, secret, now)
}

// secretsOf opens the order's secret and the card it pays with; a is the
// order's agreement as the caller read it.
func (p *Payments) secretsOf(ctx context.Context, o *Order, a *Agreement) (*OrderSecret, *CardSecret, error) {
	secret, err := p.openOrder(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	card, err := p.cardFrom(ctx, o, secret, a)
	return secret, card, err
}

// snapshot reads what a verify starts from, in one read-only transaction,
// and answers 1000 for a token that is not a pay token of v's merchant.
func (p *Payments) snapshot(ctx context.Context, v *PayVerify) (verifySnapshot, error) {
	snap, err := view(ctx, p.Store, func(tx Tx) (verifySnapshot, error) {
		var s verifySnapshot
		c, err := tx.Challenge(ctx, v.Token)
		if err != nil {
			return s, err
		}
		s.c = c
		if c.Kind != ChallengePay || c.OidPartner != v.Merchant.OidPartner {
			return s, nil
		}
		if s.o, err = tx.Order(ctx, c.Ref); err != nil {
			return s, err
		}
		if s.o.NoAgree != "" {
			a, err := tx.Agreement(ctx, s.o.NoAgree)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return s, err
			}
			s.a = a // nil when missing: cardOf answers that, as before
		}
		return s, nil
	})
	if errors.Is(err, ErrNotFound) && snap.c == nil || err == nil && snap.o == nil {
		return snap, Errorf(CodeTokenInvalid, "token unknown")
	}
	return snap, err
}

// verifyInTwo is the two-phase verify: the first transaction counts the
// order as PROCESSING and uses the token, then the issuer is asked and the
// second records its answer (charge).
func (p *Payments) verifyInTwo(ctx context.Context, v *PayVerify, card *CardSecret, secret *OrderSecret, now time.Time) (*Order, error) {
	var answer error
	var counted *Order
	err := p.Store.Update(ctx, func(tx Tx) error {
		answer, counted = nil, nil
		o, ans, err := p.verifyUnderLock(ctx, tx, v, now)
		if err != nil || ans != nil {
			answer = ans
			return err
		}
		if err := tx.UpdateOrder(ctx, o); err != nil {
			return err
		}
		counted = o
		return nil
	})
	if err != nil {
		return nil, err
	}
	if answer != nil {
		return nil, answer
	}
	return p.charge(ctx, counted, card, secret, now, v.Merchant)
}

// cardFrom is cardOf with the agreement the snapshot already read.
func (p *Payments) cardFrom(ctx context.Context, o *Order, s *OrderSecret, a *Agreement) (*CardSecret, error) {
	if s.Card != nil || a == nil {
		return p.cardOf(ctx, o, s)
	}
	return p.openAgreement(ctx, a)
}

// verifyUnderLock re-reads the token and its order locked and applies every
// rule of a verify, in the order that decides which code answers: paid,
// closed, processing, the code (a wrong try is written here and must be
// committed), the agreement, the limits (under LockPerson). answer is the
// *Error to answer, with nothing else to write. When all pass it marks the
// token used and returns the order counted against the limits as
// PROCESSING, not yet written.
func (p *Payments) verifyUnderLock(ctx context.Context, tx Tx, v *PayVerify, now time.Time) (o *Order, answer, err error) {
	c, err := tx.Challenge(ctx, v.Token)
	if err != nil {
		return nil, nil, err
	}
	if o, err = tx.Order(ctx, c.Ref); err != nil {
		return nil, nil, err
	}
	switch {
	case o.Status == OrderSuccess || o.Status == OrderRefund:
		return nil, Errorf(CodePaid, "order already paid"), nil
	case o.Status == OrderClosed || o.Status == OrderWaiting && !now.Before(o.ValidUntil):
		return nil, Errorf(CodeClosed, "order closed by valid_order"), nil
	case o.Status == OrderProcessing:
		return nil, Errorf(CodeProcessing, "order is processing"), nil
	}
	changed, err := checkCode(p.Vault, c, v.Code, now)
	if err != nil {
		if changed {
			return nil, err, tx.UpdateChallenge(ctx, c)
		}
		return nil, err, nil
	}
	if o.NoAgree != "" {
		// Locked, so an unbind racing this payment waits or has won:
		// no payment goes through on an unbound agreement.
		a, err := tx.Agreement(ctx, o.NoAgree)
		if err != nil {
			return nil, nil, err
		}
		if a.Status != AgreementActive {
			return nil, Errorf(CodeNoAgreement, "the agreement was unbound"), nil
		}
	}
	if err := tx.LockPerson(ctx, o.OidPartner, o.PersonFP); err != nil {
		return nil, nil, err
	}
	if err := checkLimits(ctx, tx, v.Merchant, o.PersonFP, o.Amount, now); err != nil {
		return nil, err, nil
	}
	c.State, c.UpdatedAt = ChallengeUsed, now
	if err := tx.UpdateChallenge(ctx, c); err != nil {
		return nil, nil, err
	}
	o.Status, o.CountedAt, o.SettleAt, o.UpdatedAt = OrderProcessing, now, now.Add(recoverAfter), now
	return o, nil, nil
}

// mayPayAtOnce says, from the snapshot, whether verifyUnderLock will most
// likely pass, so that asking the issuer first is not wasted work. It
// changes nothing: a verify it turns away takes the two-phase path, which
// counts wrong codes and answers the refusals.
func (p *Payments) mayPayAtOnce(v *PayVerify, s verifySnapshot, now time.Time) bool {
	o := s.o
	l := limits(v.Merchant)
	return o.Status == OrderWaiting && now.Before(o.ValidUntil) &&
		codeAccepted(p.Vault, s.c, v.Code, now) &&
		(o.NoAgree == "" || s.a != nil && s.a.Status == AgreementActive) &&
		(l.PerTxn <= 0 || o.Amount <= l.PerTxn)
}

// errOrderMoved rolls back a payAtOnce whose order changed since the snapshot.
var errOrderMoved = errors.New("order changed since the snapshot")

// payAtOnce is a verify with a LocalCharger: it asks the issuer and
// prepares the success (signature, sealing: never inside a transaction)
// about the snapshot's order, then in ONE transaction applies every rule
// of verifyUnderLock and writes the used token and the charge's result
// together. What it writes is what the two-phase path's two transactions
// write. done is false when nothing was written and the verify must start
// again on the two-phase path: the issuer could not be asked, the success
// could not be prepared, the order changed since the snapshot, or the
// prepared success no longer fits (errRetry).
func (p *Payments) payAtOnce(ctx context.Context, v *PayVerify, snap *Order, card *CardSecret, secret *OrderSecret, verifiedAt time.Time) (out *Order, done bool, err error) {
	result, decline := p.Issuer.Charge(ctx, Charge{OidPaybill: snap.OidPaybill, CardNo: card.CardNo, Amount: snap.Amount, VerifiedAt: verifiedAt})
	var declined *Error
	if decline != nil && !errors.As(decline, &declined) {
		return nil, false, nil // the two-phase path counts the order first, so the clock asks again
	}
	now := p.Clock.Now()
	var fin finish
	if decline == nil && result == ChargeSuccess {
		if fin, err = p.prepareSuccess(ctx, snap, card, secret, v.Merchant, now); err != nil {
			return nil, false, nil // the two-phase path meets it again, after counting the order
		}
	}
	var answer error
	err = p.Store.Update(ctx, func(tx Tx) error {
		answer, out = nil, nil
		o, ans, err := p.verifyUnderLock(ctx, tx, v, verifiedAt)
		if err != nil || ans != nil {
			answer = ans // nothing was charged: the refusal stands as is
			return err
		}
		if !sameTerms(o, snap) {
			return errOrderMoved
		}
		if err := writeCharge(ctx, tx, o, result, declined, &fin, verifiedAt, now); err != nil {
			return err
		}
		out = o
		return nil
	})
	switch {
	case errors.Is(err, errOrderMoved) || errors.Is(err, errRetry):
		return nil, false, nil
	case err != nil:
		return nil, true, err
	case answer != nil:
		return nil, true, answer
	}
	out, err = p.charged(out, declined)
	return out, true, err
}

// sameTerms says whether the locked order (counted by verifyUnderLock) is
// still the one the issuer was asked about and the success was prepared
// for. A WAITING order is only ever rewritten by a repeated apply, with a
// new token; anything else that differs sends the verify to the two-phase
// path.
func sameTerms(locked, snap *Order) bool {
	a, b := *locked, *snap
	a.Status, a.CountedAt, a.SettleAt = b.Status, b.CountedAt, b.SettleAt // as verifyUnderLock counted it
	a.Token, a.UpdatedAt = b.Token, b.UpdatedAt
	return reflect.DeepEqual(a, b)
}

// recoverAfter is when the clock finishes a PROCESSING order whose verify
// did not record the issuer's answer (a crash), and when the 2008 test card
// settles.
const recoverAfter = 5 * time.Minute

// charge asks the issuer about a PROCESSING order and records the answer.
// o is the order as its caller just wrote it (the issuer is asked about it
// and the success prepared from it); the record re-reads it locked.
// verifiedAt is when the customer confirmed it. m is o's merchant, nil if
// the caller does not hold it.
func (p *Payments) charge(ctx context.Context, o *Order, card *CardSecret, secret *OrderSecret, verifiedAt time.Time, m *Merchant) (*Order, error) {
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
			return writeCharge(ctx, tx, locked, result, declined, &fin, verifiedAt, now)
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
// for "processing", or the prepared success. now is when the answer came.
func writeCharge(ctx context.Context, tx Tx, o *Order, result string, declined *Error, fin *finish, verifiedAt, now time.Time) error {
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
	return tx.UpdateOrder(ctx, o)
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
