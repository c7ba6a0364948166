package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/llgate/llgate"
)

const refundCols = `oid_refundno, oid_partner, no_refund, dt_refund, oid_paybill, amount,
	money_refund, sign_type, notify_url, status, request_hash, settle_at, settle_date,
	settled_at, created_at, updated_at`

func scanRefund(s scanner) (*llgate.Refund, error) {
	var (
		r                      llgate.Refund
		amount                 int64
		settle, settled, c, up int64
	)
	if err := s.Scan(&r.OidRefundno, &r.OidPartner, &r.NoRefund, &r.DtRefund, &r.OidPaybill,
		&amount, &r.MoneyRefund, &r.SignType, &r.NotifyURL, &r.Status, &r.RequestHash, &settle,
		&r.SettleDate, &settled, &c, &up); err != nil {
		return nil, err
	}
	r.Amount = llgate.Amount(amount)
	r.SettleAt, r.SettledAt = fromMS(settle), fromMS(settled)
	r.CreatedAt, r.UpdatedAt = fromMS(c), fromMS(up)
	return &r, nil
}

// InsertRefund stores a new refund; ErrConflict if oid_refundno or the
// merchant's no_refund is taken. Whether the payment exists is the caller's
// to check (it locks the order first): a foreign key would fail the
// statement, which aborts a PostgreSQL transaction.
func (t *Tx) InsertRefund(ctx context.Context, r *llgate.Refund) error {
	n, err := t.exec(ctx, `INSERT INTO refunds (`+refundCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT DO NOTHING`,
		r.OidRefundno, r.OidPartner, r.NoRefund, r.DtRefund, r.OidPaybill, int64(r.Amount),
		r.MoneyRefund, r.SignType, r.NotifyURL, r.Status, r.RequestHash, ms(r.SettleAt),
		r.SettleDate, ms(r.SettledAt), ms(r.CreatedAt), ms(r.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert refund %s: %w", r.OidRefundno, err)
	}
	if n == 0 {
		return fmt.Errorf("refund %s (no_refund %s of %s): %w", r.OidRefundno, r.NoRefund, r.OidPartner, llgate.ErrConflict)
	}
	return nil
}

// Refund returns one refund by LianLian's number, locked inside Update.
func (t *Tx) Refund(ctx context.Context, oidRefundno string) (*llgate.Refund, error) {
	return queryOne(ctx, t, "refund "+oidRefundno, scanRefund,
		`SELECT `+refundCols+` FROM refunds WHERE oid_refundno = $1`+t.lock, oidRefundno)
}

// RefundByNo returns one refund by the merchant's number, locked inside
// Update.
func (t *Tx) RefundByNo(ctx context.Context, oidPartner, noRefund string) (*llgate.Refund, error) {
	return queryOne(ctx, t, "refund "+noRefund+" of "+oidPartner, scanRefund,
		`SELECT `+refundCols+` FROM refunds WHERE oid_partner = $1 AND no_refund = $2`+t.lock,
		oidPartner, noRefund)
}

// UpdateRefund overwrites every field but the keys (OidRefundno, and
// OidPartner with NoRefund) and CreatedAt, so it can never meet a unique
// key.
func (t *Tx) UpdateRefund(ctx context.Context, r *llgate.Refund) error {
	n, err := t.exec(ctx, `UPDATE refunds SET dt_refund = $2, oid_paybill = $3, amount = $4,
		money_refund = $5, sign_type = $6, notify_url = $7, status = $8, request_hash = $9,
		settle_at = $10, settle_date = $11, settled_at = $12, updated_at = $13
		WHERE oid_refundno = $1`,
		r.OidRefundno, r.DtRefund, r.OidPaybill, int64(r.Amount), r.MoneyRefund, r.SignType,
		r.NotifyURL, r.Status, r.RequestHash, ms(r.SettleAt), r.SettleDate, ms(r.SettledAt),
		ms(r.UpdatedAt))
	if err != nil {
		return fmt.Errorf("update refund %s: %w", r.OidRefundno, err)
	}
	if n == 0 {
		return fmt.Errorf("refund %s: %w", r.OidRefundno, llgate.ErrNotFound)
	}
	return nil
}

// RefundsOf returns every refund of a payment, oldest first (CreatedAt, then
// oid_refundno). It takes no lock: the refund flow serializes on the order.
func (t *Tx) RefundsOf(ctx context.Context, oidPaybill string) ([]*llgate.Refund, error) {
	rs, err := queryAll(ctx, t, scanRefund, `SELECT `+refundCols+` FROM refunds
		WHERE oid_paybill = $1 ORDER BY created_at, oid_refundno`, oidPaybill)
	if err != nil {
		return nil, fmt.Errorf("refunds of %s: %w", oidPaybill, err)
	}
	return rs, nil
}

// DueRefunds returns up to limit applied refunds with SettleAt <= now,
// earliest first, locked inside Update; on PostgreSQL concurrent callers
// skip each other's rows.
func (t *Tx) DueRefunds(ctx context.Context, now time.Time, limit int) ([]*llgate.Refund, error) {
	if limit <= 0 {
		return nil, nil
	}
	rs, err := queryAll(ctx, t, scanRefund, `SELECT `+refundCols+` FROM refunds
		WHERE status = $1 AND settle_at <= $2
		ORDER BY settle_at, oid_refundno LIMIT CAST($3 AS BIGINT)`+t.claim(),
		llgate.RefundApplied, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due refunds: %w", err)
	}
	return rs, nil
}

// SettledRefunds returns the merchant's successful refunds with SettledAt in
// [from, to), by SettledAt then oid_refundno. Reports read them; no lock.
func (t *Tx) SettledRefunds(ctx context.Context, oidPartner string, from, to time.Time) ([]*llgate.Refund, error) {
	rs, err := queryAll(ctx, t, scanRefund, `SELECT `+refundCols+` FROM refunds
		WHERE oid_partner = $1 AND status = $2 AND settled_at >= $3 AND settled_at < $4
		ORDER BY settled_at, oid_refundno`,
		oidPartner, llgate.RefundSuccess, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("settled refunds of %s: %w", oidPartner, err)
	}
	return rs, nil
}
