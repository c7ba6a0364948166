package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/llgate/llgate"
)

const challengeCols = `token, kind, oid_partner, scope, user_id, ref, mobile_fp, code_hash,
	code_sent_at, wrong_count, state, expires_at, sealed, person_fp, card_last4, bank_code,
	card_type, family, mobile_mask, created_at, updated_at`

func scanChallenge(s scanner) (*llgate.Challenge, error) {
	var (
		c                          llgate.Challenge
		sent, expires, created, up int64
	)
	if err := s.Scan(&c.Token, &c.Kind, &c.OidPartner, &c.Scope, &c.UserID, &c.Ref, &c.MobileFP,
		&c.CodeHash, &sent, &c.WrongCount, &c.State, &expires, &c.Sealed, &c.PersonFP,
		&c.CardLast4, &c.BankCode, &c.CardType, &c.Family, &c.MobileMask, &created, &up); err != nil {
		return nil, err
	}
	c.Sealed = blob(c.Sealed)
	c.CodeSentAt, c.ExpiresAt = fromMS(sent), fromMS(expires)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(up)
	return &c, nil
}

// InsertChallenge stores a new challenge; ErrConflict if the token is taken.
func (t *Tx) InsertChallenge(ctx context.Context, c *llgate.Challenge) error {
	n, err := t.exec(ctx, `INSERT INTO challenges (`+challengeCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
			$18, $19, $20, $21)
		ON CONFLICT DO NOTHING`,
		c.Token, c.Kind, c.OidPartner, c.Scope, c.UserID, c.Ref, c.MobileFP, c.CodeHash,
		ms(c.CodeSentAt), c.WrongCount, c.State, ms(c.ExpiresAt), blob(c.Sealed), c.PersonFP,
		c.CardLast4, c.BankCode, c.CardType, c.Family, c.MobileMask, ms(c.CreatedAt), ms(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert challenge: %w", err)
	}
	if n == 0 {
		// The token is a secret: it stays out of the message.
		return fmt.Errorf("challenge: %w", llgate.ErrConflict)
	}
	return nil
}

// Challenge returns one challenge, locked inside Update.
func (t *Tx) Challenge(ctx context.Context, token string) (*llgate.Challenge, error) {
	return queryOne(ctx, t, "challenge", scanChallenge,
		`SELECT `+challengeCols+` FROM challenges WHERE token = $1`+t.lock, token)
}

// UpdateChallenge overwrites every field but Token and CreatedAt.
func (t *Tx) UpdateChallenge(ctx context.Context, c *llgate.Challenge) error {
	n, err := t.exec(ctx, `UPDATE challenges SET kind = $2, oid_partner = $3, scope = $4,
		user_id = $5, ref = $6, mobile_fp = $7, code_hash = $8, code_sent_at = $9,
		wrong_count = $10, state = $11, expires_at = $12, sealed = $13, person_fp = $14,
		card_last4 = $15, bank_code = $16, card_type = $17, family = $18, mobile_mask = $19,
		updated_at = $20
		WHERE token = $1`,
		c.Token, c.Kind, c.OidPartner, c.Scope, c.UserID, c.Ref, c.MobileFP, c.CodeHash,
		ms(c.CodeSentAt), c.WrongCount, c.State, ms(c.ExpiresAt), blob(c.Sealed), c.PersonFP,
		c.CardLast4, c.BankCode, c.CardType, c.Family, c.MobileMask, ms(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("update challenge: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("challenge: %w", llgate.ErrNotFound)
	}
	return nil
}

// LiveChallenge returns the newest live challenge of kind for the merchant,
// user and ref that expires after now, locked inside Update. Challenges
// created in the same millisecond come newest-inserted first. On PostgreSQL,
// when a concurrent transaction kills or uses that challenge while this one
// waits for its lock, the answer is ErrNotFound rather than an older one.
func (t *Tx) LiveChallenge(ctx context.Context, kind, oidPartner, userID, ref string, now time.Time) (*llgate.Challenge, error) {
	return queryOne(ctx, t, "live "+kind+" challenge", scanChallenge,
		`SELECT `+challengeCols+` FROM challenges
		WHERE kind = $1 AND oid_partner = $2 AND user_id = $3 AND ref = $4
			AND state = $5 AND expires_at > $6
		ORDER BY created_at DESC, seq DESC LIMIT 1`+t.lock,
		kind, oidPartner, userID, ref, llgate.ChallengeLive, ms(now))
}
