package llgate

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"time"
)

// Binding owns card binding: apply, verify, unbind, list.
type Binding struct {
	Store  Store
	Vault  Vault
	Clock  Clock
	Issuer Issuer
	SMS    SMSSender
	Mode   Mode
	Caps   Caps // zero value: no caps (--limits off)
}

// BindApply is a validated bind application.
type BindApply struct {
	Merchant  *Merchant
	Scope     string
	UserID    string
	Family    string // Family* of the pay_type
	Card      Card
	RiskItem  string
	NoOrder   string
	DtOrder   string
	NotifyURL string
	Addr      netip.Addr // the client address, for the velocity caps
}

// ScopeOwner is the vault owner of a scope's data: the merchant, or the
// platform its users are shared through.
func ScopeOwner(scope string) string {
	if p, ok := strings.CutPrefix(scope, "p:"); ok {
		return "platform:" + p
	}
	return strings.TrimPrefix(scope, "m:")
}

// Apply checks a bind application, creates (or, for a repeat while the
// token lives, resends) its challenge, commits it, then sends the code.
// Codes: 1100, 1102, 1103, 1004, 5601, 9912 and the issuer's outcomes,
// 7018, 3009, 9704 (caps, velocity or the SMS provider), 1014 (velocity).
func (b *Binding) Apply(ctx context.Context, a *BindApply) (token string, err error) {
	now := b.Clock.Now()
	info, err := b.card(a.Card.CardNo, CodeNoIssuer)
	if err != nil {
		return "", err
	}
	if err := checkFamily(a.Family, info); err != nil {
		return "", err
	}
	if info.CardType == "3" {
		if err := checkCredit(a.Card, now); err != nil {
			return "", err
		}
	}
	vel := b.Caps.velocity(b.Vault, a.Merchant, a.Addr)
	cardFP := b.Vault.Fingerprint("card", a.Card.CardNo)
	mobileFP := b.Vault.Fingerprint("mobile", a.Card.Mobile)
	if err := vel.precheck(ctx, b.Store, b.Issuer, now, cardSeen(cardFP), phoneSeen(mobileFP)); err != nil {
		return "", err
	}
	token, err = b.apply(ctx, a, info, vel, cardFP, mobileFP, now)
	if err != nil {
		return "", vel.refused(ctx, b.Store, now, cardFP, err)
	}
	return token, nil
}

// apply is Apply from the issuer's check on.
func (b *Binding) apply(ctx context.Context, a *BindApply, info CardInfo, vel velocity, cardFP, mobileFP string, now time.Time) (token string, err error) {
	res, err := b.Issuer.CheckHolder(ctx, a.Card)
	if err != nil {
		return "", err
	}
	personFP := b.Vault.Fingerprint("person", a.Card.IDType+"\x00"+a.Card.IDNo)
	code := NewSMSCode()
	if b.Mode == ModeSandbox && a.Merchant.SMSCode != "" {
		code = a.Merchant.SMSCode
	}
	secret, err := json.Marshal(CardSecret{
		Card: a.Card, RiskItem: a.RiskItem, NoOrder: a.NoOrder, DtOrder: a.DtOrder, NotifyURL: a.NotifyURL,
	})
	if err != nil {
		return "", err
	}
	text, err := newCodeText(ctx, b.SMS, b.Mode, a.Merchant.OidPartner, a.Card.Mobile, code, res.SMSFails)
	if err != nil {
		return "", err
	}
	// A repeat while the token lives is a resend: the same token, a new
	// code, the secret sealed again under that token's name. The data key
	// exists since the merchant (or platform) does, so the seal happens in
	// the transaction that decides the token.
	owner := ScopeOwner(a.Scope)
	err = b.Store.Update(ctx, func(tx Tx) error {
		token = ""
		if err := checkUser(ctx, tx, a.Scope, a.UserID, personFP); err != nil {
			return err
		}
		if _, n, err := tx.Agreements(ctx, AgreementFilter{Scope: a.Scope, UserID: a.UserID, CardFP: cardFP, ActiveOnly: true, Limit: 1}); err != nil {
			return err
		} else if n > 0 {
			return Errorf(CodeDuplicateBind, "this user has an active agreement for this card")
		}
		c, err := tx.LiveChallenge(ctx, ChallengeBind, a.Merchant.OidPartner, a.UserID, cardFP, now)
		isNew := errors.Is(err, ErrNotFound)
		switch {
		case isNew:
			c = &Challenge{
				Token: NewToken(), Kind: ChallengeBind, OidPartner: a.Merchant.OidPartner,
				Ref: cardFP, State: ChallengeLive, ExpiresAt: now.Add(TokenLifetime), CreatedAt: now,
			}
		case err != nil:
			return err
		}
		if err := b.Caps.checkAndCount(ctx, tx, capKeys{a.Merchant.OidPartner, mobileFP, cardFP, b.Vault.Fingerprint("user", a.Scope+"\x00"+a.UserID)}, now); err != nil {
			return err
		}
		fill(c, a, personFP, mobileFP, info)
		if c.Sealed, err = b.Vault.SealIn(ctx, owner, TableChallenges, c.Token, secret); err != nil {
			return err
		}
		c.UpdatedAt = now
		setCode(b.Vault, c, code, now)
		write := tx.UpdateChallenge
		if isNew {
			write = tx.InsertChallenge
		}
		if err := write(ctx, c); err != nil {
			return err
		}
		if err := text.record(ctx, tx); err != nil {
			return err
		}
		token = c.Token
		// Last: the counters' locks are held until the commit.
		return vel.check(ctx, tx, now, cardSeen(cardFP), phoneSeen(mobileFP))
	})
	if err != nil {
		return "", err
	}
	if err := text.send(ctx); err != nil {
		return "", err
	}
	return token, nil
}

func fill(c *Challenge, a *BindApply, personFP, mobileFP string, info CardInfo) {
	c.UserID, c.Scope = a.UserID, a.Scope
	c.PersonFP, c.MobileFP = personFP, mobileFP
	c.CardLast4 = last4(a.Card.CardNo)
	c.BankCode, c.CardType, c.Family = info.BankCode, info.CardType, a.Family
	c.MobileMask = MaskPhone(a.Card.Mobile)
}

// card identifies a card; noBIN is the code for an unknown BIN.
func (b *Binding) card(cardNo, noBIN string) (CardInfo, error) {
	info, err := b.Issuer.Card(cardNo)
	if errors.Is(err, ErrUnknownBIN) {
		return info, Errorf(noBIN, "no issuer for this BIN")
	}
	if err != nil {
		return info, err
	}
	if info.Prepaid {
		return info, Errorf(CodeCardUnsupported, "prepaid cards are not supported")
	}
	return info, nil
}

// checkFamily refuses a pay_type that does not fit the card (5601).
func checkFamily(family string, info CardInfo) error {
	switch {
	case family == FamilyDebit && info.CardType != "2",
		family == FamilyCredit && info.CardType != "3":
		return Errorf(CodePayTypeMismatch, "pay_type %s does not fit a card of type %s", family, info.CardType)
	}
	return nil
}

// checkCredit: a credit card needs vali_date (YYMM, not expired) and cvv2.
func checkCredit(h Card, now time.Time) error {
	if h.ValiDate == "" {
		return FieldError("vali_date", "missing for a credit card")
	}
	if h.CVV2 == "" {
		return FieldError("cvv2", "missing for a credit card")
	}
	if !isDigits(h.CVV2, 3) || !validYYMM(h.ValiDate) {
		return Errorf(CodeCardExpiry, "vali_date or cvv2 malformed")
	}
	if expiredYYMM(h.ValiDate, now) {
		return Errorf(CodeCardExpiry, "card expired")
	}
	return nil
}

// checkUser enforces one natural person per user_id and scope (7018):
// another person may take the user_id only once every agreement of the
// current one under it is unbound.
func checkUser(ctx context.Context, tx Tx, scope, userID, personFP string) error {
	u, err := tx.User(ctx, scope, userID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil || u.PersonFP == personFP {
		return err
	}
	_, n, err := tx.Agreements(ctx, AgreementFilter{Scope: scope, UserID: userID, ActiveOnly: true, Limit: 1})
	if err != nil {
		return err
	}
	if n > 0 {
		return Errorf(CodeUserMismatch, "user_id belongs to another person with active agreements")
	}
	return nil
}
