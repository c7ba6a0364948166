package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/llgate/llgate"
)

const payoutCols = `id, oid_partner, no_order, dt_order, oid_paybill, amount, money_order, flag_card, card_fp,
	card_last4, state, sign_type, notify_url, apply_code, request_hash, confirm_hash, confirm_request,
	wrong_count, sealed, result, reason, done_at, cancel_at, settle_date, next_at, accepted_at, created_at, updated_at`

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func payoutArgs(p *llgate.Payout) []any {
	return []any{
		p.ID, p.OidPartner, p.NoOrder, p.DtOrder, nullText(p.OidPaybill), int64(p.Amount), p.MoneyOrder, p.FlagCard, p.CardFP,
		p.CardLast4, p.State, p.SignType, p.NotifyURL, p.ApplyCode, p.RequestHash, p.ConfirmHash, p.ConfirmRequest,
		p.WrongCount, blob(p.Sealed), p.Result, p.Reason, ms(p.DoneAt), ms(p.CancelAt), p.SettleDate, ms(p.NextAt),
		ms(p.AcceptedAt), ms(p.CreatedAt), ms(p.UpdatedAt),
	}
}

func scanPayout(s scanner) (*llgate.Payout, error) {
	var (
		p                                     llgate.Payout
		paybill                               sql.NullString
		amount                                int64
		done, cancel, next, acc, created, upd int64
	)
	if err := s.Scan(&p.ID, &p.OidPartner, &p.NoOrder, &p.DtOrder, &paybill, &amount, &p.MoneyOrder, &p.FlagCard, &p.CardFP,
		&p.CardLast4, &p.State, &p.SignType, &p.NotifyURL, &p.ApplyCode, &p.RequestHash, &p.ConfirmHash, &p.ConfirmRequest,
		&p.WrongCount, &p.Sealed, &p.Result, &p.Reason, &done, &cancel, &p.SettleDate, &next, &acc, &created, &upd); err != nil {
		return nil, err
	}
	p.OidPaybill, p.Amount, p.Sealed = paybill.String, llgate.Amount(amount), blob(p.Sealed)
	p.DoneAt, p.CancelAt, p.NextAt, p.AcceptedAt = fromMS(done), fromMS(cancel), fromMS(next), fromMS(acc)
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(upd)
	return &p, nil
}

// InsertPayout stores a new payout; ErrConflict for a taken (oid_partner,
// no_order) or oid_paybill.
func (t *Tx) InsertPayout(ctx context.Context, p *llgate.Payout) error {
	n, err := t.exec(ctx, `INSERT INTO payouts (`+payoutCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
		$11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28) ON CONFLICT DO NOTHING`,
		payoutArgs(p)...)
	if err != nil {
		return fmt.Errorf("insert payout %s: %w", p.NoOrder, err)
	}
	if n == 0 {
		return fmt.Errorf("payout %s: %w", p.NoOrder, llgate.ErrConflict)
	}
	return nil
}

// UpdatePayout overwrites every field but the key and CreatedAt.
func (t *Tx) UpdatePayout(ctx context.Context, p *llgate.Payout) error {
	a := payoutArgs(p)[1:] // the id never changes
	n, err := t.exec(ctx, `UPDATE payouts SET dt_order = $3, oid_paybill = $4, amount = $5, money_order = $6,
		flag_card = $7, card_fp = $8, card_last4 = $9, state = $10, sign_type = $11, notify_url = $12, apply_code = $13,
		request_hash = $14, confirm_hash = $15, confirm_request = $16, wrong_count = $17, sealed = $18, result = $19,
		reason = $20, done_at = $21, cancel_at = $22, settle_date = $23, next_at = $24, accepted_at = $25, updated_at = $26
		WHERE oid_partner = $1 AND no_order = $2`, append(a[:25:25], a[26])...)
	if err != nil {
		return fmt.Errorf("update payout %s: %w", p.NoOrder, err)
	}
	if n == 0 {
		return fmt.Errorf("payout %s: %w", p.NoOrder, llgate.ErrNotFound)
	}
	return nil
}

// PayoutByNo returns the merchant's payout, locked inside Update.
func (t *Tx) PayoutByNo(ctx context.Context, oidPartner, noOrder string) (*llgate.Payout, error) {
	return queryOne(ctx, t, "payout "+noOrder, scanPayout,
		`SELECT `+payoutCols+` FROM payouts WHERE oid_partner = $1 AND no_order = $2`+t.lock, oidPartner, noOrder)
}

// PayoutByPaybill returns the merchant's payout by oid_paybill, locked
// inside Update.
func (t *Tx) PayoutByPaybill(ctx context.Context, oidPartner, oidPaybill string) (*llgate.Payout, error) {
	return queryOne(ctx, t, "payout "+oidPaybill, scanPayout,
		`SELECT `+payoutCols+` FROM payouts WHERE oid_paybill = $1 AND oid_partner = $2`+t.lock, oidPaybill, oidPartner)
}

// PayoutSpent sums the merchant's payouts accepted at or after since.
func (t *Tx) PayoutSpent(ctx context.Context, oidPartner string, since time.Time) (llgate.Amount, error) {
	var sum int64
	err := t.tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount), 0) FROM payouts
		WHERE oid_partner = $1 AND accepted_at >= $2 AND accepted_at > 0`, oidPartner, ms(since)).Scan(&sum)
	if err != nil {
		return 0, fmt.Errorf("payouts spent by %s: %w", oidPartner, err)
	}
	return llgate.Amount(sum), nil
}

// PayoutDuplicates counts the suspected duplicates of a payout.
func (t *Tx) PayoutDuplicates(ctx context.Context, oidPartner, noOrder, cardFP string, amount llgate.Amount, since time.Time) (int, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM payouts
		WHERE oid_partner = $1 AND card_fp = $2 AND created_at >= $3 AND amount = $4 AND no_order <> $5
		AND state IN ($6, $7, $8, $9)`, oidPartner, cardFP, ms(since), int64(amount), noOrder,
		llgate.PayoutCheck, llgate.PayoutProcessing, llgate.PayoutSuccess, llgate.PayoutCancel).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("payout duplicates of %s: %w", noOrder, err)
	}
	return n, nil
}

// DuePayouts returns payouts whose time has come.
func (t *Tx) DuePayouts(ctx context.Context, now time.Time, limit int) ([]*llgate.Payout, error) {
	ps, err := queryAll(ctx, t, scanPayout, `SELECT `+payoutCols+` FROM payouts
		WHERE next_at > 0 AND next_at <= $1 ORDER BY next_at, no_order LIMIT CAST($2 AS BIGINT)`, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due payouts: %w", err)
	}
	return ps, nil
}

// ListPayouts returns payouts newest first.
func (t *Tx) ListPayouts(ctx context.Context, oidPartner, noOrder string, limit int) ([]*llgate.Payout, error) {
	if limit <= 0 {
		limit = 100
	}
	ps, err := queryAll(ctx, t, scanPayout, `SELECT `+payoutCols+` FROM payouts
		WHERE ($1 = '' OR oid_partner = $1) AND ($2 = '' OR no_order = $2)
		ORDER BY created_at DESC, no_order DESC LIMIT CAST($3 AS BIGINT)`, oidPartner, noOrder, limit)
	if err != nil {
		return nil, fmt.Errorf("list payouts: %w", err)
	}
	return ps, nil
}
