package llgate

import (
	"bytes"
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

// Verify checks the code and turns the application into an agreement.
// Every wrong try is committed before the answer. Codes: 1000 (token
// unknown, expired, dead, used, or another merchant's or user's), 9700,
// 9702, 9703, 7018, 3009.
func (b *Binding) Verify(ctx context.Context, v *BindVerify) (*BindVerified, error) {
	for attempt := 0; attempt < 5; attempt++ {
		// Read and open the application outside the transaction (the vault
		// is never called inside one), then confirm nothing moved.
		pre, secret, err := b.peekChallenge(ctx, v)
		if err != nil {
			return nil, err
		}
		noAgree := NewNoAgree()
		sealed, err := b.Vault.Seal(ctx, ScopeOwner(pre.Scope), TableAgreements, noAgree, secret)
		if err != nil {
			return nil, err
		}
		var cs CardSecret
		if err := json.Unmarshal(secret, &cs); err != nil {
			return nil, err
		}
		var answer error
		err = b.Store.Update(ctx, func(tx Tx) error {
			answer = nil
			c, err := tx.Challenge(ctx, v.Token)
			if err != nil {
				return err
			}
			if !bytes.Equal(c.Sealed, pre.Sealed) {
				return errMoved // resent meanwhile: the secret may have changed
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
			return err
		})
		if errors.Is(err, errMoved) {
			continue
		}
		if errors.Is(err, ErrNotFound) {
			return nil, Errorf(CodeTokenInvalid, "token unknown")
		}
		if err != nil {
			return nil, err
		}
		if answer != nil {
			return nil, answer
		}
		// The agreement stands even if the issuer's registry is not told: the
		// registry only sharpens later holder checks.
		_ = b.Issuer.HolderBound(ctx, cs.Card)
		return &BindVerified{NoAgree: noAgree, CardLast4: last4(cs.CardNo), NoOrder: cs.NoOrder, DtOrder: cs.DtOrder}, nil
	}
	return nil, Errorf(CodeSystem, "bind verify kept racing with resends")
}

// peekChallenge reads the application and opens its secret. A token that
// is unknown, of another kind, merchant or user answers 1000, identically.
func (b *Binding) peekChallenge(ctx context.Context, v *BindVerify) (*Challenge, []byte, error) {
	var c *Challenge
	err := b.Store.View(ctx, func(tx Tx) error {
		var err error
		c, err = tx.Challenge(ctx, v.Token)
		return err
	})
	if errors.Is(err, ErrNotFound) || err == nil && (c.Kind != ChallengeBind || c.OidPartner != v.Merchant.OidPartner || c.UserID != v.UserID || c.Scope != v.Scope) {
		return nil, nil, Errorf(CodeTokenInvalid, "token unknown")
	}
	if err != nil {
		return nil, nil, err
	}
	secret, err := b.Vault.Open(ctx, ScopeOwner(c.Scope), TableChallenges, c.Token, c.Sealed)
	if err != nil {
		return nil, nil, err
	}
	return c, secret, nil
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
