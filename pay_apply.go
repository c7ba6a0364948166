package llgate

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"time"
)

// PayApply is a validated pay apply: with an agreement (NoAgree) or with
// card elements (Card).
type PayApply struct {
	Merchant    *Merchant
	Scope       string
	UserID      string
	NoOrder     string
	DtOrder     string
	BusiPartner string
	NameGoods   string
	InfoOrder   string
	Amount      Amount
	MoneyOrder  string
	NotifyURL   string
	ValidOrder  time.Duration
	RiskItem    string
	PayType     string
	Family      string // MPAY: the pay_type's family; Easy Payment derives it
	NoAgree     string
	Card        *Card
	SignType    string
	RequestHash string
	Addr        netip.Addr // the client address, for the velocity caps
	// Product is the payment product (PayProductMPAY, PayProductEasypay;
	// "" = MPAY). For Easy Payment, PayType is the request's (absent = M)
	// and the engine applies its card rules.
	Product string
	// NoSMS pays at once, without a code (the merchant's easypay_no_sms,
	// Easy Payment direct apply only): Apply returns the order as the
	// charge left it, with the charge's error (2008 PROCESSING, declines).
	NoSMS bool
	// Attach is the oid_paybill of the card-less order a checkout entry
	// made under NoOrder (the hosted cashier's code step only): the apply
	// fills that order with its card and token instead of inserting one.
	// Once it has a card, a repeat is answered as any repeat.
	Attach string
}

// Apply creates the order and its challenge, commits, then texts the code.
// A repeat with the same RequestHash returns the original order (with a new
// token if the old one died and the order is open); another request under
// the same no_order answers 1002. Codes: those of binding's card checks,
// 3003, 1019/1014/1016, 1002, 9704 (caps, velocity or the SMS provider),
// 1014 (velocity); 3010 when the merchant lacks the product line, and for
// Easy Payment 1004 (pay_type) and 5601.
func (p *Payments) Apply(ctx context.Context, a *PayApply) (*Order, error) {
	a, err := a.terms()
	if err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 3; attempt++ {
		var ag *Agreement // read along, for a payment with an agreement
		o, err := view(ctx, p.Store, func(tx Tx) (*Order, error) {
			o, err := tx.OrderByNo(ctx, a.Merchant.OidPartner, a.NoOrder)
			if !errors.Is(err, ErrNotFound) || a.NoAgree == "" {
				return o, err
			}
			if ag, err = tx.Agreement(ctx, a.NoAgree); err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
			return nil, ErrNotFound
		})
		switch {
		case err == nil && a.Attach != "" && o.OidPaybill == a.Attach && o.CardLess():
			if err := attachable(o, p.Clock.Now()); err != nil {
				return nil, err
			}
			o, err = p.create(ctx, a, nil, o)
			if errors.Is(err, errRetry) {
				continue // a concurrent code step attached a card: answer as a repeat
			}
			return o, err
		case err == nil:
			o, err := p.replay(ctx, a, o)
			if err == nil && a.NoSMS && o.Status == OrderWaiting {
				return p.payNow(ctx, a.Merchant, o) // a repeat after a crash: pay it now
			}
			return o, err
		case !errors.Is(err, ErrNotFound):
			return nil, err
		}
		o, err = p.create(ctx, a, ag, nil)
		if errors.Is(err, errRetry) {
			continue // a concurrent apply took the no_order: answer as a repeat
		}
		if err == nil && a.NoSMS {
			return p.payNow(ctx, a.Merchant, o)
		}
		return o, err
	}
	return nil, Errorf(CodeSystem, "pay apply kept racing")
}

// payCard is the card an order will pay with.
type payCard struct {
	agreement *Agreement // nil for card elements
	card      *Card
	info      CardInfo
	personFP  string
	noAgree   string
	smsFails  bool
	checked   string // the fingerprint of card elements the issuer checked
}

// resolveCard finds the card a payment uses; ag is its agreement when the
// caller has read it already. Card elements count against the velocity
// caps from the moment the issuer is asked about them.
func (p *Payments) resolveCard(ctx context.Context, a *PayApply, ag *Agreement, vel velocity, now time.Time) (*payCard, error) {
	if a.NoAgree != "" {
		var err error
		if ag == nil {
			ag, err = view(ctx, p.Store, func(tx Tx) (*Agreement, error) { return tx.Agreement(ctx, a.NoAgree) })
		}
		if errors.Is(err, ErrNotFound) || err == nil && (ag.Scope != a.Scope || ag.UserID != a.UserID || ag.Status != AgreementActive) {
			return nil, Errorf(CodeNoAgreement, "no active agreement %s for this user", a.NoAgree)
		}
		if err != nil {
			return nil, err
		}
		card, err := p.openAgreement(ctx, ag)
		if err != nil {
			return nil, err
		}
		info := CardInfo{BankCode: ag.BankCode, CardType: ag.CardType}
		if err := checkFamily(a.Family, info); err != nil {
			return nil, err
		}
		return &payCard{agreement: ag, card: card, info: info, personFP: ag.PersonFP, noAgree: ag.NoAgree}, nil
	}
	h := *a.Card
	info, err := p.Binding.card(h.CardNo, CodeNoIssuer)
	if err != nil {
		return nil, err
	}
	if err := checkFamily(a.Family, info); err != nil {
		return nil, err
	}
	if info.CardType == "3" {
		if err := checkCredit(h, now); err != nil {
			return nil, err
		}
	}
	cardFP := p.Vault.Fingerprint("card", h.CardNo)
	if err := vel.precheck(ctx, p.Store, p.Issuer, now, cardSeen(cardFP), phoneSeen(p.Vault.Fingerprint("mobile", h.Mobile))); err != nil {
		return nil, err
	}
	res, err := p.Issuer.CheckHolder(ctx, h)
	if err != nil {
		return nil, vel.refused(ctx, p.Store, now, cardFP, err)
	}
	return &payCard{
		card: &h,
		info: info, personFP: p.Vault.Fingerprint("person", h.IDType+"\x00"+h.IDNo), smsFails: res.SMSFails,
		checked: cardFP,
	}, nil
}

// create runs the card rules and places the order; open is the card-less
// order the apply attaches its card to (nil: a new order).
func (p *Payments) create(ctx context.Context, a *PayApply, ag *Agreement, open *Order) (*Order, error) {
	now := p.Clock.Now()
	vel := p.Caps.velocity(p.Vault, a.Merchant, a.Addr)
	card, err := p.resolveCard(ctx, a, ag, vel, now)
	if err != nil {
		return nil, err
	}
	o, err := p.place(ctx, a, card, vel, now, open)
	if err != nil {
		return nil, vel.refused(ctx, p.Store, now, card.checked, err)
	}
	return o, nil
}

// place writes the order and its challenge, then texts the code. With
// open, the card-less order of a checkout entry, it fills that order (same
// oid_paybill, creation and valid_order) instead of inserting one.
func (p *Payments) place(ctx context.Context, a *PayApply, card *payCard, vel velocity, now time.Time, open *Order) (*Order, error) {
	m := a.Merchant
	secret := OrderSecret{InfoOrder: a.InfoOrder, NameGoods: a.NameGoods, RiskItem: a.RiskItem}
	if a.NoAgree == "" {
		secret.Card = card.card
	}
	plain, err := json.Marshal(secret)
	if err != nil {
		return nil, err
	}
	o := &Order{
		OidPaybill: NewOidPaybill(), OidPartner: m.OidPartner, NoOrder: a.NoOrder, DtOrder: a.DtOrder,
		UserID: a.UserID, Scope: a.Scope, PersonFP: card.personFP, NoAgree: card.noAgree,
		CardFP: p.Vault.Fingerprint("card", card.card.CardNo), CardMask: MaskCard(card.card.CardNo),
		BankCode: card.info.BankCode, CardType: card.info.CardType, PayType: a.PayType, BusiPartner: a.BusiPartner,
		Product: a.Product,
		Amount:  a.Amount, MoneyOrder: a.MoneyOrder, SignType: a.SignType, NotifyURL: a.NotifyURL,
		Status: OrderWaiting, RequestHash: a.RequestHash, Token: NewToken(),
		ValidUntil: now.Add(a.ValidOrder), CreatedAt: now, UpdatedAt: now,
	}
	if open != nil {
		o.OidPaybill, o.ValidUntil, o.CreatedAt = open.OidPaybill, open.ValidUntil, open.CreatedAt
	}
	if o.Sealed, err = p.Vault.Seal(ctx, m.OidPartner, TableOrders, o.OidPaybill, plain); err != nil {
		return nil, err
	}
	code := p.code(m)
	mobileFP := p.Vault.Fingerprint("mobile", card.card.Mobile)
	text, err := newCodeText(ctx, p.SMS, p.Mode, m.OidPartner, card.card.Mobile, code, card.smsFails)
	if err != nil {
		return nil, err
	}
	if a.NoSMS {
		text = nil // no code is texted: the apply pays at once
	}
	var c *Challenge
	err = p.Store.Update(ctx, func(tx Tx) error {
		if err := tx.LockPerson(ctx, m.OidPartner, o.PersonFP); err != nil {
			return err
		}
		if err := checkLimits(ctx, tx, m, o.PersonFP, o.Amount, now); err != nil {
			return err
		}
		if open != nil {
			if err := attach(ctx, tx, o, now); err != nil {
				return err
			}
		} else if err := tx.InsertOrder(ctx, o); errors.Is(err, ErrConflict) {
			return errRetry
		} else if err != nil {
			return err
		}
		if err := tx.InsertOrderEvent(ctx, newEvent(o, now, noteApplied)); err != nil {
			return err
		}
		if c, err = p.issue(ctx, tx, o, mobileFP, code, now, text != nil); err != nil {
			return err
		}
		if err := text.record(ctx, tx); err != nil {
			return err
		}
		// Last: the counters' locks are held until the commit.
		return vel.check(ctx, tx, now, cardSeen(card.checked), phoneSeen(mobileFP))
	})
	if err != nil {
		return nil, err
	}
	if err := text.send(ctx); err != nil {
		return nil, err
	}
	if text == nil {
		return o, nil
	}
	p.Pending.put(o.Token, verifySnapshot{c: c, o: asStored(*o), a: card.agreement})
	return o, nil
}

// issue creates the order's challenge under o.Token, within the SMS caps
// when a code is texted.
func (p *Payments) issue(ctx context.Context, tx Tx, o *Order, mobileFP, code string, now time.Time, texted bool) (*Challenge, error) {
	if !texted {
		// nothing is sent: the caps count texts
	} else if err := p.Caps.checkAndCount(ctx, tx, p.capKeysOf(o, mobileFP), now); err != nil {
		return nil, err
	}
	c := &Challenge{
		Token: o.Token, Kind: ChallengePay, OidPartner: o.OidPartner, Scope: o.Scope, UserID: o.UserID,
		Ref: o.OidPaybill, MobileFP: mobileFP, State: ChallengeLive, ExpiresAt: now.Add(TokenLifetime),
		PersonFP: o.PersonFP, CardLast4: last4(o.CardMask), BankCode: o.BankCode, CardType: o.CardType,
		CreatedAt: now, UpdatedAt: now,
	}
	setCode(p.Vault, c, code, now)
	return c, tx.InsertChallenge(ctx, c)
}

// capKeysOf are the SMS-cap counters a text for order o to mobileFP counts
// against: the first code and every resend alike.
func (p *Payments) capKeysOf(o *Order, mobileFP string) capKeys {
	return capKeys{o.OidPartner, mobileFP, o.CardFP, p.Vault.Fingerprint("user", o.Scope+"\x00"+o.UserID)}
}

func (p *Payments) code(m *Merchant) string {
	if p.Mode == ModeSandbox && m.SMSCode != "" {
		return m.SMSCode
	}
	return NewSMSCode()
}

func (p *Payments) text(ctx context.Context, m *Merchant, mobile, code string) error {
	return sendSMS(ctx, p.SMS, SMS{OidPartner: m.OidPartner, Mobile: mobile, Code: code, Text: SMSText(p.Mode, code)})
}

// replay answers a repeated apply: the original order; a new token when the
// old one died and the order is still open.
func (p *Payments) replay(ctx context.Context, a *PayApply, o *Order) (*Order, error) {
	if o.RequestHash != a.RequestHash || o.Product != a.Product || o.CardLess() {
		return nil, Errorf(CodeDuplicateOrder, "no_order %s was used for another request", a.NoOrder)
	}
	now := p.Clock.Now()
	if o.Status != OrderWaiting || !now.Before(o.ValidUntil) {
		return o, nil
	}
	live, err := view(ctx, p.Store, func(tx Tx) (*Challenge, error) {
		return tx.LiveChallenge(ctx, ChallengePay, o.OidPartner, o.UserID, o.OidPaybill, now)
	})
	if err == nil && live.Token == o.Token {
		return o, nil
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	s, err := p.openOrder(ctx, o)
	if err != nil {
		return nil, err
	}
	card, err := p.cardOf(ctx, o, s)
	if err != nil {
		return nil, err
	}
	code := p.code(a.Merchant)
	mobileFP := p.Vault.Fingerprint("mobile", card.Mobile)
	vel := p.Caps.velocity(p.Vault, a.Merchant, a.Addr)
	token := NewToken()
	var out *Order
	err = p.Store.Update(ctx, func(tx Tx) error {
		cur, err := tx.Order(ctx, o.OidPaybill)
		if err != nil {
			return err
		}
		if cur.Token != o.Token || cur.Status != OrderWaiting {
			out = cur // another repeat got there first
			return nil
		}
		cur.Token, cur.UpdatedAt = token, now
		if err := tx.UpdateOrder(ctx, cur); err != nil {
			return err
		}
		if err := tx.InsertOrderEvent(ctx, newEvent(cur, now, noteNewToken)); err != nil {
			return err
		}
		out = cur
		if _, err = p.issue(ctx, tx, cur, mobileFP, code, now, !a.NoSMS); err != nil {
			return err
		}
		// The new token's text goes to the card's phone: it counts.
		return vel.check(ctx, tx, now, phoneSeen(mobileFP))
	})
	if err != nil {
		return nil, err
	}
	if out.Token != token || a.NoSMS {
		return out, nil
	}
	return out, p.text(ctx, a.Merchant, card.Mobile, code)
}

// payNow charges a NoSMS order at once: a verify that needs no code.
func (p *Payments) payNow(ctx context.Context, m *Merchant, o *Order) (*Order, error) {
	return p.Verify(ctx, &PayVerify{Merchant: m, Token: o.Token, noCode: true})
}
