package storetest

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// writers is how many goroutines race in each concurrency test.
const writers = 20

// These tests prove the sentence of llgate.Store that matters most: a
// closure that reads, checks, then writes never loses an update. Without
// the row locks (FOR UPDATE on PostgreSQL) Counter ends below 20.
func testConcurrency(t *testing.T, open Opener) {
	t.Run("Counter", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		update(t, s, func(tx llgate.Tx) error { return tx.PutSetting(ctx, "counter", []byte("0")) })

		var wg sync.WaitGroup
		for range writers {
			wg.Go(func() {
				err := s.Update(ctx, func(tx llgate.Tx) error {
					v, err := tx.Setting(ctx, "counter")
					if err != nil {
						return err
					}
					n, err := strconv.Atoi(string(v))
					if err != nil {
						return err
					}
					return tx.PutSetting(ctx, "counter", []byte(strconv.Itoa(n+1)))
				})
				if err != nil {
					t.Errorf("Update: %v", err)
				}
			})
		}
		wg.Wait()

		var v []byte
		view(t, s, func(tx llgate.Tx) (err error) {
			v, err = tx.Setting(ctx, "counter")
			return err
		})
		if got, want := string(v), strconv.Itoa(writers); got != want {
			t.Fatalf("counter: got %s, want %s", got, want)
		}
	})

	t.Run("MerchantAppend", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		m := newMerchant(oidA)
		m.IPAllowlist = nil
		update(t, s, func(tx llgate.Tx) error { return tx.InsertMerchant(ctx, m) })

		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				err := s.Update(ctx, func(tx llgate.Tx) error {
					m, err := tx.Merchant(ctx, oidA)
					if err != nil {
						return err
					}
					m.IPAllowlist = append(m.IPAllowlist, fmt.Sprintf("192.0.2.%d", i))
					return tx.UpdateMerchant(ctx, m)
				})
				if err != nil {
					t.Errorf("Update: %v", err)
				}
			})
		}
		wg.Wait()

		got := getMerchant(t, s, oidA).IPAllowlist
		slices.Sort(got)
		var want []string
		for i := range writers {
			want = append(want, fmt.Sprintf("192.0.2.%d", i))
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("allowlist: got %d entries %v, want %d entries %v", len(got), got, len(want), want)
		}
	})

	t.Run("Claim", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		const total = 200
		now := at(time.Hour)
		update(t, s, func(tx llgate.Tx) error {
			for i := range total {
				n := newNotification(fmt.Sprintf("n%03d", i), oidA, fmt.Sprintf("order-%d", i))
				n.NextAttemptAt = now.Add(-time.Duration(i) * time.Millisecond)
				if err := tx.InsertNotification(ctx, n); err != nil {
					return err
				}
			}
			return nil
		})

		claimed := make([][]string, 2)
		var wg sync.WaitGroup
		for c := range claimed {
			wg.Go(func() {
				for {
					var ns []*llgate.Notification
					err := s.Update(ctx, func(tx llgate.Tx) (err error) {
						ns, err = tx.ClaimNotifications(ctx, now, now.Add(time.Minute), 7)
						return err
					})
					if err != nil {
						t.Errorf("claimer %d: %v", c, err)
						return
					}
					if len(ns) == 0 {
						return
					}
					for _, n := range ns {
						if !n.LeaseUntil.Equal(now.Add(time.Minute)) {
							t.Errorf("claimer %d: %s lease: got %v, want %v", c, n.ID, n.LeaseUntil, now.Add(time.Minute))
						}
						claimed[c] = append(claimed[c], n.ID)
					}
				}
			})
		}
		wg.Wait()

		seen := map[string]int{}
		for c, ids := range claimed {
			for _, id := range ids {
				if prev, dup := seen[id]; dup {
					t.Errorf("%s claimed by claimer %d and claimer %d", id, prev, c)
				}
				seen[id] = c
			}
		}
		if got, want := len(seen), total; got != want {
			t.Fatalf("claimed: got %d distinct notifications, want %d", got, want)
		}
		t.Logf("claimer 0 got %d, claimer 1 got %d", len(claimed[0]), len(claimed[1]))
	})
}
