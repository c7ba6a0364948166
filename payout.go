package llgate

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"regexp"
	"time"
	"unicode/utf8"
)

// Instant Payment (CONTRACT-easypay-payouts §4.8–4.11, §4.13, §4.14): a
// payout debits the merchant's amt_balance when it is accepted (at once,
// or after its confirm when it looked suspicious), completes by the clock
// through the payout channel, and gives the money back on FAILURE or
// CANCEL.

// Return codes of payouts.
const (
	CodePayoutNoCheck     = "4001" // confirm: no such payout, or not in CHECK
	CodePayoutDuplicate   = "4002"
	CodePayoutNameDiffers = "4003"
	CodePayoutBoth        = "4004"
	CodePayoutProduct     = "4005"
	CodeConfirmTooMany    = "4008"
	CodeConfirmExpired    = "4010"
	CodeConfirmWrong      = "4011"
	CodePayoutCredit      = "5502"
	CodeBankUnknown       = "5505"
	CodeMemoInvalid       = "5506"
	CodePayoutShort       = "9104"
)

// PayoutConfirmWindow is how long a CHECK payout waits for its confirm.
const PayoutConfirmWindow = 24 * time.Hour

// MaxConfirmWrong is the wrong confirm codes a payout takes: the last one
// closes it (4008).
const MaxConfirmWrong = 6

// NotLivePayoutLimit caps each payout, and a not-live merchant's payouts
// per China day and month (the docs' 50.00).
const NotLivePayoutLimit Amount = 5000

// InfoOrderRequiredFrom is the amount from which info_order is required.
const InfoOrderRequiredFrom Amount = 5_000_000

// PayoutPlan is how an accepted payout completes: Result (SUCCESS or
// FAILURE, with Reason the failure's return code) at DoneAt; a SUCCESS
// with CancelAt set is returned by the bank then.
type PayoutPlan struct {
	Result   string
	Reason   string
	DoneAt   time.Time
	CancelAt time.Time
}

// PayoutChannel is the payout channel seam: the simulated channel
// (package issuer) or a real one.
type PayoutChannel interface {
	// Plan says how a payout to cardNo accepted at now completes.
	Plan(cardNo string, now time.Time) PayoutPlan
	// NameMismatch is the channel's own verdict that the account is not the
	// name's (the sandbox's 4003 test digits).
	NameMismatch(cardNo string) bool
}

// Payouts owns payouts: apply, confirm, completion by the clock, query.
type Payouts struct {
	Store   Store
	Vault   Vault
	Clock   Clock
	Issuer  Issuer
	Channel PayoutChannel
	// Sign signs a notification body's fields with the platform key.
	Sign func(fields map[string]string, signType string) ([]byte, error)
	Wake func()
}

// PayoutApply is a validated payout apply (the fields the endpoint table
// checks have passed).
type PayoutApply struct {
	Merchant    *Merchant
	NoOrder     string
	DtOrder     string
	Amount      Amount
	MoneyOrder  string
	FlagCard    string
	CardNo      string
	AcctName    string
	BankCode    string
	InfoOrder   string
	Memo        string // as sent; filtered here
	NotifyURL   string
	SignType    string
	RequestHash string
}

// PayoutAnswer is what an apply or confirm answers: Code 0000 (accepted)
// or 4002/4003/4004 with ConfirmCode.
type PayoutAnswer struct {
	Payout      *Payout
	Code        string
	ConfirmCode string
}

var memoStrip = regexp.MustCompile(`[^a-zA-Z0-9\p{Han}_-]`)

// FilterMemo removes what the docs filter out of a memo.
func FilterMemo(s string) string { return memoStrip.ReplaceAllString(s, "") }

// confirmHash is the keyed HMAC a confirm code is stored as.
func (p *Payouts) confirmHash(oid, noOrder, code string) string {
	return p.Vault.Fingerprint("payout_confirm", oid+"\x00"+noOrder+"\x00"+code)
}

func (p *Payouts) plan(cardNo string, now time.Time) PayoutPlan {
	if p.Channel == nil {
		return PayoutPlan{Result: PayoutSuccess, DoneAt: now.Add(time.Minute)}
	}
	return p.Channel.Plan(cardNo, now)
}

// checkAccount checks the payee account: for a card (flag 0) 12–19 digits
// (1004), Luhn (1100), BIN (1102), not credit (5502), not prepaid (9912);
// for a business account 6–32 digits and a known bank_code (5505).
func (p *Payouts) checkAccount(a *PayoutApply) error {
	n := len(a.CardNo)
	if !allDigits(a.CardNo) {
		return FieldError("card_no", "not digits")
	}
	if a.FlagCard == "1" {
		if n < 6 || n > 32 {
			return FieldError("card_no", "an account number is 6 to 32 digits")
		}
		if p.Issuer.BankName(a.BankCode) == "" {
			return Errorf(CodeBankUnknown, "bank_code %s is not configured", a.BankCode)
		}
		return nil
	}
	if n < 12 || n > 19 {
		return FieldError("card_no", "a card number is 12 to 19 digits")
	}
	if a.BankCode != "" && p.Issuer.BankName(a.BankCode) == "" {
		return Errorf(CodeBankUnknown, "bank_code %s is not configured", a.BankCode)
	}
	info, err := p.Issuer.Card(a.CardNo)
	switch {
	case errors.Is(err, ErrUnknownBIN):
		return Errorf(CodeNoIssuer, "no issuer has this card's BIN")
	case err != nil:
		return err
	case info.Prepaid:
		return Errorf(CodeCardUnsupported, "prepaid cards are not supported")
	case info.CardType == "3":
		return Errorf(CodePayoutCredit, "credit cards take no payouts")
	}
	return nil
}

// checkPayoutLimits: each payout, and the merchant's payouts per China day
// and month, within payout_limits (live) or 50.00 (not live): 1019, 1014,
// 1016.
func checkPayoutLimits(ctx context.Context, tx Tx, m *Merchant, amount Amount, now time.Time) error {
	l := m.PayoutLimits
	if !m.Live {
		l = Limits{PerTxn: NotLivePayoutLimit, PerDay: NotLivePayoutLimit, PerMonth: NotLivePayoutLimit}
	}
	if l.PerTxn > 0 && amount > l.PerTxn {
		return Errorf(CodeLimitTxn, "over the payout limit per payout")
	}
	for _, c := range []struct {
		cap   Amount
		since time.Time
		code  string
	}{{l.PerDay, ChinaDay(now), CodeLimitDay}, {l.PerMonth, ChinaMonth(now), CodeLimitMonth}} {
		if c.cap <= 0 {
			continue
		}
		spent, err := tx.PayoutSpent(ctx, m.OidPartner, c.since)
		if err != nil {
			return err
		}
		if spent+amount > c.cap {
			return Errorf(c.code, "over the merchant's payout limit")
		}
	}
	return nil
}

// accept debits the payout and makes it PROCESSING, under the balance lock
// the caller holds: 9104 when amt_balance is short.
func accept(ctx context.Context, tx Tx, po *Payout, plan PayoutPlan, now time.Time) error {
	if _, err := Move(ctx, tx, now, Money{OidPartner: po.OidPartner, Kind: LedgerPayout, Ref: po.NoOrder, Available: -po.Amount}); errors.Is(err, ErrBalanceShort) {
		return Errorf(CodePayoutShort, "amt_balance is short of the payout")
	} else if err != nil {
		return err
	}
	po.OidPaybill = NewOidPaybill()
	po.State, po.AcceptedAt = PayoutProcessing, now
	po.Result, po.Reason, po.DoneAt, po.CancelAt = plan.Result, plan.Reason, plan.DoneAt, plan.CancelAt
	po.NextAt = plan.DoneAt
	return nil
}

// Apply answers a payout apply: 0000 (accepted: debited, PROCESSING),
// 4002/4003/4004 (CHECK, with a confirm code; nothing reserved), or an
// error that creates nothing (the no_order may be sent again). An
// identical repeat gets the original answer; another request under a used
// no_order 1002.
func (p *Payouts) Apply(ctx context.Context, a *PayoutApply) (*PayoutAnswer, error) {
	m := a.Merchant
	if !m.Allows(ProductInstantpay) {
		return nil, Errorf(CodePayoutProduct, "the merchant lacks instantpay")
	}
	memo := FilterMemo(a.Memo)
	if utf8.RuneCountInString(memo) > 24 {
		return nil, Errorf(CodeMemoInvalid, "memo over 24 characters")
	}
	if ans, done, err := p.repeat(ctx, m.OidPartner, a.NoOrder, a.RequestHash); done || err != nil {
		return ans, err
	}
	if err := p.checkAccount(a); err != nil {
		return nil, err
	}
	now := p.Clock.Now()
	code := randomDigits(6, true)
	secret, err := json.Marshal(PayoutSecret{CardNo: a.CardNo, AcctName: a.AcctName, Memo: memo, InfoOrder: a.InfoOrder, ConfirmCode: code})
	if err != nil {
		return nil, err
	}
	id := NewID()
	sealed, err := p.Vault.Seal(ctx, m.OidPartner, TablePayouts, id, secret)
	if err != nil {
		return nil, err
	}
	cardFP := p.Vault.Fingerprint("card", a.CardNo)
	nameFP := p.Vault.Fingerprint("name", a.AcctName)
	mismatch := a.FlagCard == "0" && p.Channel != nil && p.Channel.NameMismatch(a.CardNo)
	plan := p.plan(a.CardNo, now)
	po := &Payout{
		ID: id, OidPartner: m.OidPartner, NoOrder: a.NoOrder, DtOrder: a.DtOrder, Amount: a.Amount, MoneyOrder: a.MoneyOrder,
		FlagCard: a.FlagCard, CardFP: cardFP, CardLast4: a.CardNo[len(a.CardNo)-4:], SignType: a.SignType,
		NotifyURL: a.NotifyURL, RequestHash: a.RequestHash, ConfirmHash: p.confirmHash(m.OidPartner, a.NoOrder, code),
		Sealed: sealed, CreatedAt: now, UpdatedAt: now,
	}
	var out *PayoutAnswer
	err = p.Store.Update(ctx, func(tx Tx) error {
		out = nil
		if _, err := lockSettled(ctx, tx, m.OidPartner, now); err != nil {
			return err
		}
		if _, err := tx.PayoutByNo(ctx, m.OidPartner, a.NoOrder); err == nil {
			return errRetry // created meanwhile: answer as a repeat
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := checkPayoutLimits(ctx, tx, m, a.Amount, now); err != nil {
			return err
		}
		dup, err := tx.PayoutDuplicates(ctx, m.OidPartner, a.NoOrder, cardFP, a.Amount, now.Add(-PayoutConfirmWindow))
		if err != nil {
			return err
		}
		if a.FlagCard == "0" && !mismatch {
			h, err := tx.Cardholder(ctx, cardFP)
			switch {
			case err == nil:
				mismatch = subtle.ConstantTimeCompare([]byte(h.NameFP), []byte(nameFP)) != 1
			case !errors.Is(err, ErrNotFound):
				return err
			}
		}
		c := *po
		switch {
		case dup > 0 && mismatch:
			c.ApplyCode = CodePayoutBoth
		case dup > 0:
			c.ApplyCode = CodePayoutDuplicate
		case mismatch:
			c.ApplyCode = CodePayoutNameDiffers
		}
		if c.ApplyCode != "" {
			c.State, c.NextAt = PayoutCheck, now.Add(PayoutConfirmWindow)
		} else {
			c.ApplyCode = CodeOK
			if err := accept(ctx, tx, &c, plan, now); err != nil {
				return err
			}
		}
		if err := tx.InsertPayout(ctx, &c); errors.Is(err, ErrConflict) {
			return errRetry
		} else if err != nil {
			return err
		}
		out = &PayoutAnswer{Payout: &c, Code: c.ApplyCode}
		if c.State == PayoutCheck {
			out.ConfirmCode = code
		}
		return nil
	})
	if errors.Is(err, errRetry) {
		ans, _, err := p.repeat(ctx, m.OidPartner, a.NoOrder, a.RequestHash)
		return ans, err
	}
	return out, err
}

// repeat answers an apply whose no_order made a payout already: the
// original answer for the same request, 1002 for another. done false:
// no payout has the no_order.
func (p *Payouts) repeat(ctx context.Context, oid, noOrder, hash string) (*PayoutAnswer, bool, error) {
	po, err := view(ctx, p.Store, func(tx Tx) (*Payout, error) { return tx.PayoutByNo(ctx, oid, noOrder) })
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	if po.RequestHash != hash {
		return nil, true, Errorf(CodeDuplicateOrder, "no_order %s was used for another request", noOrder)
	}
	ans := &PayoutAnswer{Payout: po, Code: po.ApplyCode}
	if po.ApplyCode != CodeOK {
		s, err := p.Open(ctx, po)
		if err != nil {
			return nil, true, err
		}
		ans.ConfirmCode = s.ConfirmCode
	}
	return ans, true, nil
}

// Open opens a payout's secret.
func (p *Payouts) Open(ctx context.Context, po *Payout) (*PayoutSecret, error) {
	plain, err := p.Vault.Open(ctx, po.OidPartner, TablePayouts, po.ID, po.Sealed)
	if err != nil {
		return nil, err
	}
	var s PayoutSecret
	return &s, json.Unmarshal(plain, &s)
}

// PayoutConfirm is a validated confirm.
type PayoutConfirm struct {
	Merchant    *Merchant
	NoOrder     string
	Code        string
	NotifyURL   string
	RequestHash string
}

// Confirm accepts a CHECK payout with its code (§4.9, Decision 15): 4001
// when there is no such payout in CHECK, 4010 more than 24 hours after
// the apply, 4011 for a wrong code and 4008 for the 6th (which closes
// it); the right code re-checks the limits and the balance (9104 leaves it
// in CHECK) and accepts it. A repeated confirm of an accepted payout gets
// the original 0000.
func (p *Payouts) Confirm(ctx context.Context, c *PayoutConfirm) (*PayoutAnswer, error) {
	oid := c.Merchant.OidPartner
	po, err := view(ctx, p.Store, func(tx Tx) (*Payout, error) { return tx.PayoutByNo(ctx, oid, c.NoOrder) })
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodePayoutNoCheck, "no such payout")
	}
	if err != nil {
		return nil, err
	}
	secret, err := p.Open(ctx, po)
	if err != nil {
		return nil, err
	}
	now := p.Clock.Now()
	plan := p.plan(secret.CardNo, now)
	right := subtle.ConstantTimeCompare([]byte(p.confirmHash(oid, c.NoOrder, c.Code)), []byte(po.ConfirmHash)) == 1
	var out *PayoutAnswer
	var answer error // the confirm's answer, after what it wrote commits
	err = p.Store.Update(ctx, func(tx Tx) error {
		out, answer = nil, nil
		if _, err := lockSettled(ctx, tx, oid, now); err != nil {
			return err
		}
		cur, err := tx.PayoutByNo(ctx, oid, c.NoOrder)
		if err != nil {
			return err
		}
		if cur.State != PayoutCheck {
			switch {
			case cur.OidPaybill != "" && cur.ConfirmRequest == c.RequestHash:
				out = &PayoutAnswer{Payout: cur, Code: CodeOK}
			case !now.Before(cur.CreatedAt.Add(PayoutConfirmWindow)):
				answer = Errorf(CodeConfirmExpired, "the confirm window has passed")
			default:
				answer = Errorf(CodePayoutNoCheck, "the payout is %s", cur.State)
			}
			return nil
		}
		cur.UpdatedAt = now
		switch {
		case !now.Before(cur.CreatedAt.Add(PayoutConfirmWindow)):
			cur.State, cur.NextAt = PayoutClosed, time.Time{}
			answer = Errorf(CodeConfirmExpired, "the confirm window has passed")
		case !right:
			cur.WrongCount++
			answer = Errorf(CodeConfirmWrong, "wrong confirm code")
			if cur.WrongCount >= MaxConfirmWrong {
				cur.State, cur.NextAt = PayoutClosed, time.Time{}
				answer = Errorf(CodeConfirmTooMany, "too many wrong confirm codes")
			}
		default:
			if err := checkPayoutLimits(ctx, tx, c.Merchant, cur.Amount, now); err != nil {
				return err
			}
			if err := accept(ctx, tx, cur, plan, now); err != nil {
				return err
			}
			cur.NotifyURL, cur.ConfirmRequest = c.NotifyURL, c.RequestHash
			out = &PayoutAnswer{Payout: cur, Code: CodeOK}
		}
		return tx.UpdatePayout(ctx, cur)
	})
	if err != nil {
		return nil, err
	}
	return out, answer
}

// Query finds a merchant's payout by no_order or oid_paybill (both given
// must name the same one): 8901 otherwise.
func (p *Payouts) Query(ctx context.Context, oid, noOrder, oidPaybill string) (*Payout, *PayoutSecret, error) {
	po, err := view(ctx, p.Store, func(tx Tx) (*Payout, error) {
		if oidPaybill != "" {
			return tx.PayoutByPaybill(ctx, oid, oidPaybill)
		}
		return tx.PayoutByNo(ctx, oid, noOrder)
	})
	if errors.Is(err, ErrNotFound) || err == nil && noOrder != "" && po.NoOrder != noOrder {
		return nil, nil, Errorf(CodeNoRecord, "no such payout")
	}
	if err != nil {
		return nil, nil, err
	}
	s, err := p.Open(ctx, po)
	return po, s, err
}

// PayoutNotice is the notification of a payout in its current state:
// exactly the documented fields (§4.10), settle_date on SUCCESS only.
func PayoutNotice(po *Payout, infoOrder string) map[string]string {
	f := map[string]string{
		"oid_partner": po.OidPartner, "dt_order": po.DtOrder, "no_order": po.NoOrder, "oid_paybill": po.OidPaybill,
		"money_order": po.MoneyOrder, "result_pay": po.State,
	}
	if infoOrder != "" {
		f["info_order"] = infoOrder
	}
	if po.State == PayoutSuccess {
		f["settle_date"] = po.SettleDate
	}
	return f
}

// Settle does the payout work the clock made due: CHECK payouts past the
// confirm window close (no notification); PROCESSING ones complete as
// planned; returned SUCCESS ones turn CANCEL. FAILURE and CANCEL credit the
// money back. It returns how many payouts it handled.
func (p *Payouts) Settle(ctx context.Context) (int, error) {
	now := p.Clock.Now()
	due, err := view(ctx, p.Store, func(tx Tx) ([]*Payout, error) { return tx.DuePayouts(ctx, now, 100) })
	if err != nil {
		return 0, err
	}
	notified := false
	for _, po := range due {
		next := *po
		next.UpdatedAt = now
		switch po.State {
		case PayoutCheck:
			next.State, next.NextAt = PayoutClosed, time.Time{}
		case PayoutProcessing:
			next.State, next.NextAt = po.Result, time.Time{}
			if po.Result == PayoutSuccess {
				next.SettleDate = ChinaDate(po.DoneAt)
				next.NextAt = po.CancelAt
			}
		case PayoutSuccess:
			next.State, next.NextAt, next.Reason = PayoutCancel, time.Time{}, ReasonBankReturn
		default:
			next.NextAt = time.Time{}
		}
		var n *Notification
		if next.State != po.State && next.State != PayoutClosed && p.Sign != nil {
			s, err := p.Open(ctx, po)
			if err != nil {
				return 0, err
			}
			body, err := p.Sign(PayoutNotice(&next, s.InfoOrder), po.SignType)
			if err != nil {
				return 0, err
			}
			id := NewID()
			sealed, err := p.Vault.Seal(ctx, po.OidPartner, TableNotifications, id, body)
			if err != nil {
				return 0, err
			}
			n = &Notification{ID: id, OidPartner: po.OidPartner, Kind: NotifyPayout, NoOrder: po.NoOrder, URL: po.NotifyURL,
				Body: sealed, Status: NotifyPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
		}
		err := p.Store.Update(ctx, func(tx Tx) error {
			if _, err := lockSettled(ctx, tx, po.OidPartner, now); err != nil {
				return err
			}
			cur, err := tx.PayoutByNo(ctx, po.OidPartner, po.NoOrder)
			if err != nil {
				return err
			}
			if cur.State != po.State || !cur.NextAt.Equal(po.NextAt) {
				return nil // moved meanwhile
			}
			if next.State == PayoutFailure || next.State == PayoutCancel {
				if _, err := Move(ctx, tx, now, Money{OidPartner: po.OidPartner, Kind: LedgerPayoutReversal, Ref: po.NoOrder, Available: po.Amount}); err != nil {
					return err
				}
			}
			if err := tx.UpdatePayout(ctx, &next); err != nil {
				return err
			}
			if n == nil {
				return nil
			}
			notified = true
			return tx.InsertNotification(ctx, n)
		})
		if err != nil {
			return 0, err
		}
	}
	if notified && p.Wake != nil {
		p.Wake()
	}
	return len(due), nil
}

// ReasonBankReturn is a CANCEL's reason (the query's memo 银行退票).
const ReasonBankReturn = "CANCEL"

// ListPayouts lists payouts for the admin API.
func (p *Payouts) List(ctx context.Context, oid, noOrder string, limit int) ([]*Payout, error) {
	return view(ctx, p.Store, func(tx Tx) ([]*Payout, error) { return tx.ListPayouts(ctx, oid, noOrder, limit) })
}
