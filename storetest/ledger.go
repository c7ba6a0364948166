package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// balanceOf reads the merchant's balance outside any lock.
func balanceOf(t testing.TB, s llgate.Store, oid string) *llgate.Balance {
	t.Helper()
	var b *llgate.Balance
	view(t, s, func(tx llgate.Tx) (err error) {
		b, err = tx.Balance(t.Context(), oid)
		return err
	})
	return b
}

// recompute fails the test when the stored balances are not the ledger's
// sums, or negative.
func recompute(t testing.TB, s llgate.Store, oids ...string) {
	t.Helper()
	for _, oid := range oids {
		if err := llgate.Recompute(t.Context(), s, oid); err != nil {
			t.Fatalf("recompute: %v", err)
		}
	}
}

// move runs llgate.Move in its own transaction.
func move(t testing.TB, s llgate.Store, now time.Time, m llgate.Money) error {
	return s.Update(t.Context(), func(tx llgate.Tx) error {
		_, err := llgate.Move(t.Context(), tx, now, m)
		return err
	})
}

func wantBalance(t testing.TB, s llgate.Store, oid string, unsettled, available llgate.Amount) {
	t.Helper()
	b := balanceOf(t, s, oid)
	if b.Unsettled != unsettled || b.Available != available {
		t.Fatalf("balance of %s: got amt_unsettle %d, amt_balance %d; want %d, %d", oid, b.Unsettled, b.Available, unsettled, available)
	}
}

func testLedger(t *testing.T, open Opener) {
	t.Run("Rows", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		if b := balanceOf(t, s, oidA); b.Unsettled != 0 || b.Available != 0 || b.OidPartner != oidA {
			t.Fatalf("absent balance: got %+v, want zero", b)
		}
		var es []*llgate.LedgerEntry
		update(t, s, func(tx llgate.Tx) error {
			b, err := tx.LockBalance(ctx, oidA)
			if err != nil {
				return err
			}
			if b.Unsettled != 0 || b.Available != 0 {
				return fmt.Errorf("new balance: %+v", b)
			}
			b.Unsettled, b.Available, b.UpdatedAt = 5, 7, at(time.Second)
			if err := tx.UpdateBalance(ctx, b); err != nil {
				return err
			}
			es = []*llgate.LedgerEntry{
				{OidPartner: oidA, At: at(0), Kind: llgate.LedgerPayment, Amount: 5, Unsettled: 5, Ref: "p1"},
				{OidPartner: oidA, At: at(time.Second), Kind: llgate.LedgerTopup, Amount: 9, Available: 9, Ref: "t1"},
				{OidPartner: oidA, At: at(2 * time.Second), Kind: llgate.LedgerRefund, Amount: -2, Available: -2, Ref: "p1"},
				{OidPartner: oidB, At: at(0), Kind: llgate.LedgerTopup, Amount: 1, Available: 1, Ref: "t2"},
			}
			return tx.InsertLedger(ctx, es...)
		})
		for i := 1; i < len(es); i++ {
			if es[i].ID <= es[i-1].ID {
				t.Fatalf("IDs not increasing: %d then %d", es[i-1].ID, es[i].ID)
			}
		}
		wantBalance(t, s, oidA, 5, 7)
		view(t, s, func(tx llgate.Tx) error {
			got, err := tx.Ledger(ctx, oidA, 0)
			if err != nil {
				return err
			}
			if want := []*llgate.LedgerEntry{es[2], es[1], es[0]}; !reflect.DeepEqual(got, want) {
				t.Errorf("Ledger: got %+v, want %+v (newest first)", got, want)
			}
			if got, err = tx.Ledger(ctx, oidA, 1); err != nil || len(got) != 1 || got[0].ID != es[2].ID {
				t.Errorf("Ledger limit 1: got %v %v", got, err)
			}
			ref, err := tx.LedgerRef(ctx, oidA, llgate.LedgerRefund, "p1")
			if err != nil || len(ref) != 1 || ref[0].ID != es[2].ID {
				t.Errorf("LedgerRef: got %v %v, want the refund", ref, err)
			}
			u, a, err := tx.LedgerSums(ctx, oidA)
			if err != nil || u != 5 || a != 7 {
				t.Errorf("LedgerSums: got %d %d %v, want 5 7", u, a, err)
			}
			return nil
		})

		// Pending settlements: two for one reference and time add up; due
		// ones are taken once.
		update(t, s, func(tx llgate.Tx) error {
			for _, d := range []*llgate.SettleDue{
				{OidPartner: oidA, Ref: "p1", Amount: 3, DueAt: at(time.Hour)},
				{OidPartner: oidA, Ref: "p1", Amount: 2, DueAt: at(time.Hour)},
				{OidPartner: oidA, Ref: "p2", Amount: 10, DueAt: at(2 * time.Hour)},
				{OidPartner: oidB, Ref: "p3", Amount: 4, DueAt: at(3 * time.Hour)},
			} {
				if err := tx.InsertSettleDue(ctx, d); err != nil {
					return err
				}
			}
			return nil
		})
		update(t, s, func(tx llgate.Tx) error {
			ds, err := tx.SettleDues(ctx, oidA)
			if err != nil {
				return err
			}
			want := []*llgate.SettleDue{
				{OidPartner: oidA, Ref: "p1", Amount: 5, DueAt: at(time.Hour)},
				{OidPartner: oidA, Ref: "p2", Amount: 10, DueAt: at(2 * time.Hour)},
			}
			if !reflect.DeepEqual(ds, want) {
				t.Errorf("SettleDues: got %+v, want %+v", ds, want)
			}
			ds[1].Amount = 0 // deletes
			if err := tx.SetSettleDue(ctx, ds[1]); err != nil {
				return err
			}
			ds[0].Amount = 4
			if err := tx.SetSettleDue(ctx, ds[0]); err != nil {
				return err
			}
			if ds, err = tx.SettleDues(ctx, oidA); err != nil || len(ds) != 1 || ds[0].Amount != 4 {
				t.Errorf("after SetSettleDue: %+v %v", ds, err)
			}
			ds[0].Amount = 5
			if err := tx.SetSettleDue(ctx, ds[0]); err != nil {
				return err
			}
			return tx.InsertSettleDue(ctx, &llgate.SettleDue{OidPartner: oidA, Ref: "p2", Amount: 10, DueAt: at(2 * time.Hour)})
		})
		view(t, s, func(tx llgate.Tx) error {
			if got, err := tx.DueSettleMerchants(ctx, at(time.Hour-time.Millisecond), 10); err != nil || len(got) != 0 {
				t.Errorf("DueSettleMerchants before: got %v %v, want none", got, err)
			}
			if got, err := tx.DueSettleMerchants(ctx, at(3*time.Hour), 10); err != nil || !reflect.DeepEqual(got, []string{oidA, oidB}) {
				t.Errorf("DueSettleMerchants: got %v %v, want both", got, err)
			}
			return nil
		})
		update(t, s, func(tx llgate.Tx) error {
			if got, err := tx.TakeSettleDue(ctx, oidA, at(time.Hour)); err != nil || got != 5 {
				return fmt.Errorf("TakeSettleDue: got %d %v, want 5", got, err)
			}
			if got, err := tx.TakeSettleDue(ctx, oidA, at(time.Hour)); err != nil || got != 0 {
				return fmt.Errorf("TakeSettleDue again: got %d %v, want 0", got, err)
			}
			if got, err := tx.TakeSettleDue(ctx, oidA, at(5*time.Hour)); err != nil || got != 10 {
				return fmt.Errorf("TakeSettleDue later: got %d %v, want 10", got, err)
			}
			return nil
		})

		// Reset of one merchant clears its money and leaves the other's.
		update(t, s, func(tx llgate.Tx) error { return tx.Reset(ctx, oidA) })
		wantBalance(t, s, oidA, 0, 0)
		wantBalance(t, s, oidB, 0, 0) // never stored: read as zero
		view(t, s, func(tx llgate.Tx) error {
			if es, err := tx.Ledger(ctx, oidA, 0); err != nil || len(es) != 0 {
				t.Errorf("ledger after reset: %v %v", es, err)
			}
			if es, err := tx.Ledger(ctx, oidB, 0); err != nil || len(es) != 1 {
				t.Errorf("other merchant's ledger after reset: %v %v", es, err)
			}
			if got, err := tx.DueSettleMerchants(ctx, at(24*time.Hour), 10); err != nil || !reflect.DeepEqual(got, []string{oidB}) {
				t.Errorf("settlements after reset: %v %v", got, err)
			}
			return nil
		})
		update(t, s, func(tx llgate.Tx) error { return tx.Reset(ctx, "") })
		view(t, s, func(tx llgate.Tx) error {
			if es, err := tx.Ledger(ctx, oidB, 0); err != nil || len(es) != 0 {
				t.Errorf("ledger after full reset: %v %v", es, err)
			}
			return nil
		})
	})

	// A payment settles at 00:00 China time settle_days after its
	// settle_date; 0 = at once. Settlement happens under the lock of the
	// next change, or by Ledger.Settle.
	t.Run("Settlement", func(t *testing.T) {
		s := parallel(t, open)
		// 2026-11-22 09:30 UTC is 17:30 China time: T+1 is 2026-11-23
		// 00:00 China = 2026-11-22 16:00 UTC.
		day := llgate.ChinaDate(t0)
		if err := move(t, s, t0, llgate.PaymentMoney(oidA, "p1", 1000, day, 1)); err != nil {
			t.Fatal(err)
		}
		if err := move(t, s, t0, llgate.PaymentMoney(oidA, "p0", 300, day, 0)); err != nil {
			t.Fatal(err)
		}
		wantBalance(t, s, oidA, 1000, 300)
		due := time.Date(2026, 11, 22, 16, 0, 0, 0, time.UTC)
		if got := llgate.SettleTime(day, 1); !got.Equal(due) {
			t.Fatalf("SettleTime: got %v, want %v", got, due)
		}
		l := &llgate.Ledger{Store: s, Clock: llgate.ClockFunc(func() time.Time { return due.Add(-time.Millisecond) })}
		if n, err := l.Settle(t.Context()); err != nil || n != 0 {
			t.Fatalf("Settle before: %d %v", n, err)
		}
		wantBalance(t, s, oidA, 1000, 300)
		l.Clock = llgate.ClockFunc(func() time.Time { return due })
		if n, err := l.Settle(t.Context()); err != nil || n != 1 {
			t.Fatalf("Settle: %d %v", n, err)
		}
		wantBalance(t, s, oidA, 0, 1300)
		recompute(t, s, oidA)

		// A refund drawn on unsettled money leaves less to settle: the
		// settlement moves what amt_unsettle holds, never more.
		if err := move(t, s, due, llgate.PaymentMoney(oidA, "p2", 500, llgate.ChinaDate(due), 2)); err != nil {
			t.Fatal(err)
		}
		update(t, s, func(tx llgate.Tx) error { return llgate.ReserveRefund(t.Context(), tx, due, oidA, "p2", "r1", 700) })
		wantBalance(t, s, oidA, 0, 1100)
		update(t, s, func(tx llgate.Tx) error { return llgate.ReserveRefund(t.Context(), tx, due, oidA, "p1", "r2", 1100) })
		wantBalance(t, s, oidA, 0, 0)
		err := s.Update(t.Context(), func(tx llgate.Tx) error { return llgate.ReserveRefund(t.Context(), tx, due, oidA, "p1", "r3", 1) })
		if llgate.ErrorCode(err) != llgate.CodeBalanceShort {
			t.Fatalf("refund with nothing left: got %v, want 5006", err)
		}
		// The failed refund r1 comes back as it was taken: 500 unsettled
		// (settling at the next 00:00 China time), 200 settled.
		update(t, s, func(tx llgate.Tx) error { return llgate.ReverseRefund(t.Context(), tx, due, oidA, "r1") })
		wantBalance(t, s, oidA, 500, 200)
		l.Clock = llgate.ClockFunc(func() time.Time { return due.Add(48 * time.Hour) })
		if _, err := l.Settle(t.Context()); err != nil {
			t.Fatal(err)
		}
		wantBalance(t, s, oidA, 0, 700)
		recompute(t, s, oidA)
		if err := move(t, s, due, llgate.Money{OidPartner: oidA, Kind: llgate.LedgerTopup, Ref: "t", Available: -701}); !errors.Is(err, llgate.ErrBalanceShort) {
			t.Fatalf("below zero: got %v, want ErrBalanceShort", err)
		}
		recompute(t, s, oidA)
	})

	// Debits racing credits, refunds and settlement under the one lock: no
	// balance goes below zero, no debit is lost, and the ledger recomputes
	// both balances.
	t.Run("Concurrency", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		if err := move(t, s, t0, llgate.Money{OidPartner: oidA, Kind: llgate.LedgerTopup, Ref: "t", Available: 1000}); err != nil {
			t.Fatal(err)
		}
		start := make(chan struct{})
		var (
			wg                sync.WaitGroup
			debited, refunded atomic.Int64
			shortD, shortR    atomic.Int32
		)
		day := llgate.ChinaDate(t0)
		for i := range 50 { // payouts of 1.00 against 10.00
			wg.Go(func() {
				<-start
				err := move(t, s, t0, llgate.Money{OidPartner: oidA, Kind: llgate.LedgerPayout, Ref: fmt.Sprint("po", i), Available: -100})
				switch {
				case err == nil:
					debited.Add(100)
				case errors.Is(err, llgate.ErrBalanceShort):
					shortD.Add(1)
				default:
					t.Errorf("payout %d: %v", i, err)
				}
			})
		}
		for i := range 20 { // refunds of 0.70, payments of 0.30 settling at once
			wg.Go(func() {
				<-start
				err := s.Update(ctx, func(tx llgate.Tx) error {
					return llgate.ReserveRefund(ctx, tx, t0, oidA, fmt.Sprint("p", i), fmt.Sprint("r", i), 70)
				})
				switch {
				case err == nil:
					refunded.Add(70)
				case llgate.ErrorCode(err) == llgate.CodeBalanceShort:
					shortR.Add(1)
				default:
					t.Errorf("refund %d: %v", i, err)
				}
			})
			wg.Go(func() {
				<-start
				if err := move(t, s, t0, llgate.PaymentMoney(oidA, fmt.Sprint("p", i), 30, day, 1)); err != nil {
					t.Errorf("payment %d: %v", i, err)
				}
			})
		}
		l := &llgate.Ledger{Store: s, Clock: llgate.ClockFunc(func() time.Time { return t0.Add(48 * time.Hour) })}
		wg.Go(func() {
			<-start
			for range 5 {
				if _, err := l.Settle(ctx); err != nil {
					t.Errorf("settle: %v", err)
				}
			}
		})
		close(start)
		wg.Wait()
		b := balanceOf(t, s, oidA)
		if b.Unsettled < 0 || b.Available < 0 {
			t.Fatalf("negative balance: %+v", b)
		}
		if got, want := b.Unsettled+b.Available, 1000+20*30-debited.Load()-refunded.Load(); int64(got) != want {
			t.Fatalf("money: got %d in all, want %d (debited %d, refunded %d)", got, want, debited.Load(), refunded.Load())
		}
		if debited.Load() > 1000+20*30 || debited.Load()/100+int64(shortD.Load()) != 50 {
			t.Fatalf("payouts: %d fen accepted, %d short", debited.Load(), shortD.Load())
		}
		recompute(t, s, oidA)
	})

	// A seeded random sequence of payments, refunds (some failing), top-ups,
	// payouts and clock moves: after each step the balances are never
	// negative, recompute from the ledger, and hold exactly the money the
	// model says; once the clock has passed every settlement, nothing is
	// left unsettled.
	t.Run("Property", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		for seed := range uint64(3) {
			oid := fmt.Sprintf("2014080710000099%02d", seed)
			r := rand.New(rand.NewPCG(seed, 42))
			now := t0
			var total llgate.Amount // what the merchant holds in all
			var refunds []string    // reserved, not yet failed
			var payments []string
			l := &llgate.Ledger{Store: s, Clock: llgate.ClockFunc(func() time.Time { return now })}
			for step := range 150 {
				ref := fmt.Sprint("x", step)
				amount := llgate.Amount(1 + r.IntN(5000))
				var what string
				switch k := r.IntN(7); k {
				case 0, 1:
					what = "payment"
					if err := move(t, s, now, llgate.PaymentMoney(oid, ref, amount, llgate.ChinaDate(now), r.IntN(3))); err != nil {
						t.Fatalf("seed %d step %d payment: %v", seed, step, err)
					}
					total += amount
					payments = append(payments, ref)
				case 2:
					what = "refund"
					payment := "none"
					if len(payments) > 0 {
						payment = payments[r.IntN(len(payments))]
					}
					err := s.Update(ctx, func(tx llgate.Tx) error { return llgate.ReserveRefund(ctx, tx, now, oid, payment, ref, amount) })
					switch {
					case err == nil:
						if amount > total {
							t.Fatalf("seed %d step %d: a refund of %d passed with %d", seed, step, amount, total)
						}
						total -= amount
						refunds = append(refunds, ref)
					case llgate.ErrorCode(err) == llgate.CodeBalanceShort:
						if amount <= total {
							t.Fatalf("seed %d step %d: 5006 for %d with %d", seed, step, amount, total)
						}
					default:
						t.Fatalf("seed %d step %d refund: %v", seed, step, err)
					}
				case 3:
					what = "failed refund"
					if len(refunds) == 0 {
						continue
					}
					i := r.IntN(len(refunds))
					f := refunds[i]
					refunds = append(refunds[:i], refunds[i+1:]...)
					var back llgate.Amount
					update(t, s, func(tx llgate.Tx) error {
						es, err := tx.LedgerRef(ctx, oid, llgate.LedgerRefund, f)
						back = 0
						for _, e := range es {
							back -= e.Amount
						}
						if err != nil {
							return err
						}
						return llgate.ReverseRefund(ctx, tx, now, oid, f)
					})
					total += back
				case 4:
					what = "top-up or payout"
					if r.IntN(2) == 0 {
						amount = -amount
					}
					err := s.Update(ctx, func(tx llgate.Tx) error {
						_, err := llgate.Move(ctx, tx, now, llgate.Money{OidPartner: oid, Kind: llgate.LedgerTopup, Ref: ref, Available: amount})
						return err
					})
					switch {
					case err == nil:
						total += amount
					case errors.Is(err, llgate.ErrBalanceShort):
					default:
						t.Fatalf("seed %d step %d top-up: %v", seed, step, err)
					}
				default:
					what = "clock"
					now = now.Add(time.Duration(r.IntN(40)) * time.Hour)
					if r.IntN(2) == 0 {
						if _, err := l.Settle(ctx); err != nil {
							t.Fatal(err)
						}
					}
				}
				b := balanceOf(t, s, oid)
				if b.Unsettled+b.Available != total {
					t.Fatalf("seed %d step %d (%s): balances %d + %d, want %d in all", seed, step, what, b.Unsettled, b.Available, total)
				}
				recompute(t, s, oid)
			}
			now = now.Add(40 * 24 * time.Hour)
			if _, err := l.Settle(ctx); err != nil {
				t.Fatal(err)
			}
			wantBalance(t, s, oid, 0, total)
			recompute(t, s, oid)
		}
	})
}
