package sqlstore

import (
	"context"
	"fmt"

	"github.com/llgate/llgate"
)

// InsertUser stores a new user unless (scope, user_id) exists.
func (t *Tx) InsertUser(ctx context.Context, u *llgate.User) (bool, error) {
	n, err := t.exec(ctx, `INSERT INTO users (scope, user_id, oid_partner, person_fp, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		u.Scope, u.UserID, u.OidPartner, u.PersonFP, ms(u.CreatedAt), ms(u.UpdatedAt))
	if err != nil {
		return false, fmt.Errorf("insert user %s/%s: %w", u.Scope, u.UserID, err)
	}
	return n == 1, nil
}

// User returns one user, locked inside Update.
func (t *Tx) User(ctx context.Context, scope, userID string) (*llgate.User, error) {
	return queryOne(ctx, t, "user "+scope+"/"+userID, func(s scanner) (*llgate.User, error) {
		var (
			u           llgate.User
			created, up int64
		)
		err := s.Scan(&u.Scope, &u.UserID, &u.OidPartner, &u.PersonFP, &created, &up)
		u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(up)
		return &u, err
	}, `SELECT scope, user_id, oid_partner, person_fp, created_at, updated_at FROM users
		WHERE scope = $1 AND user_id = $2`+t.lock, scope, userID)
}

// UpdateUser overwrites every field but the key (Scope, UserID) and
// CreatedAt.
func (t *Tx) UpdateUser(ctx context.Context, u *llgate.User) error {
	n, err := t.exec(ctx, `UPDATE users SET oid_partner = $3, person_fp = $4, updated_at = $5
		WHERE scope = $1 AND user_id = $2`,
		u.Scope, u.UserID, u.OidPartner, u.PersonFP, ms(u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("update user %s/%s: %w", u.Scope, u.UserID, err)
	}
	if n == 0 {
		return fmt.Errorf("user %s/%s: %w", u.Scope, u.UserID, llgate.ErrNotFound)
	}
	return nil
}
