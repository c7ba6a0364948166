package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/llgate/llgate"
)

const agreementCols = `no_agree, scope, oid_partner, user_id, person_fp, card_fp, card_last4,
	bank_code, card_type, family, mobile_mask, sealed, status, created_at, unbound_at`

func scanAgreement(s scanner) (*llgate.Agreement, error) {
	var (
		a                llgate.Agreement
		created, unbound int64
	)
	if err := s.Scan(&a.NoAgree, &a.Scope, &a.OidPartner, &a.UserID, &a.PersonFP, &a.CardFP,
		&a.CardLast4, &a.BankCode, &a.CardType, &a.Family, &a.MobileMask, &a.Sealed, &a.Status,
		&created, &unbound); err != nil {
		return nil, err
	}
	a.Sealed = blob(a.Sealed)
	a.CreatedAt, a.UnboundAt = fromMS(created), fromMS(unbound)
	return &a, nil
}

// InsertAgreement stores a new agreement; ErrConflict if no_agree is taken
// or if it is active and the user already has an active agreement for the
// card. The partial unique index agreements_active_card decides the second
// case, so two concurrent binds of one card cannot both succeed; ON CONFLICT
// DO NOTHING without a target covers that index as well as the primary key.
func (t *Tx) InsertAgreement(ctx context.Context, a *llgate.Agreement) error {
	n, err := t.exec(ctx, `INSERT INTO agreements (`+agreementCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT DO NOTHING`,
		a.NoAgree, a.Scope, a.OidPartner, a.UserID, a.PersonFP, a.CardFP, a.CardLast4,
		a.BankCode, a.CardType, a.Family, a.MobileMask, blob(a.Sealed), a.Status,
		ms(a.CreatedAt), ms(a.UnboundAt))
	if err != nil {
		return fmt.Errorf("insert agreement %s: %w", a.NoAgree, err)
	}
	if n == 0 {
		return fmt.Errorf("agreement %s: %w", a.NoAgree, llgate.ErrConflict)
	}
	return nil
}

// Agreement returns one agreement, locked inside Update.
func (t *Tx) Agreement(ctx context.Context, noAgree string) (*llgate.Agreement, error) {
	return queryOne(ctx, t, "agreement "+noAgree, scanAgreement,
		`SELECT `+agreementCols+` FROM agreements WHERE no_agree = $1`+t.lock, noAgree)
}

// UpdateAgreement overwrites every field but NoAgree and CreatedAt.
// Reactivating an agreement while the user has another active one for the
// card violates agreements_active_card: the error wraps ErrConflict, and on
// PostgreSQL the transaction is then aborted.
func (t *Tx) UpdateAgreement(ctx context.Context, a *llgate.Agreement) error {
	n, err := t.exec(ctx, `UPDATE agreements SET scope = $2, oid_partner = $3, user_id = $4,
		person_fp = $5, card_fp = $6, card_last4 = $7, bank_code = $8, card_type = $9,
		family = $10, mobile_mask = $11, sealed = $12, status = $13, unbound_at = $14
		WHERE no_agree = $1`,
		a.NoAgree, a.Scope, a.OidPartner, a.UserID, a.PersonFP, a.CardFP, a.CardLast4,
		a.BankCode, a.CardType, a.Family, a.MobileMask, blob(a.Sealed), a.Status, ms(a.UnboundAt))
	if err != nil {
		return fmt.Errorf("update agreement %s: %w", a.NoAgree, err)
	}
	if n == 0 {
		return fmt.Errorf("agreement %s: %w", a.NoAgree, llgate.ErrNotFound)
	}
	return nil
}

// Agreements returns the page of agreements f selects, newest first, locked
// inside Update, and how many match f regardless of Offset and Limit.
//
// Without row locks the count rides along as a scalar subquery (run once;
// cheaper on SQLite than COUNT(*) OVER (), which builds a temporary table),
// so a page is one statement. Under locks, which PostgreSQL refuses next to
// an aggregate, and for a page past the end, which has no row to carry the
// count, the count is a second statement.
func (t *Tx) Agreements(ctx context.Context, f llgate.AgreementFilter) ([]*llgate.Agreement, int, error) {
	if f.Scope == "" {
		return nil, 0, fmt.Errorf("agreements: filter without a scope")
	}
	var (
		where []string
		args  []any
	)
	eq := func(col string, v any) {
		args = append(args, v)
		where = append(where, col+" = $"+strconv.Itoa(len(args)))
	}
	eq("scope", f.Scope)
	for _, c := range []struct{ col, v string }{
		{"user_id", f.UserID},
		{"no_agree", f.NoAgree},
		{"card_fp", f.CardFP},
		{"family", f.Family},
	} {
		if c.v != "" {
			eq(c.col, c.v)
		}
	}
	if f.ActiveOnly {
		// A literal, not a parameter: it matches the partial index
		// agreements_active_card, and SQLite re-plans a statement on every
		// run when a parameter's value decides whether that index applies.
		where = append(where, "status = '"+llgate.AgreementActive+"'")
	}
	cond := ` FROM agreements WHERE ` + strings.Join(where, " AND ")
	countArgs := args

	args, limit := page(args, f.Limit, f.Offset)
	sel := cond + ` ORDER BY created_at DESC, no_agree DESC` + limit

	var total int
	if t.lock == "" {
		as, err := queryAll(ctx, t, func(s scanner) (*llgate.Agreement, error) {
			return scanAgreement(withCount{s, &total})
		}, `SELECT `+agreementCols+`, (SELECT COUNT(*)`+cond+`)`+sel, args...)
		if err != nil {
			return nil, 0, fmt.Errorf("agreements: %w", err)
		}
		if len(as) > 0 || f.Offset == 0 {
			return as, total, nil
		}
	}
	if err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*)`+cond, countArgs...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count agreements: %w", err)
	}
	if t.lock == "" {
		return nil, total, nil // the page past the end, above
	}
	as, err := queryAll(ctx, t, scanAgreement, `SELECT `+agreementCols+sel+t.lock, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("agreements: %w", err)
	}
	return as, total, nil
}

// withCount scans a row whose last column is a count into n.
type withCount struct {
	s scanner
	n *int
}

func (w withCount) Scan(dest ...any) error { return w.s.Scan(append(dest, w.n)...) }
