package llgate

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The merchant's money (CONTRACT-easypay-payouts §4.12, Decisions 10 and
// 19): two balances in fen, amt_unsettle (paid, not yet settled: usable for
// refunds) and amt_balance (settled: usable for refunds and payouts), never
// negative, changed only under the merchant's balance lock in the
// transaction of the payment, refund, capture, payout or top-up that moves
// them, each change recorded as an append-only ledger entry from which both
// can be recomputed.

// Ledger entry kinds (Decision 19).
const (
	LedgerPayment        = "payment"
	LedgerRefund         = "refund"
	LedgerRefundReversal = "refund_reversal"
	LedgerPayout         = "payout"
	LedgerPayoutReversal = "payout_reversal"
	LedgerSettlement     = "settlement"
	LedgerTopup          = "topup"
)

// MaxSettleDays bounds the merchant's settle_days (Decision 10).
const MaxSettleDays = 30

// DefaultSettleDays is T+1, a new merchant's settle_days.
const DefaultSettleDays = 1

// Balance is a merchant's money, in fen.
type Balance struct {
	OidPartner string
	Unsettled  Amount // amt_unsettle
	Available  Amount // amt_balance
	UpdatedAt  time.Time
}

// LedgerEntry is one change of a merchant's balances. Unsettled and
// Available are the signed changes of each balance; Amount is the entry's
// signed amount as the admin API shows it (credit positive, debit
// negative): their sum, except for a settlement, whose Amount is what it
// moved into amt_balance.
type LedgerEntry struct {
	ID         int64 // assigned by the store, increasing
	OidPartner string
	At         time.Time
	Kind       string
	Amount     Amount
	Unsettled  Amount
	Available  Amount
	Ref        string // oid_paybill, oid_refundno, oid_paybill of a payout, or a top-up id
}

// SettleDue is a payment's money waiting in amt_unsettle for its
// settlement time.
type SettleDue struct {
	OidPartner string
	Ref        string
	Amount     Amount
	DueAt      time.Time
}

// LedgerTx holds the balances, the ledger and the pending settlements.
type LedgerTx interface {
	// LockBalance returns the merchant's balance, creating a zero one when
	// absent, and locks it until the transaction ends (the merchant's
	// money lock). It is a write: inside View use Balance.
	LockBalance(ctx context.Context, oidPartner string) (*Balance, error)
	// Balance reads without locking; a merchant without one reads zero.
	Balance(ctx context.Context, oidPartner string) (*Balance, error)
	UpdateBalance(ctx context.Context, b *Balance) error
	// InsertLedger appends entries (IDs assigned in order).
	InsertLedger(ctx context.Context, es ...*LedgerEntry) error
	// Ledger returns the merchant's newest entries first (limit <= 0: all).
	Ledger(ctx context.Context, oidPartner string, limit int) ([]*LedgerEntry, error)
	// LedgerRef returns the merchant's entries of a kind and reference,
	// oldest first.
	LedgerRef(ctx context.Context, oidPartner, kind, ref string) ([]*LedgerEntry, error)
	// LedgerSums sums the merchant's entries' Unsettled and Available.
	LedgerSums(ctx context.Context, oidPartner string) (unsettled, available Amount, err error)
	InsertSettleDue(ctx context.Context, d *SettleDue) error
	// SettleDues returns the merchant's pending settlements by DueAt then
	// Ref; SetSettleDue changes one's Amount (0 deletes it). The caller
	// holds the balance lock.
	SettleDues(ctx context.Context, oidPartner string) ([]*SettleDue, error)
	SetSettleDue(ctx context.Context, d *SettleDue) error
	// TakeSettleDue deletes the merchant's pending settlements due at or
	// before now and returns their sum (the caller holds the balance lock).
	TakeSettleDue(ctx context.Context, oidPartner string, now time.Time) (Amount, error)
	// DueSettleMerchants returns up to limit merchants with a settlement
	// due at or before now.
	DueSettleMerchants(ctx context.Context, now time.Time, limit int) ([]string, error)
}

// ErrBalanceShort is a top-up that would take a balance below zero (the
// admin API's 409).
var ErrBalanceShort = errors.New("the balance would go below zero")

// Money is one change to make under the balance lock.
type Money struct {
	OidPartner string
	Kind       string
	Ref        string
	Unsettled  Amount // signed change of amt_unsettle
	Available  Amount // signed change of amt_balance
	// Due, when set, records Unsettled as a payment's money that settles
	// at that time.
	Due time.Time
}

// Move locks the merchant's balance, settles what is due at now, applies
// m and appends its ledger entry. A change that would take a balance below
// zero changes nothing and returns ErrBalanceShort.
func Move(ctx context.Context, tx Tx, now time.Time, m Money) (*Balance, error) {
	b, err := lockSettled(ctx, tx, m.OidPartner, now)
	if err != nil {
		return nil, err
	}
	if b.Unsettled+m.Unsettled < 0 || b.Available+m.Available < 0 {
		return b, ErrBalanceShort
	}
	b.Unsettled += m.Unsettled
	b.Available += m.Available
	b.UpdatedAt = now
	if err := tx.UpdateBalance(ctx, b); err != nil {
		return nil, err
	}
	if !m.Due.IsZero() && m.Unsettled > 0 {
		if err := tx.InsertSettleDue(ctx, &SettleDue{OidPartner: m.OidPartner, Ref: m.Ref, Amount: m.Unsettled, DueAt: m.Due}); err != nil {
			return nil, err
		}
	}
	e := &LedgerEntry{OidPartner: m.OidPartner, At: now, Kind: m.Kind, Amount: m.Unsettled + m.Available,
		Unsettled: m.Unsettled, Available: m.Available, Ref: m.Ref}
	return b, tx.InsertLedger(ctx, e)
}

// lockSettled locks the merchant's balance and moves into amt_balance the
// payments whose settlement time has come. The pending settlements always
// sum to amt_unsettle (refunds draw on both); it moves what is due but, as
// a guard, never more than amt_unsettle holds.
func lockSettled(ctx context.Context, tx Tx, oid string, now time.Time) (*Balance, error) {
	b, err := tx.LockBalance(ctx, oid)
	if err != nil {
		return nil, err
	}
	due, err := tx.TakeSettleDue(ctx, oid, now)
	if err != nil || due == 0 {
		return b, err
	}
	moved := min(due, b.Unsettled)
	if moved == 0 {
		return b, nil
	}
	b.Unsettled -= moved
	b.Available += moved
	b.UpdatedAt = now
	if err := tx.UpdateBalance(ctx, b); err != nil {
		return nil, err
	}
	return b, tx.InsertLedger(ctx, &LedgerEntry{OidPartner: oid, At: now, Kind: LedgerSettlement, Amount: moved,
		Unsettled: -moved, Available: moved, Ref: ChinaDate(now)})
}

// SettleTime is when a payment whose settle_date is settleDate (yyyyMMdd,
// China) moves to amt_balance: 00:00 China time settleDays days after it;
// the zero time for settleDays 0 (at once).
func SettleTime(settleDate string, settleDays int) time.Time {
	if settleDays <= 0 {
		return time.Time{}
	}
	d, err := time.ParseInLocation("20060102", settleDate, ChinaTime)
	if err != nil {
		return time.Time{}
	}
	return d.AddDate(0, 0, settleDays).UTC()
}

// PaymentMoney is the credit of a successful payment (or capture) of
// amount, settled per the merchant's settle_days.
func PaymentMoney(oid, ref string, amount Amount, settleDate string, settleDays int) Money {
	due := SettleTime(settleDate, settleDays)
	if due.IsZero() {
		return Money{OidPartner: oid, Kind: LedgerPayment, Ref: ref, Available: amount}
	}
	return Money{OidPartner: oid, Kind: LedgerPayment, Ref: ref, Unsettled: amount, Due: due}
}

// ReserveRefund debits a refund (ref) of a payment (payment: its
// oid_paybill) from amt_unsettle, then amt_balance; 5006 when both
// together are short. What it takes from amt_unsettle it takes from the
// pending settlements too, the payment's own first, then those due last,
// so that what waits for settlement is always exactly amt_unsettle.
func ReserveRefund(ctx context.Context, tx Tx, now time.Time, oid, payment, ref string, amount Amount) error {
	b, err := lockSettled(ctx, tx, oid, now)
	if err != nil {
		return err
	}
	if b.Unsettled+b.Available < amount {
		return Errorf(CodeBalanceShort, "the merchant's balance is short of the refund")
	}
	fromUnsettled := min(amount, b.Unsettled)
	if err := drawSettleDue(ctx, tx, oid, payment, fromUnsettled); err != nil {
		return err
	}
	_, err = Move(ctx, tx, now, Money{OidPartner: oid, Kind: LedgerRefund, Ref: ref,
		Unsettled: -fromUnsettled, Available: -(amount - fromUnsettled)})
	return err
}

// drawSettleDue takes amount from the merchant's pending settlements: the
// payment's own first, then the latest due.
func drawSettleDue(ctx context.Context, tx Tx, oid, payment string, amount Amount) error {
	if amount <= 0 {
		return nil
	}
	ds, err := tx.SettleDues(ctx, oid)
	if err != nil {
		return err
	}
	order := make([]*SettleDue, 0, len(ds))
	for _, d := range ds {
		if d.Ref == payment {
			order = append(order, d)
		}
	}
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].Ref != payment {
			order = append(order, ds[i])
		}
	}
	for _, d := range order {
		if amount == 0 {
			break
		}
		take := min(amount, d.Amount)
		d.Amount -= take
		amount -= take
		if err := tx.SetSettleDue(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// ReverseRefund credits a failed refund back as it was taken: the part
// drawn on unsettled money goes back to amt_unsettle and settles at the
// next 00:00 China time, the rest to amt_balance.
func ReverseRefund(ctx context.Context, tx Tx, now time.Time, oid, ref string) error {
	es, err := tx.LedgerRef(ctx, oid, LedgerRefund, ref)
	if err != nil {
		return err
	}
	var m = Money{OidPartner: oid, Kind: LedgerRefundReversal, Ref: ref}
	for _, e := range es {
		m.Unsettled -= e.Unsettled
		m.Available -= e.Available
	}
	if m.Unsettled == 0 && m.Available == 0 {
		return nil // reserved before the ledger existed
	}
	if m.Unsettled > 0 {
		m.Due = SettleTime(ChinaDate(now), 1)
	}
	_, err = Move(ctx, tx, now, m)
	return err
}

// Ledger is the balance use case: the admin top-up and balance view, the
// balance query, settlement by the clock, and the recompute check.
type Ledger struct {
	Store Store
	Clock Clock
}

// TopUp adds amount (negative allowed) to the merchant's amt_balance;
// ErrNotFound for an unknown merchant, ErrBalanceShort below zero.
func (l *Ledger) TopUp(ctx context.Context, oid string, amount Amount) (*Balance, error) {
	now := l.Clock.Now()
	ref := "topup-" + NewID()
	var out *Balance
	err := l.Store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Merchant(ctx, oid); err != nil {
			return err
		}
		b, err := Move(ctx, tx, now, Money{OidPartner: oid, Kind: LedgerTopup, Ref: ref, Available: amount})
		out = b
		return err
	})
	return out, err
}

// Balance returns the merchant's balance, settled to now, and its newest
// ledger entries (limit <= 0: all). ErrNotFound for an unknown merchant.
func (l *Ledger) Balance(ctx context.Context, oid string, limit int) (*Balance, []*LedgerEntry, error) {
	now := l.Clock.Now()
	var b *Balance
	var es []*LedgerEntry
	err := l.Store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Merchant(ctx, oid); err != nil {
			return err
		}
		var err error
		if b, err = lockSettled(ctx, tx, oid, now); err != nil {
			return err
		}
		es, err = tx.Ledger(ctx, oid, limit)
		return err
	})
	return b, es, err
}

// Settle moves the payments whose settlement time has come into
// amt_balance, for every merchant; the serve loop calls it continually.
// It returns how many merchants it settled.
func (l *Ledger) Settle(ctx context.Context) (int, error) {
	now := l.Clock.Now()
	var oids []string
	err := l.Store.View(ctx, func(tx Tx) error {
		var err error
		oids, err = tx.DueSettleMerchants(ctx, now, 100)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, oid := range oids {
		if err := l.Store.Update(ctx, func(tx Tx) error {
			_, err := lockSettled(ctx, tx, oid, now)
			return err
		}); err != nil {
			return 0, err
		}
	}
	return len(oids), nil
}

// Recompute checks that the merchant's stored balances equal the sums of
// its ledger, that neither is negative, and that the pending settlements
// sum to amt_unsettle.
func Recompute(ctx context.Context, s Store, oid string) error {
	return s.View(ctx, func(tx Tx) error {
		b, err := tx.Balance(ctx, oid)
		if err != nil {
			return err
		}
		u, a, err := tx.LedgerSums(ctx, oid)
		if err != nil {
			return err
		}
		if u != b.Unsettled || a != b.Available {
			return fmt.Errorf("merchant %s: stored amt_unsettle %d, amt_balance %d; the ledger sums to %d, %d",
				oid, b.Unsettled, b.Available, u, a)
		}
		if b.Unsettled < 0 || b.Available < 0 {
			return fmt.Errorf("merchant %s: negative balance %d, %d", oid, b.Unsettled, b.Available)
		}
		ds, err := tx.SettleDues(ctx, oid)
		if err != nil {
			return err
		}
		var waiting Amount
		for _, d := range ds {
			waiting += d.Amount
		}
		if waiting != b.Unsettled {
			return fmt.Errorf("merchant %s: %d waits for settlement, amt_unsettle is %d", oid, waiting, b.Unsettled)
		}
		return nil
	})
}

// RecomputeAll runs Recompute for every merchant.
func RecomputeAll(ctx context.Context, s Store) error {
	var ms []*Merchant
	if err := s.View(ctx, func(tx Tx) error {
		var err error
		ms, err = tx.Merchants(ctx)
		return err
	}); err != nil {
		return err
	}
	for _, m := range ms {
		if err := Recompute(ctx, s, m.OidPartner); err != nil {
			return err
		}
	}
	return nil
}
