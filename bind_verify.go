package llgate

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// BindVerify is a validated bind verification.
type BindVerify struct {
	Merchant *Merchant
	Scope    string
	UserID   string
	Token    string
	Code     string
}

// BindVerified is what a successful verify answers.
type BindVerified struct {
	NoAgree   string
	CardLast4 string
	NoOrder   string
	DtOrder   string
}

// Verify checks the code and turns the application into an agreement, in
// one transaction: the challenge read and locked, its secret opened and
// sealed again as the agreement's. Every wrong try is committed before the
// answer. Codes: 1000 (token unknown, expired, dead, used, or another
// merchant's or user's), 9700, 9702, 9703, 7018, 3009.
func (b *Binding) Verify(ctx context.Context, v *BindVerify) (*BindVerified, error) {
	var out *BindVerified
	var answer error
	var holder Card
	err := b.Store.Update(ctx, func(tx Tx) error {
		out, answer = nil, nil
		c, err := tx.Challenge(ctx, v.Token)
		if errors.Is(err, ErrNotFound) || err == nil && (c.Kind != ChallengeBind || c.OidPartner != v.Merchant.OidPartner ||
			c.UserID != v.UserID || c.Scope != v.Scope) {
			answer = Errorf(CodeTokenInvalid, "token unknown")
			return nil
		}
		if err != nil {
			return err
		}
		now := b.Clock.Now()
		changed, err := checkCode(b.Vault, c, v.Code, now)
		if err != nil {
			answer = err
			if changed {
				return tx.UpdateChallenge(ctx, c) // commit the wrong try
			}
			return nil
		}
		owner := ScopeOwner(c.Scope)
		secret, err := b.Vault.Open(ctx, owner, TableChallenges, c.Token, c.Sealed)
		if err != nil {
			return err
		}
		var cs CardSecret
		if err := json.Unmarshal(secret, &cs); err != nil {
			return err
		}
		noAgree := NewNoAgree()
		sealed, err := b.Vault.SealIn(ctx, owner, TableAgreements, noAgree, secret)
		if err != nil {
			return err
		}
		c.State, c.UpdatedAt = ChallengeUsed, now
		if err := tx.UpdateChallenge(ctx, c); err != nil {
			return err
		}
		if err := takeUser(ctx, tx, c.Scope, c.UserID, c.OidPartner, c.PersonFP, now); err != nil {
			return err
		}
		err = tx.InsertAgreement(ctx, &Agreement{
			NoAgree: noAgree, Scope: c.Scope, OidPartner: c.OidPartner, UserID: c.UserID,
			PersonFP: c.PersonFP, CardFP: c.Ref, CardLast4: c.CardLast4, BankCode: c.BankCode,
			CardType: c.CardType, Family: c.Family, MobileMask: c.MobileMask, Sealed: sealed,
			Status: AgreementActive, CreatedAt: now,
		})
		if errors.Is(err, ErrConflict) {
			return Errorf(CodeDuplicateBind, "this user has an active agreement for this card")
		}
		holder = cs.Card
		out = &BindVerified{NoAgree: noAgree, CardLast4: last4(cs.CardNo), NoOrder: cs.NoOrder, DtOrder: cs.DtOrder}
		return err
	})
	if err != nil {
		return nil, err
	}
	if answer != nil {
		return nil, answer
	}
	// The agreement stands even if the issuer's registry is not told: the
	// registry only sharpens later holder checks.
	_ = b.Issuer.HolderBound(ctx, holder)
	return out, nil
}

// takeUser binds the user_id to the person (7018 if another person still
// holds it).
func takeUser(ctx context.Context, tx Tx, scope, userID, oid, personFP string, now time.Time) error {
	u := &User{Scope: scope, UserID: userID, OidPartner: oid, PersonFP: personFP, CreatedAt: now, UpdatedAt: now}
	if ok, err := tx.InsertUser(ctx, u); err != nil || ok {
		return err
	}
	if err := checkUser(ctx, tx, scope, userID, personFP); err != nil {
		return err
	}
	u, err := tx.User(ctx, scope, userID)
	if err != nil || u.PersonFP == personFP {
		return err
	}
	u.PersonFP, u.UpdatedAt = personFP, now
	return tx.UpdateUser(ctx, u)
}
