package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/llgate/llgate"
)

const orderCols = `oid_paybill, oid_partner, no_order, dt_order, user_id, scope, person_fp,
	no_agree, card_fp, card_mask, bank_code, card_type, pay_type, busi_partner, amount,
	money_order, sign_type, notify_url, status, memo, request_hash, token, sealed,
	valid_until, settle_at, settle_date, counted_at, paid_at, refunded, created_at, updated_at, product`

func scanOrder(s scanner) (*llgate.Order, error) {
	var (
		o                                   llgate.Order
		amount, refunded                    int64
		valid, settle, counted, paid, c, up int64
	)
	if err := s.Scan(&o.OidPaybill, &o.OidPartner, &o.NoOrder, &o.DtOrder, &o.UserID, &o.Scope,
		&o.PersonFP, &o.NoAgree, &o.CardFP, &o.CardMask, &o.BankCode, &o.CardType, &o.PayType,
		&o.BusiPartner, &amount, &o.MoneyOrder, &o.SignType, &o.NotifyURL, &o.Status, &o.Memo,
		&o.RequestHash, &o.Token, &o.Sealed, &valid, &settle, &o.SettleDate, &counted, &paid, &refunded,
		&c, &up, &o.Product); err != nil {
		return nil, err
	}
	o.Amount, o.Refunded = llgate.Amount(amount), llgate.Amount(refunded)
	o.Sealed = blob(o.Sealed)
	o.ValidUntil, o.SettleAt = fromMS(valid), fromMS(settle)
	o.CountedAt, o.PaidAt = fromMS(counted), fromMS(paid)
	o.CreatedAt, o.UpdatedAt = fromMS(c), fromMS(up)
	return &o, nil
}

// InsertOrder stores a new order; ErrConflict if oid_paybill or the
// merchant's no_order is taken. ON CONFLICT DO NOTHING without a target
// covers both keys.
func (t *Tx) InsertOrder(ctx context.Context, o *llgate.Order) error {
	n, err := t.exec(ctx, `INSERT INTO orders (`+orderCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
			$19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32)
		ON CONFLICT DO NOTHING`,
		o.OidPaybill, o.OidPartner, o.NoOrder, o.DtOrder, o.UserID, o.Scope, o.PersonFP,
		o.NoAgree, o.CardFP, o.CardMask, o.BankCode, o.CardType, o.PayType, o.BusiPartner,
		int64(o.Amount), o.MoneyOrder, o.SignType, o.NotifyURL, o.Status, o.Memo, o.RequestHash,
		o.Token, blob(o.Sealed), ms(o.ValidUntil), ms(o.SettleAt), o.SettleDate, ms(o.CountedAt),
		ms(o.PaidAt), int64(o.Refunded), ms(o.CreatedAt), ms(o.UpdatedAt), o.Product)
	if err != nil {
		return fmt.Errorf("insert order %s: %w", o.OidPaybill, err)
	}
	if n == 0 {
		return fmt.Errorf("order %s (no_order %s of %s): %w", o.OidPaybill, o.NoOrder, o.OidPartner, llgate.ErrConflict)
	}
	return nil
}

// Order returns one order by LianLian's number, locked inside Update.
func (t *Tx) Order(ctx context.Context, oidPaybill string) (*llgate.Order, error) {
	return queryOne(ctx, t, "order "+oidPaybill, scanOrder,
		`SELECT `+orderCols+` FROM orders WHERE oid_paybill = $1`+t.lock, oidPaybill)
}

// OrderByNo returns one order by the merchant's number, locked inside
// Update.
func (t *Tx) OrderByNo(ctx context.Context, oidPartner, noOrder string) (*llgate.Order, error) {
	return queryOne(ctx, t, "order "+noOrder+" of "+oidPartner, scanOrder,
		`SELECT `+orderCols+` FROM orders WHERE oid_partner = $1 AND no_order = $2`+t.lock,
		oidPartner, noOrder)
}

// UpdateOrder overwrites every field but the keys (OidPaybill, and
// OidPartner with NoOrder) and CreatedAt, so it can never meet a unique key.
// The vault binds Sealed to the merchant and oid_paybill, which therefore
// stay as inserted too.
func (t *Tx) UpdateOrder(ctx context.Context, o *llgate.Order) error {
	n, err := t.exec(ctx, `UPDATE orders SET dt_order = $2, user_id = $3, scope = $4,
		person_fp = $5, no_agree = $6, card_fp = $7, card_mask = $8, bank_code = $9,
		card_type = $10, pay_type = $11, busi_partner = $12, amount = $13, money_order = $14,
		sign_type = $15, notify_url = $16, status = $17, memo = $18, request_hash = $19,
		token = $20, sealed = $21, valid_until = $22, settle_at = $23, settle_date = $24,
		counted_at = $25, paid_at = $26, refunded = $27, updated_at = $28, product = $29
		WHERE oid_paybill = $1`,
		o.OidPaybill, o.DtOrder, o.UserID, o.Scope, o.PersonFP, o.NoAgree, o.CardFP,
		o.CardMask, o.BankCode, o.CardType, o.PayType, o.BusiPartner, int64(o.Amount),
		o.MoneyOrder, o.SignType, o.NotifyURL, o.Status, o.Memo, o.RequestHash, o.Token, blob(o.Sealed),
		ms(o.ValidUntil), ms(o.SettleAt), o.SettleDate, ms(o.CountedAt), ms(o.PaidAt),
		int64(o.Refunded), ms(o.UpdatedAt), o.Product)
	if err != nil {
		return fmt.Errorf("update order %s: %w", o.OidPaybill, err)
	}
	if n == 0 {
		return fmt.Errorf("order %s: %w", o.OidPaybill, llgate.ErrNotFound)
	}
	return nil
}

// Spent sums the amounts of the person's orders with the merchant that count
// against the limits and started counting at since or later. It takes no
// lock (PostgreSQL refuses FOR UPDATE next to an aggregate): callers that
// check a limit hold LockPerson, which every order of the person waits for.
// SUM is numeric on PostgreSQL; the cast makes it BIGINT on both engines.
func (t *Tx) Spent(ctx context.Context, oidPartner, personFP string, since time.Time) (llgate.Amount, error) {
	var sum int64
	err := t.tx.QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM orders
		WHERE oid_partner = $1 AND person_fp = $2 AND counted_at >= $3
			AND status IN (`+placeholders(4, len(llgate.CountedStatuses))+`)`,
		append([]any{oidPartner, personFP, ms(since)}, anys(llgate.CountedStatuses)...)...).Scan(&sum)
	if err != nil {
		return 0, fmt.Errorf("spent by %s with %s: %w", personFP, oidPartner, err)
	}
	return llgate.Amount(sum), nil
}

// lockPersonAttempts bounds LockPerson's insert-then-lock loop, which goes
// round again only when a concurrent Reset deleted the row in between.
const lockPersonAttempts = 3

// LockPerson makes sure the (merchant, person) row of person_locks exists
// and, on PostgreSQL, locks it until the transaction ends. On SQLite the
// immediate transaction already excludes every other writer, so the insert
// is all there is. On PostgreSQL a concurrent first insert of the same row
// makes the INSERT wait for that transaction, and an existing row locked by
// another transaction makes the SELECT wait, so two transactions never hold
// it at once. It is a write: inside View it fails.
func (t *Tx) LockPerson(ctx context.Context, oidPartner, personFP string) error {
	for range lockPersonAttempts {
		if _, err := t.exec(ctx, `INSERT INTO person_locks (oid_partner, person_fp) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, oidPartner, personFP); err != nil {
			return fmt.Errorf("lock person %s with %s: %w", personFP, oidPartner, err)
		}
		if t.lock == "" {
			return nil
		}
		var one int
		err := t.tx.QueryRowContext(ctx, `SELECT 1 FROM person_locks
			WHERE oid_partner = $1 AND person_fp = $2`+t.lock, oidPartner, personFP).Scan(&one)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("lock person %s with %s: %w", personFP, oidPartner, err)
		}
	}
	return fmt.Errorf("lock person %s with %s: the lock row keeps disappearing", personFP, oidPartner)
}

// DueOrders returns up to limit orders whose time has come, earliest due
// first (ValidUntil for WAITING, SettleAt for PROCESSING; then oid_paybill).
// Each arm of the UNION ALL reads its own index in due order and, on
// PostgreSQL, locks what it reads and skips rows that other transactions
// hold (an OR in one WHERE would scan the table instead). The arms are
// subqueries because PostgreSQL refuses a locking clause on a UNION arm
// itself. Each arm takes up to limit rows, so on PostgreSQL up to twice limit
// rows may stay locked until the transaction ends, the ones not returned
// included; other callers merely skip them meanwhile.
func (t *Tx) DueOrders(ctx context.Context, now time.Time, limit int) ([]*llgate.Order, error) {
	if limit <= 0 {
		return nil, nil
	}
	claim := t.claim()
	orders, err := queryAll(ctx, t, scanOrder, `SELECT `+orderCols+` FROM (
			SELECT * FROM (
				SELECT `+orderCols+`, valid_until AS due FROM orders
				WHERE status = $1 AND valid_until <= $3
				ORDER BY valid_until, oid_paybill LIMIT CAST($4 AS BIGINT)`+claim+`
			) waiting
			UNION ALL
			SELECT * FROM (
				SELECT `+orderCols+`, settle_at AS due FROM orders
				WHERE status = $2 AND settle_at <= $3
				ORDER BY settle_at, oid_paybill LIMIT CAST($4 AS BIGINT)`+claim+`
			) processing
		) d
		ORDER BY due, oid_paybill LIMIT CAST($4 AS BIGINT)`,
		llgate.OrderWaiting, llgate.OrderProcessing, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due orders: %w", err)
	}
	return orders, nil
}

// SettledOrders returns the merchant's successful payments (refunded ones
// included: they were paid) with PaidAt in [from, to), by PaidAt then
// oid_paybill. Reports read them; no lock.
func (t *Tx) SettledOrders(ctx context.Context, oidPartner string, from, to time.Time) ([]*llgate.Order, error) {
	orders, err := queryAll(ctx, t, scanOrder, `SELECT `+orderCols+` FROM orders
		WHERE oid_partner = $1 AND paid_at >= $2 AND paid_at < $3
			AND status IN (`+placeholders(4, len(llgate.PaidStatuses))+`)
		ORDER BY paid_at, oid_paybill`,
		append([]any{oidPartner, ms(from), ms(to)}, anys(llgate.PaidStatuses)...)...)
	if err != nil {
		return nil, fmt.Errorf("settled orders of %s: %w", oidPartner, err)
	}
	return orders, nil
}

// placeholders writes n placeholders from $first: "$4, $5, $6". The sets
// are the root's and fixed, so a statement's text still never varies.
func placeholders(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(first+i))
	}
	return b.String()
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
