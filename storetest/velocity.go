package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// markAll stores marks in one transaction.
func markAll(t *testing.T, s llgate.Store, marks ...*llgate.VelocityMark) {
	t.Helper()
	update(t, s, func(tx llgate.Tx) error {
		for _, m := range marks {
			if err := tx.MarkVelocity(t.Context(), m); err != nil {
				return err
			}
		}
		return nil
	})
}

// velocityCount reads VelocityCount in a View.
func velocityCount(t *testing.T, s llgate.Store, counter, kind, fp string, since time.Time) (n int, seen bool) {
	t.Helper()
	view(t, s, func(tx llgate.Tx) (err error) {
		n, seen, err = tx.VelocityCount(t.Context(), counter, kind, fp, since)
		return err
	})
	return n, seen
}

func mark(oid, counter, kind, fp string, d time.Duration) *llgate.VelocityMark {
	return &llgate.VelocityMark{OidPartner: oid, Counter: counter, Kind: kind, FP: fp, At: at(d)}
}

func testVelocity(t *testing.T, open Opener) {
	const phone, card = llgate.VelocityPhone, llgate.VelocityCard
	t.Run("Count", func(t *testing.T) {
		s := parallel(t, open)
		markAll(t, s,
			mark(oidA, "m:A", phone, "fp-1", 0),
			mark(oidA, "m:A", phone, "fp-2", time.Minute),
			mark(oidA, "m:A", phone, "fp-3", time.Hour),
			mark(oidA, "m:A", card, "fp-4", time.Hour),  // another kind
			mark(oidA, "m:B", phone, "fp-5", time.Hour), // another counter
			// An address counter used by two merchants: fp-1 is one phone.
			mark(oidA, "a:X", phone, "fp-1", 0),
			mark(oidB, "a:X", phone, "fp-1", time.Minute),
			mark(oidB, "a:X", phone, "fp-2", time.Minute),
		)
		for _, tt := range []struct {
			counter, kind, fp string
			since             time.Duration
			n                 int
			seen              bool
		}{
			{"m:A", phone, "fp-1", -time.Hour, 3, true},
			{"m:A", phone, "fp-1", 0, 3, true}, // At >= since
			{"m:A", phone, "fp-1", time.Millisecond, 2, false},
			{"m:A", phone, "fp-2", time.Minute, 2, true},
			{"m:A", phone, "fp-9", time.Minute, 2, false},
			{"m:A", phone, "fp-3", time.Hour + time.Millisecond, 0, false},
			{"m:A", card, "fp-4", 0, 1, true},
			{"m:A", card, "fp-1", 0, 1, false},
			{"m:B", phone, "fp-5", 0, 1, true},
			{"m:C", phone, "fp-5", 0, 0, false},
			{"a:X", phone, "fp-1", 0, 2, true},
			{"a:X", phone, "fp-1", time.Millisecond, 2, true}, // oidB's mark of fp-1
			{"a:X", phone, "fp-3", time.Minute, 2, false},
		} {
			n, seen := velocityCount(t, s, tt.counter, tt.kind, tt.fp, at(tt.since))
			if n != tt.n || seen != tt.seen {
				t.Errorf("VelocityCount(%s, %s, %s, %v): got %d, %v; want %d, %v",
					tt.counter, tt.kind, tt.fp, tt.since, n, seen, tt.n, tt.seen)
			}
		}
	})

	// A mark is moved to the later time, never back: the window slides
	// with the latest sighting.
	t.Run("LaterTimeWins", func(t *testing.T) {
		s := parallel(t, open)
		markAll(t, s, mark(oidA, "m:A", phone, "fp-1", time.Hour))
		markAll(t, s, mark(oidA, "m:A", phone, "fp-1", 0))
		if n, seen := velocityCount(t, s, "m:A", phone, "fp-1", at(time.Hour)); n != 1 || !seen {
			t.Fatalf("after an earlier mark: got %d, %v; want 1, true", n, seen)
		}
		markAll(t, s, mark(oidA, "m:A", phone, "fp-1", 2*time.Hour))
		if n, seen := velocityCount(t, s, "m:A", phone, "fp-1", at(2*time.Hour)); n != 1 || !seen {
			t.Fatalf("after a later mark: got %d, %v; want 1, true", n, seen)
		}
	})

	t.Run("Prune", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		markAll(t, s,
			mark(oidA, "m:A", phone, "fp-1", 0),
			mark(oidA, "m:A", phone, "fp-2", time.Hour),
			mark(oidA, "a:X", card, "fp-3", time.Second),
		)
		update(t, s, func(tx llgate.Tx) error { return tx.LockVelocity(ctx, "m:A", "a:X", "a:Y") })
		var pruned int64
		update(t, s, func(tx llgate.Tx) (err error) {
			pruned, err = tx.PruneVelocity(ctx, at(time.Second))
			return err
		})
		if pruned != 1 {
			t.Errorf("pruned: got %d, want 1 (before is exclusive)", pruned)
		}
		if n, seen := velocityCount(t, s, "m:A", phone, "fp-1", time.Time{}); n != 1 || seen {
			t.Errorf("m:A after prune: got %d, %v; want 1, false", n, seen)
		}
		if n, _ := velocityCount(t, s, "a:X", card, "fp-3", time.Time{}); n != 1 {
			t.Errorf("a:X after prune: got %d, want 1", n)
		}
		// Counters whose lock rows the prune took lock again.
		update(t, s, func(tx llgate.Tx) error { return tx.LockVelocity(ctx, "m:A", "a:X", "a:Y") })
	})

	t.Run("ErrReadOnly", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		if err := s.View(ctx, func(tx llgate.Tx) error { return tx.LockVelocity(ctx, "m:A") }); err == nil {
			t.Error("LockVelocity inside View: got nil, want an error")
		}
		if err := s.View(ctx, func(tx llgate.Tx) error { return tx.MarkVelocity(ctx, mark(oidA, "m:A", phone, "fp", 0)) }); err == nil {
			t.Error("MarkVelocity inside View: got nil, want an error")
		}
	})
}

// Writers race for the last places of a cap, as the velocity check does:
// lock the counters, count, mark if under the cap. Half go through one
// merchant's counter, half through another's, all through one address's:
// only the address lock keeps them apart, and without it PostgreSQL's READ
// COMMITTED lets writers count the same number and pass together. Each
// round uses fresh counters (the first races to create the lock rows).
func testVelocityConcurrency(t *testing.T, open Opener) {
	t.Run("VelocityCap", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		const limit = 5
		for round := range 4 {
			addr := fmt.Sprintf("addr:%d", round)
			var passed atomic.Int32
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range writers {
				wg.Go(func() {
					<-start
					oid, counter := oidA, fmt.Sprintf("merchant:A%d", round)
					if i%2 == 1 {
						oid, counter = oidB, fmt.Sprintf("merchant:B%d", round)
					}
					fp := fmt.Sprintf("fp-%02d", i)
					var mine bool
					err := s.Update(ctx, func(tx llgate.Tx) error {
						mine = false // a rerun starts over
						if err := tx.LockVelocity(ctx, counter, addr); err != nil {
							return err
						}
						n, _, err := tx.VelocityCount(ctx, addr, llgate.VelocityCard, fp, at(-time.Hour))
						if err != nil || n >= limit {
							return err
						}
						mine = true
						for _, c := range []string{counter, addr} {
							if err := tx.MarkVelocity(ctx, mark(oid, c, llgate.VelocityCard, fp, 0)); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						t.Errorf("round %d, writer %d: %v", round, i, err)
					}
					if err == nil && mine {
						passed.Add(1)
					}
				})
			}
			close(start)
			wg.Wait()
			if got := passed.Load(); got != limit {
				t.Errorf("round %d: writers that passed: got %d, want %d", round, got, limit)
			}
			if n, _ := velocityCount(t, s, addr, llgate.VelocityCard, "", at(-time.Hour)); n != limit {
				t.Errorf("round %d: marks: got %d, want %d", round, n, limit)
			}
		}
	})
}
