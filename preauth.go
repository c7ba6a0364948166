package llgate

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Pre-authorisation (CONTRACT-easypay-payouts §4.6): an Easy Payment order
// with pay_type F is authorised by its verify (PR07, result_pay SUCCESS, no
// settle_date); then it is captured once (part or all of the amount) or
// cancelled once, or it expires 30 days after the authorisation. The
// authorisation is the order; its one capture or cancel is a Preauth.

// PreauthLifetime is how long an authorisation waits for its capture or
// cancel, by the clock.
const PreauthLifetime = 30 * 24 * time.Hour

// PreauthDelay is how long a capture or cancel the issuer answered
// "processing" (the 2008 card) takes to complete, by the clock.
const PreauthDelay = recoverAfter

// PreauthStateAt is the pre-authorisation state of an F order at now; pa
// is its capture or cancel, nil when none was made.
func PreauthStateAt(o *Order, pa *Preauth, now time.Time) string {
	if pa != nil {
		switch {
		case pa.State == CaptureProcessing && !now.Before(pa.DoneAt):
			return CaptureOK
		case pa.State == CancelProcessing && !now.Before(pa.DoneAt):
			return CancelOK
		}
		return pa.State
	}
	switch o.Status {
	case OrderWaiting:
		if !now.Before(o.ValidUntil) {
			return PreauthExpired
		}
		if o.Token == "" {
			return PreauthCreated
		}
		return PreauthSMS
	case OrderProcessing:
		return PreauthProcessing
	case OrderFailure:
		return PreauthFailed
	case OrderSuccess, OrderRefund:
		if !now.Before(o.PaidAt.Add(PreauthLifetime)) {
			return PreauthExpired
		}
		return PreauthOK
	}
	return PreauthExpired // CLOSED
}

// PreauthResultPay is how the order query reads a pre-authorisation state
// (§4.6, Decision 18).
func PreauthResultPay(state string) string {
	switch state {
	case PreauthCreated, PreauthSMS:
		return OrderWaiting
	case PreauthProcessing:
		return OrderProcessing
	case PreauthFailed:
		return OrderFailure
	case PreauthExpired:
		return OrderClosed
	case CancelOK:
		return OrderRefund
	}
	return OrderSuccess // authorised; captured or being captured or cancelled
}

// PreauthOp is a validated capture, cancel or status query: the
// authorisation named by NoOrder (with DtOrder when sent) or OidPaybill.
type PreauthOp struct {
	Merchant    *Merchant
	UserID      string // capture and cancel: must be the order's
	NoOrder     string
	DtOrder     string
	OidPaybill  string
	Amount      Amount
	MoneyOrder  string
	InfoOrder   string // capture: echoed in its answer
	RequestHash string
}

// PreauthResult is an authorisation and what was done with it.
type PreauthResult struct {
	Order     *Order
	Preauth   *Preauth // nil: no capture or cancel
	State     string   // at the clock's now
	InfoOrder string   // the capture's info_order
}

// findPreauth reads the named authorisation: 8901 when it is unknown, another
// merchant's or user's, or not a pre-authorisation.
func (p *Payments) findPreauth(ctx context.Context, tx Tx, op *PreauthOp) (*Order, *Preauth, error) {
	var o *Order
	var err error
	if op.OidPaybill != "" {
		o, err = tx.Order(ctx, op.OidPaybill)
	} else {
		o, err = tx.OrderByNo(ctx, op.Merchant.OidPartner, op.NoOrder)
	}
	if errors.Is(err, ErrNotFound) || err == nil && (o.OidPartner != op.Merchant.OidPartner || !o.IsPreauth() ||
		op.NoOrder != "" && o.NoOrder != op.NoOrder || op.DtOrder != "" && o.DtOrder != op.DtOrder ||
		op.UserID != "" && o.UserID != op.UserID) {
		return nil, nil, Errorf(CodeNoRecord, "no such pre-authorisation")
	}
	if err != nil {
		return nil, nil, err
	}
	pa, err := tx.Preauth(ctx, o.OidPaybill)
	if errors.Is(err, ErrNotFound) {
		return o, nil, nil
	}
	return o, pa, err
}

// PreauthQuery answers the state of an authorisation (8901 if none).
func (p *Payments) PreauthQuery(ctx context.Context, op *PreauthOp) (*PreauthResult, error) {
	var res PreauthResult
	err := p.Store.View(ctx, func(tx Tx) error {
		var err error
		res.Order, res.Preauth, err = p.findPreauth(ctx, tx, op)
		return err
	})
	if err != nil {
		return nil, err
	}
	res.State = PreauthStateAt(res.Order, res.Preauth, p.Clock.Now())
	return &res, nil
}

// Capture takes op.Amount (0.01 up to the authorised amount, else 7017)
// of an authorisation, once: the captured amount becomes a payment
// (reports, refunds). Codes: 8901, 7017, 5008 (not authorised), 2007
// (captured, by another request), 2006 (cancelled, expired, capture
// failed), 2008 (the issuer is processing: PR12, PR11 later), 8104. An
// identical repeat gets the original outcome.
func (p *Payments) Capture(ctx context.Context, op *PreauthOp) (*PreauthResult, error) {
	return p.operate(ctx, op, PreauthCapture)
}

// CancelPreauth releases an authorisation, once; op.Amount must be the
// authorised amount (7017). Codes: 8901, 7017, 5008, 2007 (captured), 2006
// (expired, capture failed), 2008 (processing: PR15, PR14 later), 5005. A
// repeated cancel gets the original outcome.
func (p *Payments) CancelPreauth(ctx context.Context, op *PreauthOp) (*PreauthResult, error) {
	return p.operate(ctx, op, PreauthCancel)
}

// settled answers for an operation that exists: its outcome now.
func (p *Payments) settled(ctx context.Context, o *Order, pa *Preauth, op *PreauthOp, kind string, now time.Time) (*PreauthResult, error) {
	state := PreauthStateAt(o, pa, now)
	switch {
	case pa.Kind == PreauthCapture && kind == PreauthCapture && pa.RequestHash == op.RequestHash,
		pa.Kind == PreauthCancel && kind == PreauthCancel:
		res := &PreauthResult{Order: o, Preauth: pa, State: state}
		if len(pa.Sealed) > 0 {
			b, err := p.Vault.Open(ctx, pa.OidPartner, TablePreauths, pa.OidPaybill, pa.Sealed)
			if err != nil {
				return nil, err
			}
			var s PreauthSecret
			if err := json.Unmarshal(b, &s); err != nil {
				return nil, err
			}
			res.InfoOrder = s.InfoOrder
		}
		return res, outcomeError(state)
	case pa.Kind == PreauthCapture && state != CaptureFailed:
		return nil, Errorf(CodePaid, "the authorisation was captured")
	}
	return nil, Errorf(CodeClosed, "the authorisation was cancelled or its capture failed")
}

// outcomeError is the answer of an operation in state: nil for done.
func outcomeError(state string) error {
	switch state {
	case CaptureProcessing, CancelProcessing:
		return Errorf(CodeProcessing, "the issuer is processing it")
	case CaptureFailed:
		return Errorf(CodeCaptureFailed, "capture declined")
	case CancelFailed:
		return Errorf(CodeCancelFailed, "cancel refused")
	}
	return nil
}

func (p *Payments) operate(ctx context.Context, op *PreauthOp, kind string) (*PreauthResult, error) {
	for attempt := 0; attempt < 3; attempt++ {
		now := p.Clock.Now()
		var o *Order
		var pa *Preauth
		err := p.Store.View(ctx, func(tx Tx) error {
			var err error
			o, pa, err = p.findPreauth(ctx, tx, op)
			return err
		})
		if err != nil {
			return nil, err
		}
		if pa != nil {
			return p.settled(ctx, o, pa, op, kind, now)
		}
		if err := checkOperable(o, kind, op.Amount, now); err != nil {
			return nil, err
		}
		res, err := p.perform(ctx, o, op, kind, now)
		if errors.Is(err, errRetry) {
			continue // another capture or cancel came first: answer as it
		}
		return res, err
	}
	return nil, Errorf(CodeSystem, "pre-authorisation kept racing")
}

// checkOperable applies the rules of an authorisation without a capture or
// cancel: its state, then the amount.
func checkOperable(o *Order, kind string, amount Amount, now time.Time) error {
	switch PreauthStateAt(o, nil, now) {
	case PreauthOK:
	case PreauthExpired:
		return Errorf(CodeClosed, "the authorisation expired")
	default:
		return Errorf(CodeNotPaid, "not authorised")
	}
	if kind == PreauthCapture && (amount < 1 || amount > o.Amount) || kind == PreauthCancel && amount != o.Amount {
		return Errorf(CodeBadAmount, "money_order does not fit the authorisation")
	}
	return nil
}

// perform asks the issuer, then records the capture or cancel.
func (p *Payments) perform(ctx context.Context, o *Order, op *PreauthOp, kind string, now time.Time) (*PreauthResult, error) {
	_, card, err := p.secretsOf(ctx, o, nil)
	if err != nil {
		return nil, err
	}
	result := ChargeSuccess
	var decline error
	if pz, ok := p.Issuer.(Preauthorizer); ok {
		c := Charge{OidPaybill: o.OidPaybill, CardNo: card.CardNo, Amount: op.Amount, VerifiedAt: now}
		if kind == PreauthCapture {
			result, decline = pz.Capture(ctx, c)
		} else {
			result, decline = pz.Release(ctx, c)
		}
	}
	var declined *Error
	if decline != nil && !errors.As(decline, &declined) {
		return nil, decline // the issuer could not be asked: nothing was done
	}
	pa := &Preauth{
		OidPaybill: o.OidPaybill, OidPartner: o.OidPartner, Kind: kind, Amount: op.Amount, MoneyOrder: op.MoneyOrder,
		RequestHash: op.RequestHash, DoneAt: now, CreatedAt: now, UpdatedAt: now,
	}
	ok, processing, failed := CaptureOK, CaptureProcessing, CaptureFailed
	if kind == PreauthCancel {
		ok, processing, failed = CancelOK, CancelProcessing, CancelFailed
	}
	switch {
	case declined != nil:
		pa.State = failed
	case result == ChargeProcessing:
		pa.State, pa.DoneAt = processing, now.Add(PreauthDelay)
	default:
		pa.State = ok
	}
	if kind == PreauthCapture && pa.State != failed {
		pa.SettleDate = ChinaDate(pa.DoneAt)
	}
	if kind == PreauthCapture && op.InfoOrder != "" {
		b, err := json.Marshal(PreauthSecret{InfoOrder: op.InfoOrder})
		if err != nil {
			return nil, err
		}
		if pa.Sealed, err = p.Vault.Seal(ctx, o.OidPartner, TablePreauths, o.OidPaybill, b); err != nil {
			return nil, err
		}
	}
	var out *Order
	err = p.Store.Update(ctx, func(tx Tx) error {
		locked, err := tx.Order(ctx, o.OidPaybill)
		if err != nil {
			return err
		}
		if _, err := tx.Preauth(ctx, o.OidPaybill); err == nil {
			return errRetry
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := checkOperable(locked, kind, op.Amount, now); err != nil {
			return err
		}
		if err := tx.InsertPreauth(ctx, pa); errors.Is(err, ErrConflict) {
			return errRetry
		} else if err != nil {
			return err
		}
		out = locked
		if kind == PreauthCapture && pa.State != failed { // a capture is a payment (§4.12)
			m := PaymentMoney(o.OidPartner, o.OidPaybill, pa.Amount, pa.SettleDate, op.Merchant.SettleDays)
			if _, err := Move(ctx, tx, now, m); err != nil {
				return err
			}
		}
		return tx.InsertOrderEvent(ctx, newEvent(locked, now, kind+" "+op.MoneyOrder+": "+pa.State))
	})
	if err != nil {
		return nil, err
	}
	return &PreauthResult{Order: out, Preauth: pa, State: pa.State, InfoOrder: op.InfoOrder}, outcomeError(pa.State)
}
