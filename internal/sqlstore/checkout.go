package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/llgate/llgate"
)

const checkoutCols = `token, oid_partner, no_order, flavour, route, user_id, scope, dt_order,
	busi_partner, amount, money_order, notify_url, url_return, back_url, pay_type, sign_type,
	bg_color, font_color, sync_notify, flag_modify, no_agree, request_hash, valid_order,
	oid_paybill, fail_code, returned_at, sealed, expires_at, created_at, updated_at`

func checkoutArgs(c *llgate.Checkout) []any {
	return []any{c.Token, c.OidPartner, c.NoOrder, c.Flavour, c.Route, c.UserID, c.Scope, c.DtOrder,
		c.BusiPartner, int64(c.Amount), c.MoneyOrder, c.NotifyURL, c.URLReturn, c.BackURL, c.PayType, c.SignType,
		c.BgColor, c.FontColor, c.SyncNotify, c.FlagModify, c.NoAgree, c.RequestHash, c.ValidOrder.Milliseconds(),
		c.OidPaybill, c.FailCode, ms(c.ReturnedAt), c.Sealed, ms(c.ExpiresAt), ms(c.CreatedAt), ms(c.UpdatedAt)}
}

func scanCheckout(s scanner) (*llgate.Checkout, error) {
	var (
		c                           llgate.Checkout
		amount, valid               int64
		returned, exp, created, upd int64
	)
	if err := s.Scan(&c.Token, &c.OidPartner, &c.NoOrder, &c.Flavour, &c.Route, &c.UserID, &c.Scope, &c.DtOrder,
		&c.BusiPartner, &amount, &c.MoneyOrder, &c.NotifyURL, &c.URLReturn, &c.BackURL, &c.PayType, &c.SignType,
		&c.BgColor, &c.FontColor, &c.SyncNotify, &c.FlagModify, &c.NoAgree, &c.RequestHash, &valid,
		&c.OidPaybill, &c.FailCode, &returned, &c.Sealed, &exp, &created, &upd); err != nil {
		return nil, err
	}
	c.Amount, c.ValidOrder = llgate.Amount(amount), time.Duration(valid)*time.Millisecond
	c.ReturnedAt, c.ExpiresAt = fromMS(returned), fromMS(exp)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(upd)
	return &c, nil
}

// InsertCheckout stores a new checkout; ErrConflict if the token or the
// merchant's no_order is taken.
func (t *Tx) InsertCheckout(ctx context.Context, c *llgate.Checkout) error {
	n, err := t.exec(ctx, `INSERT INTO checkouts (`+checkoutCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
		$20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30)
		ON CONFLICT DO NOTHING`, checkoutArgs(c)...)
	if err != nil {
		return fmt.Errorf("insert checkout of %s: %w", c.NoOrder, err)
	}
	if n == 0 {
		return fmt.Errorf("checkout (no_order %s of %s): %w", c.NoOrder, c.OidPartner, llgate.ErrConflict)
	}
	return nil
}

// Checkout returns one checkout by its token, locked inside Update.
func (t *Tx) Checkout(ctx context.Context, token string) (*llgate.Checkout, error) {
	return queryOne(ctx, t, "checkout", scanCheckout,
		`SELECT `+checkoutCols+` FROM checkouts WHERE token = $1`+t.lock, token)
}

// CheckoutByOrder returns the merchant's checkout of no_order, locked
// inside Update.
func (t *Tx) CheckoutByOrder(ctx context.Context, oidPartner, noOrder string) (*llgate.Checkout, error) {
	return queryOne(ctx, t, "checkout of "+noOrder, scanCheckout,
		`SELECT `+checkoutCols+` FROM checkouts WHERE oid_partner = $1 AND no_order = $2`+t.lock,
		oidPartner, noOrder)
}

// UpdateCheckout overwrites every field but the keys (Token, and
// OidPartner with NoOrder) and CreatedAt.
func (t *Tx) UpdateCheckout(ctx context.Context, c *llgate.Checkout) error {
	n, err := t.exec(ctx, `UPDATE checkouts SET flavour = $2, route = $3, user_id = $4, scope = $5,
		dt_order = $6, busi_partner = $7, amount = $8, money_order = $9, notify_url = $10, url_return = $11,
		back_url = $12, pay_type = $13, sign_type = $14, bg_color = $15, font_color = $16, sync_notify = $17,
		flag_modify = $18, no_agree = $19, request_hash = $20, valid_order = $21, oid_paybill = $22,
		fail_code = $23, returned_at = $24, sealed = $25, expires_at = $26, updated_at = $27
		WHERE token = $1`,
		c.Token, c.Flavour, c.Route, c.UserID, c.Scope, c.DtOrder, c.BusiPartner, int64(c.Amount), c.MoneyOrder,
		c.NotifyURL, c.URLReturn, c.BackURL, c.PayType, c.SignType, c.BgColor, c.FontColor, c.SyncNotify,
		c.FlagModify, c.NoAgree, c.RequestHash, c.ValidOrder.Milliseconds(), c.OidPaybill, c.FailCode, ms(c.ReturnedAt),
		c.Sealed, ms(c.ExpiresAt), ms(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("update checkout: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("checkout: %w", llgate.ErrNotFound)
	}
	return nil
}

// Checkouts returns what q selects, newest first; no lock.
func (t *Tx) Checkouts(ctx context.Context, q llgate.CheckoutQuery) ([]*llgate.Checkout, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	order := `created_at DESC, token DESC`
	returned := int64(-1)
	if q.Returned {
		order, returned = `returned_at DESC, token DESC`, 0
	}
	cs, err := queryAll(ctx, t, scanCheckout, `SELECT `+checkoutCols+` FROM checkouts
		WHERE ($1 = '' OR oid_partner = $1) AND ($2 = '' OR no_order = $2) AND returned_at > $3
		ORDER BY `+order+` LIMIT CAST($4 AS BIGINT)`, q.OidPartner, q.NoOrder, returned, limit)
	if err != nil {
		return nil, fmt.Errorf("checkouts: %w", err)
	}
	return cs, nil
}
