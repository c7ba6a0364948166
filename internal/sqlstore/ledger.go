package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/llgate/llgate"
)

// LockBalance creates the merchant's balance row when absent and locks it
// (on SQLite the immediate transaction already excludes other writers).
func (t *Tx) LockBalance(ctx context.Context, oidPartner string) (*llgate.Balance, error) {
	if _, err := t.exec(ctx, `INSERT INTO balances (oid_partner, amt_unsettle, amt_balance, updated_at)
		VALUES ($1, 0, 0, 0) ON CONFLICT DO NOTHING`, oidPartner); err != nil {
		return nil, fmt.Errorf("lock balance of %s: %w", oidPartner, err)
	}
	b, err := queryOne(ctx, t, "balance "+oidPartner, scanBalance,
		`SELECT oid_partner, amt_unsettle, amt_balance, updated_at FROM balances WHERE oid_partner = $1`+t.lock, oidPartner)
	if err != nil {
		return nil, fmt.Errorf("lock balance of %s: %w", oidPartner, err)
	}
	return b, nil
}

// Balance reads the merchant's balance without a lock; zero when absent.
func (t *Tx) Balance(ctx context.Context, oidPartner string) (*llgate.Balance, error) {
	b, err := queryAll(ctx, t, scanBalance,
		`SELECT oid_partner, amt_unsettle, amt_balance, updated_at FROM balances WHERE oid_partner = $1`, oidPartner)
	if err != nil {
		return nil, fmt.Errorf("balance of %s: %w", oidPartner, err)
	}
	if len(b) == 0 {
		return &llgate.Balance{OidPartner: oidPartner}, nil
	}
	return b[0], nil
}

func scanBalance(s scanner) (*llgate.Balance, error) {
	var b llgate.Balance
	var u, a, up int64
	if err := s.Scan(&b.OidPartner, &u, &a, &up); err != nil {
		return nil, err
	}
	b.Unsettled, b.Available, b.UpdatedAt = llgate.Amount(u), llgate.Amount(a), fromMS(up)
	return &b, nil
}

// UpdateBalance writes both balances.
func (t *Tx) UpdateBalance(ctx context.Context, b *llgate.Balance) error {
	n, err := t.exec(ctx, `UPDATE balances SET amt_unsettle = $2, amt_balance = $3, updated_at = $4
		WHERE oid_partner = $1`, b.OidPartner, int64(b.Unsettled), int64(b.Available), ms(b.UpdatedAt))
	if err != nil {
		return fmt.Errorf("update balance of %s: %w", b.OidPartner, err)
	}
	if n == 0 {
		return fmt.Errorf("balance %s: %w", b.OidPartner, llgate.ErrNotFound)
	}
	return nil
}

const ledgerCols = `id, oid_partner, at, kind, amount, d_unsettle, d_balance, ref`

func scanLedger(s scanner) (*llgate.LedgerEntry, error) {
	var e llgate.LedgerEntry
	var at, amount, u, a int64
	if err := s.Scan(&e.ID, &e.OidPartner, &at, &e.Kind, &amount, &u, &a, &e.Ref); err != nil {
		return nil, err
	}
	e.At, e.Amount, e.Unsettled, e.Available = fromMS(at), llgate.Amount(amount), llgate.Amount(u), llgate.Amount(a)
	return &e, nil
}

// InsertLedger appends the entries, one statement each, in order.
func (t *Tx) InsertLedger(ctx context.Context, es ...*llgate.LedgerEntry) error {
	for _, e := range es {
		err := t.tx.QueryRowContext(ctx, `INSERT INTO ledger (oid_partner, at, kind, amount, d_unsettle, d_balance, ref)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			e.OidPartner, ms(e.At), e.Kind, int64(e.Amount), int64(e.Unsettled), int64(e.Available), e.Ref).Scan(&e.ID)
		if err != nil {
			if !t.writable {
				return errReadOnly
			}
			return fmt.Errorf("insert ledger entry of %s: %w", e.OidPartner, t.mapErr(err))
		}
	}
	return nil
}

// Ledger returns the merchant's entries, newest first.
func (t *Tx) Ledger(ctx context.Context, oidPartner string, limit int) ([]*llgate.LedgerEntry, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	es, err := queryAll(ctx, t, scanLedger, `SELECT `+ledgerCols+` FROM ledger WHERE oid_partner = $1
		ORDER BY id DESC LIMIT CAST($2 AS BIGINT)`, oidPartner, limit)
	if err != nil {
		return nil, fmt.Errorf("ledger of %s: %w", oidPartner, err)
	}
	return es, nil
}

// LedgerRef returns the merchant's entries of a kind and reference.
func (t *Tx) LedgerRef(ctx context.Context, oidPartner, kind, ref string) ([]*llgate.LedgerEntry, error) {
	es, err := queryAll(ctx, t, scanLedger, `SELECT `+ledgerCols+` FROM ledger
		WHERE oid_partner = $1 AND ref = $2 AND kind = $3 ORDER BY id`, oidPartner, ref, kind)
	if err != nil {
		return nil, fmt.Errorf("ledger of %s for %s: %w", oidPartner, ref, err)
	}
	return es, nil
}

// LedgerSums sums the merchant's entries per balance.
func (t *Tx) LedgerSums(ctx context.Context, oidPartner string) (llgate.Amount, llgate.Amount, error) {
	var u, a int64
	err := t.tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(d_unsettle), 0), COALESCE(SUM(d_balance), 0)
		FROM ledger WHERE oid_partner = $1`, oidPartner).Scan(&u, &a)
	if err != nil {
		return 0, 0, fmt.Errorf("ledger sums of %s: %w", oidPartner, err)
	}
	return llgate.Amount(u), llgate.Amount(a), nil
}

// InsertSettleDue records a payment's money waiting for settlement; two
// for the same reference and time add up.
func (t *Tx) InsertSettleDue(ctx context.Context, d *llgate.SettleDue) error {
	if _, err := t.exec(ctx, `INSERT INTO settle_due (oid_partner, ref, amount, due_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (oid_partner, ref, due_at) DO UPDATE SET amount = settle_due.amount + excluded.amount`,
		d.OidPartner, d.Ref, int64(d.Amount), ms(d.DueAt)); err != nil {
		return fmt.Errorf("insert settlement of %s: %w", d.Ref, err)
	}
	return nil
}

// TakeSettleDue deletes the merchant's settlements due at or before now
// and returns their sum.
func (t *Tx) TakeSettleDue(ctx context.Context, oidPartner string, now time.Time) (llgate.Amount, error) {
	var sum int64
	err := t.tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount), 0) FROM settle_due
		WHERE oid_partner = $1 AND due_at <= $2`, oidPartner, ms(now)).Scan(&sum)
	if err != nil {
		return 0, fmt.Errorf("settlements of %s: %w", oidPartner, err)
	}
	if sum == 0 {
		return 0, nil
	}
	if _, err := t.exec(ctx, `DELETE FROM settle_due WHERE oid_partner = $1 AND due_at <= $2`, oidPartner, ms(now)); err != nil {
		return 0, fmt.Errorf("take settlements of %s: %w", oidPartner, err)
	}
	return llgate.Amount(sum), nil
}

// DueSettleMerchants returns merchants with a settlement due.
func (t *Tx) DueSettleMerchants(ctx context.Context, now time.Time, limit int) ([]string, error) {
	oids, err := queryAll(ctx, t, func(s scanner) (string, error) {
		var oid string
		return oid, s.Scan(&oid)
	}, `SELECT DISTINCT oid_partner FROM settle_due WHERE due_at <= $1 ORDER BY oid_partner LIMIT CAST($2 AS BIGINT)`,
		ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due settlements: %w", err)
	}
	return oids, nil
}

// SettleDues returns the merchant's pending settlements by due time.
func (t *Tx) SettleDues(ctx context.Context, oidPartner string) ([]*llgate.SettleDue, error) {
	ds, err := queryAll(ctx, t, func(s scanner) (*llgate.SettleDue, error) {
		var d llgate.SettleDue
		var amount, due int64
		if err := s.Scan(&d.OidPartner, &d.Ref, &amount, &due); err != nil {
			return nil, err
		}
		d.Amount, d.DueAt = llgate.Amount(amount), fromMS(due)
		return &d, nil
	}, `SELECT oid_partner, ref, amount, due_at FROM settle_due WHERE oid_partner = $1 ORDER BY due_at, ref`+t.lock, oidPartner)
	if err != nil {
		return nil, fmt.Errorf("settlements of %s: %w", oidPartner, err)
	}
	return ds, nil
}

// SetSettleDue changes a pending settlement's amount; 0 deletes it.
func (t *Tx) SetSettleDue(ctx context.Context, d *llgate.SettleDue) error {
	var err error
	if d.Amount <= 0 {
		_, err = t.exec(ctx, `DELETE FROM settle_due WHERE oid_partner = $1 AND ref = $2 AND due_at = $3`,
			d.OidPartner, d.Ref, ms(d.DueAt))
	} else {
		_, err = t.exec(ctx, `UPDATE settle_due SET amount = $4 WHERE oid_partner = $1 AND ref = $2 AND due_at = $3`,
			d.OidPartner, d.Ref, ms(d.DueAt), int64(d.Amount))
	}
	if err != nil {
		return fmt.Errorf("set settlement of %s: %w", d.Ref, err)
	}
	return nil
}
