package llgate

import (
	"bytes"
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
	DtOrder  string // "": not sent
	// Product, when set, is the payment product the token's order must be
	// (an Easy Payment verify takes no MPAY token); "": any.
	Product string

	noCode bool // a NoSMS apply paying at once: no code to check
}

// NewPayments returns p ready to use: it chooses, once, how a verify
// charges. With a real channel a verify takes two transactions (verifyInTwo);
// with an issuer whose Charge has no effect outside this process (the
// simulated one: a LocalCharger), it first tries to do everything in one
// (verifyAtOnce).
func NewPayments(p Payments) *Payments {
	l, ok := p.Issuer.(LocalCharger)
	p.atOnce = ok && l.ChargeIsLocal()
	return &p
}

// Verify checks the code, then charges the issuer. Every rule is checked
// once, under lock (verifyUnderLock); what a verify reads before taking the
// lock only chooses the path, never the answer. Codes: 1000, 9700, 9702,
// 9703, 2006, 2007, 2008, 1019/1014/1016, 3003, and the issuer's declines.
func (p *Payments) Verify(ctx context.Context, v *PayVerify) (*Order, error) {
	if p.atOnce {
		if out, done, err := p.verifyAtOnce(ctx, v); done {
			return out, err
		}
	}
	return p.verifyInTwo(ctx, v)
}

// verifyInTwo is the two-phase verify: the first transaction applies every
// rule, uses the token and counts the order as PROCESSING (against the
// limits); then the issuer is asked and a second transaction records its
// answer (charge). A crash between them leaves a PROCESSING order whose
// SettleAt lets the clock finish it (Settle).
func (p *Payments) verifyInTwo(ctx context.Context, v *PayVerify) (*Order, error) {
	now := p.Clock.Now()
	var answer error
	var counted *Order
	var agreement *Agreement
	err := p.Store.Update(ctx, func(tx Tx) error {
		answer, counted = nil, nil
		o, a, ans, err := p.verifyUnderLock(ctx, tx, v, now)
		if err != nil || ans != nil {
			answer = ans
			return err
		}
		if err := tx.UpdateOrder(ctx, o); err != nil {
			return err
		}
		if err := tx.InsertOrderEvent(ctx, newEvent(o, now, noteVerified)); err != nil {
			return err
		}
		counted, agreement = o, a
		return nil
	})
	if err != nil {
		return nil, err
	}
	if answer != nil {
		return nil, answer
	}
	secret, card, err := p.secretsOf(ctx, counted, agreement)
	if err != nil {
		return nil, err // counted: the clock settles it
	}
	return p.charge(ctx, counted, card, secret, now, v.Merchant, false)
}

// verifySnapshot is what a one-transaction verify starts from: the hint its
// apply left in this process (PendingPays), or one read-only transaction.
type verifySnapshot struct {
	c *Challenge
	o *Order
	a *Agreement // the order's agreement; nil for card elements
}

// verifyAtOnce is a verify with a LocalCharger. From a snapshot it decides
// whether the verify will most likely pass; if so it asks the issuer and
// prepares the success (signature, sealing) first, then in ONE transaction
// applies every rule of verifyUnderLock and writes the used token and the
// charge's result together: what the two-phase path's two transactions
// write, in one commit. done is false when it wrote nothing and the verify
// goes the two-phase way: no snapshot, a snapshot that says the rules will
// refuse (the two-phase path answers them), the issuer could not be asked,
// the success could not be prepared, or the locked order is not the one the
// issuer was asked about.
func (p *Payments) verifyAtOnce(ctx context.Context, v *PayVerify) (out *Order, done bool, err error) {
	now := p.Clock.Now()
	snap, ok := p.snapshot(ctx, v, now)
	if !ok || !p.mayPayAtOnce(v, snap, now) {
		return nil, false, nil
	}
	secret, card, err := p.secretsOf(ctx, snap.o, snap.a)
	if err != nil {
		return nil, false, nil
	}
	result, decline := p.Issuer.Charge(ctx, Charge{OidPaybill: snap.o.OidPaybill, CardNo: card.CardNo, Amount: snap.o.Amount, VerifiedAt: now})
	var declined *Error
	if decline != nil && !errors.As(decline, &declined) {
		return nil, false, nil
	}
	answeredAt := p.Clock.Now()
	var fin finish
	if decline == nil && result == ChargeSuccess {
		if fin, err = p.prepareSuccess(ctx, snap.o, card, secret, v.Merchant, answeredAt); err != nil {
			return nil, false, nil
		}
	}
	var answer error
	err = p.Store.Update(ctx, func(tx Tx) error {
		answer, out = nil, nil
		o, _, ans, err := p.verifyUnderLock(ctx, tx, v, now)
		if err != nil || ans != nil {
			answer = ans // nothing was charged: the refusal stands as is
			return err
		}
		if !sameCharge(o, snap.o) {
			return errOrderMoved
		}
		// What the two-phase path's two transactions record, in one
		// statement: counted, then the issuer's answer.
		verified := newEvent(o, now, noteVerified)
		if err := writeCharge(ctx, tx, o, result, declined, &fin, now, answeredAt, false, verified); err != nil {
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

// errOrderMoved rolls back a verifyAtOnce whose order changed since its
// snapshot in a way that matters to the charge.
var errOrderMoved = errors.New("order changed since the snapshot")

// snapshot is the hint the apply left in this process, else one read-only
// transaction. false: no pay token of this merchant (the two-phase path
// answers it).
func (p *Payments) snapshot(ctx context.Context, v *PayVerify, now time.Time) (verifySnapshot, bool) {
	if s, ok := p.Pending.take(v.Token, now); ok {
		return s, s.c.OidPartner == v.Merchant.OidPartner
	}
	s, err := view(ctx, p.Store, func(tx Tx) (verifySnapshot, error) {
		var s verifySnapshot
		var err error
		if s.c, err = tx.Challenge(ctx, v.Token); err != nil {
			return s, err
		}
		if s.c.Kind != ChallengePay || s.c.OidPartner != v.Merchant.OidPartner {
			return s, ErrNotFound
		}
		if s.o, err = tx.Order(ctx, s.c.Ref); err != nil {
			return s, err
		}
		if s.o.NoAgree != "" {
			s.a, err = tx.Agreement(ctx, s.o.NoAgree)
		}
		return s, err
	})
	return s, err == nil
}

// mayPayAtOnce says, from the snapshot, whether verifyUnderLock will most
// likely pass, so that asking the issuer first is not wasted work. It only
// routes: a verify it turns away takes the two-phase path, which answers.
func (p *Payments) mayPayAtOnce(v *PayVerify, s verifySnapshot, now time.Time) bool {
	o := s.o
	l := limits(v.Merchant)
	return tokenFits(v, s.c, o) && o.Status == OrderWaiting && now.Before(o.ValidUntil) &&
		(v.noCode || codeAccepted(p.Vault, s.c, v.Code, now)) &&
		(o.NoAgree == "" || s.a != nil && s.a.Status == AgreementActive) &&
		(l.PerTxn <= 0 || o.Amount <= l.PerTxn)
}

// tokenFits: the token is a pay token of v's merchant, and the no_order and
// amount v names (when it names them) are its order's.
func tokenFits(v *PayVerify, c *Challenge, o *Order) bool {
	return c.Kind == ChallengePay && c.OidPartner == v.Merchant.OidPartner && c.Ref == o.OidPaybill &&
		(v.NoOrder == "" || v.NoOrder == o.NoOrder) && (v.Amount == 0 || v.Amount == o.Amount) &&
		(v.DtOrder == "" || v.DtOrder == o.DtOrder) && (v.Product == "" || v.Product == o.Product)
}

// sameCharge says whether the locked order is still the one the issuer was
// asked about and the success was prepared for: the same payment, amount,
// card, agreement, secret and notification terms. A WAITING order is only
// ever rewritten by a repeated apply, with a new token; its terms stay (a
// checkout's card-less order takes its card before it has any token).
func sameCharge(locked, snap *Order) bool {
	a, b := locked, snap
	return a.OidPaybill == b.OidPaybill && a.OidPartner == b.OidPartner && a.NoOrder == b.NoOrder &&
		a.DtOrder == b.DtOrder && a.Amount == b.Amount && a.MoneyOrder == b.MoneyOrder && a.CardFP == b.CardFP &&
		a.NoAgree == b.NoAgree && a.PayType == b.PayType && a.BankCode == b.BankCode && a.NotifyURL == b.NotifyURL &&
		a.SignType == b.SignType && a.Scope == b.Scope && a.UserID == b.UserID && a.PersonFP == b.PersonFP &&
		bytes.Equal(a.Sealed, b.Sealed)
}

// secretsOf opens the order's secret and the card it pays with; a is the
// order's agreement as the caller read it (nil: read it).
func (p *Payments) secretsOf(ctx context.Context, o *Order, a *Agreement) (*OrderSecret, *Card, error) {
	secret, err := p.openOrder(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	if secret.Card != nil || a == nil {
		card, err := p.cardOf(ctx, o, secret)
		return secret, card, err
	}
	card, err := p.openAgreement(ctx, a)
	return secret, card, err
}

// verifyUnderLock reads the token and its order locked and applies every
// rule of a verify, in the order that decides which code answers: the token
// (unknown, another merchant's, another order's or amount's: 1000), paid,
// closed, processing, the code (a wrong try is written here and must be
// committed), the agreement, the limits (under LockPerson). answer is the
// *Error to answer, with nothing else to write. When all pass it marks the
// token used and returns the order counted against the limits as
// PROCESSING, not yet written, and the agreement it pays with.
func (p *Payments) verifyUnderLock(ctx context.Context, tx Tx, v *PayVerify, now time.Time) (o *Order, a *Agreement, answer, err error) {
	c, err := tx.Challenge(ctx, v.Token)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, Errorf(CodeTokenInvalid, "token unknown"), nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if c.Kind != ChallengePay || c.OidPartner != v.Merchant.OidPartner {
		return nil, nil, Errorf(CodeTokenInvalid, "token unknown"), nil
	}
	if o, err = tx.Order(ctx, c.Ref); err != nil {
		return nil, nil, nil, err
	}
	if !tokenFits(v, c, o) {
		return nil, nil, Errorf(CodeTokenInvalid, "token belongs to another order or amount"), nil
	}
	switch {
	case o.Status == OrderSuccess || o.Status == OrderRefund:
		return nil, nil, Errorf(CodePaid, "order already paid"), nil
	case o.Status == OrderClosed || o.Status == OrderWaiting && !now.Before(o.ValidUntil):
		return nil, nil, Errorf(CodeClosed, "order closed by valid_order"), nil
	case o.Status == OrderProcessing:
		return nil, nil, Errorf(CodeProcessing, "order is processing"), nil
	}
	changed, err := false, error(nil)
	if !v.noCode {
		changed, err = checkCode(p.Vault, c, v.Code, now)
	}
	if err != nil {
		if changed {
			return nil, nil, err, tx.UpdateChallenge(ctx, c)
		}
		return nil, nil, err, nil
	}
	if o.NoAgree != "" {
		// Locked, so an unbind racing this payment waits or has won:
		// no payment goes through on an unbound agreement.
		if a, err = tx.Agreement(ctx, o.NoAgree); err != nil {
			return nil, nil, nil, err
		}
		if a.Status != AgreementActive {
			return nil, nil, Errorf(CodeNoAgreement, "the agreement was unbound"), nil
		}
	}
	if err := tx.LockPerson(ctx, o.OidPartner, o.PersonFP); err != nil {
		return nil, nil, nil, err
	}
	if err := checkLimits(ctx, tx, v.Merchant, o.PersonFP, o.Amount, now); err != nil {
		return nil, nil, err, nil
	}
	c.State, c.UpdatedAt = ChallengeUsed, now
	if err := tx.UpdateChallenge(ctx, c); err != nil {
		return nil, nil, nil, err
	}
	o.Status, o.CountedAt, o.SettleAt, o.UpdatedAt = OrderProcessing, now, now.Add(recoverAfter), now
	return o, a, nil, nil
}
