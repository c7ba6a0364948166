package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// These prove the two races the binding flow depends on: two binds of one
// card, and guesses at one code.
func testBindingConcurrency(t *testing.T, open Opener) {
	// Only the partial unique index stands between concurrent binds: no
	// row exists to lock before the first insert.
	t.Run("OneActiveAgreement", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		start := make(chan struct{})
		var (
			mu                   sync.Mutex
			inserted, conflicted []string
			wg                   sync.WaitGroup
		)
		for i := range writers {
			wg.Go(func() {
				<-start
				a := newAgreement(fmt.Sprintf("agree-%02d", i), scopeA, "user-1", "card-1")
				err := s.Update(ctx, func(tx llgate.Tx) error { return tx.InsertAgreement(ctx, a) })
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					inserted = append(inserted, a.NoAgree)
				case errors.Is(err, llgate.ErrConflict):
					conflicted = append(conflicted, a.NoAgree)
				default:
					t.Errorf("%s: got %v, want nil or ErrConflict", a.NoAgree, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if got, want := len(inserted), 1; got != want {
			t.Fatalf("inserted: got %d %v, want %d", got, inserted, want)
		}
		if got, want := len(conflicted), writers-1; got != want {
			t.Fatalf("ErrConflict: got %d, want %d", got, want)
		}
		as, total := agreements(t, s, llgate.AgreementFilter{Scope: scopeA})
		if total != 1 || len(as) != 1 || as[0].NoAgree != inserted[0] {
			t.Fatalf("stored: got %d %v, want 1 [%s]", total, noAgrees(as), inserted[0])
		}
	})

	// Each guess locks the challenge, checks the count and raises it: no
	// more guesses than allowed get through, however many arrive at once.
	t.Run("WrongCount", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		const maxWrong = 5
		c := newChallenge("tok")
		c.WrongCount = 0
		insertChallenges(t, s, c)

		start := make(chan struct{})
		var (
			raised atomic.Int32
			wg     sync.WaitGroup
		)
		for range writers {
			wg.Go(func() {
				<-start
				var mine bool
				err := s.Update(ctx, func(tx llgate.Tx) error {
					mine = false // a rerun starts over
					c, err := tx.Challenge(ctx, "tok")
					if err != nil {
						return err
					}
					if c.WrongCount >= maxWrong {
						return nil
					}
					c.WrongCount++
					mine = true
					return tx.UpdateChallenge(ctx, c)
				})
				if err != nil {
					t.Errorf("Update: %v", err)
					return
				}
				if mine {
					raised.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if got, want := getChallenge(t, s, "tok").WrongCount, maxWrong; got != want {
			t.Errorf("WrongCount: got %d, want %d", got, want)
		}
		if got, want := raised.Load(), int32(maxWrong); got != want {
			t.Errorf("goroutines that raised the count: got %d, want %d", got, want)
		}
	})
}

// These prove the payment flow's races: the limit check under LockPerson,
// the clock's claims of due orders, and read-modify-write of orders and
// refunds through each of their locking reads.
func testPaymentConcurrency(t *testing.T, open Opener) {
	// Without LockPerson, PostgreSQL's READ COMMITTED lets every payer read
	// the same Spent and pay: more than the cap gets through.
	t.Run("PersonLimit", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		const (
			payers = 10
			amount = 100
		)
		var paid atomic.Int32
		pay := func(round, i int, limit llgate.Amount) {
			var mine bool
			err := s.Update(ctx, func(tx llgate.Tx) error {
				mine = false // a rerun starts over
				if err := tx.LockPerson(ctx, oidA, "person-1"); err != nil {
					return err
				}
				spent, err := tx.Spent(ctx, oidA, "person-1", at(-24*time.Hour))
				if err != nil {
					return err
				}
				if spent+amount > limit {
					return nil
				}
				o := newOrder(fmt.Sprintf("pay-%d-%02d", round, i), oidA, fmt.Sprintf("order-%d-%02d", round, i))
				o.Amount, o.Status, o.CountedAt, o.PaidAt = amount, llgate.OrderSuccess, at(0), at(0)
				mine = true
				return tx.InsertOrder(ctx, o)
			})
			if err != nil {
				t.Errorf("payer %d-%d: %v", round, i, err)
				return
			}
			if mine {
				paid.Add(1)
			}
		}
		// The first round races to create the person's lock row, the
		// second to lock the existing one.
		for round, limit := range []llgate.Amount{5 * amount, 10 * amount} {
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range payers {
				wg.Go(func() {
					<-start
					pay(round, i, limit)
				})
			}
			close(start)
			wg.Wait()

			var (
				spent  llgate.Amount
				orders []*llgate.Order
			)
			view(t, s, func(tx llgate.Tx) (err error) {
				if spent, err = tx.Spent(ctx, oidA, "person-1", time.Time{}); err != nil {
					return err
				}
				orders, err = tx.SettledOrders(ctx, oidA, at(0), at(time.Millisecond))
				return err
			})
			want := int(limit / amount)
			if got := len(orders); got != want {
				t.Errorf("round %d: got %d orders, want %d", round, got, want)
			}
			if got := int(paid.Load()); got != want {
				t.Errorf("round %d: got %d payers who paid, want %d", round, got, want)
			}
			if got := spent; got != limit {
				t.Errorf("round %d: spent: got %d, want %d", round, got, limit)
			}
		}
	})

	// Two clocks close due orders side by side: on PostgreSQL SKIP LOCKED
	// keeps them apart, on SQLite the single writer does.
	t.Run("DueOrders", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		const total = 100
		now := at(time.Hour)
		update(t, s, func(tx llgate.Tx) error {
			for i := range total {
				o := newOrder(fmt.Sprintf("pay-%03d", i), oidA, fmt.Sprintf("order-%03d", i))
				o.ValidUntil, o.SettleAt = now.Add(time.Hour), now.Add(time.Hour)
				due := now.Add(-time.Duration(i) * time.Millisecond)
				if i%2 == 0 {
					o.Status, o.ValidUntil = llgate.OrderWaiting, due
				} else {
					o.Status, o.SettleAt = llgate.OrderProcessing, due
				}
				if err := tx.InsertOrder(ctx, o); err != nil {
					return err
				}
			}
			return nil
		})

		closed := make([][]string, 2)
		var wg sync.WaitGroup
		for c := range closed {
			wg.Go(func() {
				for {
					var mine []string
					err := s.Update(ctx, func(tx llgate.Tx) error {
						mine = nil // a rerun starts over
						os, err := tx.DueOrders(ctx, now, 10)
						if err != nil {
							return err
						}
						for _, o := range os {
							if o.Status != llgate.OrderWaiting && o.Status != llgate.OrderProcessing {
								t.Errorf("clock %d: %s is %s, not due", c, o.OidPaybill, o.Status)
							}
							o.Status = llgate.OrderClosed
							if err := tx.UpdateOrder(ctx, o); err != nil {
								return err
							}
							mine = append(mine, o.OidPaybill)
						}
						return nil
					})
					if err != nil {
						t.Errorf("clock %d: %v", c, err)
						return
					}
					if len(mine) == 0 {
						return
					}
					closed[c] = append(closed[c], mine...)
				}
			})
		}
		wg.Wait()

		seen := map[string]int{}
		for c, ids := range closed {
			for _, id := range ids {
				if prev, dup := seen[id]; dup {
					t.Errorf("%s closed by clock %d and clock %d", id, prev, c)
				}
				seen[id] = c
			}
		}
		if got, want := len(seen), total; got != want {
			t.Fatalf("closed: got %d distinct orders, want %d", got, want)
		}
		view(t, s, func(tx llgate.Tx) error {
			os, err := tx.DueOrders(ctx, now, total)
			if err != nil {
				return err
			}
			if len(os) != 0 {
				t.Errorf("due after both clocks: got %v, want none", paybills(os))
			}
			for i := range total {
				o, err := tx.Order(ctx, fmt.Sprintf("pay-%03d", i))
				if err != nil {
					return err
				}
				if o.Status != llgate.OrderClosed {
					t.Errorf("%s: got %s, want %s", o.OidPaybill, o.Status, llgate.OrderClosed)
				}
			}
			return nil
		})
		t.Logf("clock 0 closed %d, clock 1 closed %d", len(closed[0]), len(closed[1]))
	})

	// Order, OrderByNo, Refund and RefundByNo lock what they read: no
	// increment is lost, whichever of the two reads each writer uses.
	t.Run("LockedReads", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		o := newOrder("pay-1", oidA, "order-1")
		o.Refunded = 0
		r := newRefund("ref-1", oidA, "refund-1")
		r.Amount = 0
		update(t, s, func(tx llgate.Tx) error {
			if err := tx.InsertOrder(ctx, o); err != nil {
				return err
			}
			return tx.InsertRefund(ctx, r)
		})

		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				<-start
				err := s.Update(ctx, func(tx llgate.Tx) error {
					var (
						o   *llgate.Order
						r   *llgate.Refund
						err error
					)
					if i%2 == 0 {
						o, err = tx.Order(ctx, "pay-1")
					} else {
						o, err = tx.OrderByNo(ctx, oidA, "order-1")
					}
					if err != nil {
						return err
					}
					o.Refunded++
					if err := tx.UpdateOrder(ctx, o); err != nil {
						return err
					}
					if i%2 == 0 {
						r, err = tx.RefundByNo(ctx, oidA, "refund-1")
					} else {
						r, err = tx.Refund(ctx, "ref-1")
					}
					if err != nil {
						return err
					}
					r.Amount++
					return tx.UpdateRefund(ctx, r)
				})
				if err != nil {
					t.Errorf("Update: %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		if got, want := getOrder(t, s, "pay-1").Refunded, llgate.Amount(writers); got != want {
			t.Errorf("Refunded: got %d, want %d", got, want)
		}
		if got, want := getRefund(t, s, "ref-1").Amount, llgate.Amount(writers); got != want {
			t.Errorf("refund Amount: got %d, want %d", got, want)
		}
	})
}
