package llgate

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// finish is what a successful payment writes, prepared outside the
// transaction (the vault is never called inside one): the sealed, signed
// notification, and for a payment with card elements the agreement it
// creates. apply re-checks under locks what the preparation assumed and
// answers errRetry when something moved.
type finish struct {
	settleDate   string
	settleDays   int // the merchant's, for the ledger
	noAgree      string
	newAgreement *Agreement // nil: none to create
	notification *Notification
}

// prepareSuccess builds o's finish. m is o's merchant when the caller
// holds it (a verify has it from the request); nil reads it.
func (p *Payments) prepareSuccess(ctx context.Context, o *Order, card *Card, secret *OrderSecret, m *Merchant, now time.Time) (finish, error) {
	f := finish{settleDate: ChinaDate(now), noAgree: o.NoAgree}
	if o.IsPreauth() {
		f.settleDate = "" // an authorisation settles nothing: its capture does
	}
	if f.noAgree == "" { // card elements: the payment binds the card
		existing, free, err := p.agreementFor(ctx, o)
		if err != nil {
			return f, err
		}
		switch {
		case existing != "":
			f.noAgree = existing
		case free:
			na := NewNoAgree()
			plain, err := json.Marshal(card)
			if err != nil {
				return f, err
			}
			sealed, err := p.Vault.Seal(ctx, ScopeOwner(o.Scope), TableAgreements, na, plain)
			if err != nil {
				return f, err
			}
			info, err := p.Issuer.Card(card.CardNo)
			if err != nil {
				return f, err
			}
			f.noAgree = na
			f.newAgreement = &Agreement{
				NoAgree: na, Scope: o.Scope, OidPartner: o.OidPartner, UserID: o.UserID, PersonFP: o.PersonFP,
				CardFP: o.CardFP, CardLast4: last4(card.CardNo), BankCode: info.BankCode, CardType: info.CardType,
				Family: agreementFamily(o, info.CardType), MobileMask: MaskPhone(card.Mobile), Sealed: sealed,
				Status: AgreementActive, CreatedAt: now,
			}
		}
	}
	if m == nil || m.OidPartner != o.OidPartner {
		var err error
		if m, err = view(ctx, p.Store, func(tx Tx) (*Merchant, error) { return tx.Merchant(ctx, o.OidPartner) }); err != nil {
			return f, err
		}
	}
	f.settleDays = m.SettleDays
	pn := &PaymentNotice{Order: o, InfoOrder: secret.InfoOrder, NoAgree: f.noAgree, SettleDate: f.settleDate}
	if m.NotifyExtraFields {
		pn.Holder = card
	}
	md5Key, err := p.md5KeyOf(ctx, m, o.SignType, o.OidPartner)
	if err != nil {
		return f, err
	}
	body, err := p.Notices.SignPayment(pn, o.SignType, md5Key)
	if err != nil {
		return f, err
	}
	n, err := p.notice(ctx, o.OidPartner, NotifyPayment, o.NoOrder, "", o.NotifyURL, body, now)
	f.notification = n
	return f, err
}

// agreementFor says what a card-element payment's agreement will be: the
// user's active agreement for this card, or a new one if the user_id is
// free for this person (false when another person holds it: no agreement).
func (p *Payments) agreementFor(ctx context.Context, o *Order) (existing string, free bool, err error) {
	err = p.Store.View(ctx, func(tx Tx) error {
		list, _, err := tx.Agreements(ctx, AgreementFilter{Scope: o.Scope, UserID: o.UserID, CardFP: o.CardFP, ActiveOnly: true, Limit: 1})
		if err != nil {
			return err
		}
		if len(list) > 0 {
			existing = list[0].NoAgree
			return nil
		}
		err = checkUser(ctx, tx, o.Scope, o.UserID, o.PersonFP)
		free = err == nil
		if ErrorCode(err) == CodeUserMismatch {
			err = nil
		}
		return err
	})
	return existing, free, err
}

// apply writes the success inside the transaction.
func (f *finish) apply(ctx context.Context, tx Tx, o *Order, now time.Time) error {
	if a := f.newAgreement; a != nil {
		if err := takeUser(ctx, tx, a.Scope, a.UserID, a.OidPartner, a.PersonFP, now); err != nil {
			if ErrorCode(err) == CodeUserMismatch {
				return errRetry
			}
			return err
		}
		if err := tx.InsertAgreement(ctx, a); errors.Is(err, ErrConflict) {
			return errRetry
		} else if err != nil {
			return err
		}
	}
	o.Status, o.PaidAt, o.SettleDate, o.NoAgree = OrderSuccess, now, f.settleDate, f.noAgree
	if !o.IsPreauth() { // an authorisation's money comes with its capture
		if _, err := Move(ctx, tx, now, PaymentMoney(o.OidPartner, o.OidPaybill, o.Amount, f.settleDate, f.settleDays)); err != nil {
			return err
		}
	}
	return tx.InsertNotification(ctx, f.notification)
}

// notice seals a signed notification body, ready to insert.
func (p *Payments) notice(ctx context.Context, oid, kind, noOrder, noRefund, url string, body []byte, now time.Time) (*Notification, error) {
	id := NewID()
	sealed, err := p.Vault.Seal(ctx, oid, TableNotifications, id, body)
	if err != nil {
		return nil, err
	}
	return &Notification{
		ID: id, OidPartner: oid, Kind: kind, NoOrder: noOrder, NoRefund: noRefund, URL: url, Body: sealed,
		Status: NotifyPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
	}, nil
}
