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

func mark(oid, counter, kind, fp string, d time.Duration) *llgate.VelocityMark {
	return &llgate.VelocityMark{OidPartner: oid, Counter: counter, Kind: kind, FP: fp, At: at(d)}
}

// addMarks adds marks in one transaction.
func addMarks(t *testing.T, s llgate.Store, marks ...*llgate.VelocityMark) {
	t.Helper()
	update(t, s, func(tx llgate.Tx) error {
		for _, m := range marks {
			if err := tx.AddVelocity(t.Context(), m); err != nil {
				return err
			}
		}
		return nil
	})
}

// viewCount reads CountVelocity in a View, which deletes nothing.
func viewCount(t *testing.T, s llgate.Store, counter, kind string, since time.Time) int {
	t.Helper()
	var n int
	view(t, s, func(tx llgate.Tx) (err error) {
		n, err = tx.CountVelocity(t.Context(), counter, kind, since)
		return err
	})
	return n
}

func seenVelocity(t *testing.T, s llgate.Store, counter, kind, fp string, since time.Time) bool {
	t.Helper()
	var seen bool
	view(t, s, func(tx llgate.Tx) (err error) {
		seen, err = tx.VelocitySeen(t.Context(), counter, kind, fp, since)
		return err
	})
	return seen
}

// long ago: every mark is at or after it.
var longAgo = at(-365 * 24 * time.Hour)

func testVelocity(t *testing.T, open Opener) {
	const phone, card = llgate.VelocityPhone, llgate.VelocityCard
	t.Run("Count", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		addMarks(t, s,
			mark(oidA, "m:A", phone, "fp-1", 0),
			mark(oidA, "m:A", phone, "fp-2", time.Minute),
			mark(oidB, "m:A", phone, "fp-3", time.Hour),
			mark(oidA, "m:A", card, "fp-1", time.Hour),  // another kind
			mark(oidA, "m:B", phone, "fp-1", time.Hour), // another counter
		)
		for _, tt := range []struct {
			counter, kind string
			since         time.Time
			want          int
		}{
			{"m:A", phone, longAgo, 3},
			{"m:A", phone, at(0), 3}, // At >= since
			{"m:A", phone, at(time.Millisecond), 2},
			{"m:A", phone, at(time.Hour), 1},
			{"m:A", phone, at(time.Hour + time.Millisecond), 0},
			{"m:A", card, longAgo, 1},
			{"m:B", phone, longAgo, 1},
			{"m:C", phone, longAgo, 0},
		} {
			if got := viewCount(t, s, tt.counter, tt.kind, tt.since); got != tt.want {
				t.Errorf("CountVelocity(%s, %s, %v) in View: got %d, want %d", tt.counter, tt.kind, tt.since, got, tt.want)
			}
		}
		if !seenVelocity(t, s, "m:A", phone, "fp-2", at(time.Minute)) || seenVelocity(t, s, "m:A", phone, "fp-2", at(time.Minute+time.Millisecond)) {
			t.Error("VelocitySeen of fp-2: want seen at or after its time only")
		}
		if seenVelocity(t, s, "m:A", phone, "fp-9", longAgo) || seenVelocity(t, s, "m:C", phone, "fp-1", longAgo) {
			t.Error("VelocitySeen of a mark the counter does not hold: got true")
		}

		// Inside Update, counting deletes the older marks for good.
		var n int
		update(t, s, func(tx llgate.Tx) (err error) {
			n, err = tx.CountVelocity(ctx, "m:A", phone, at(time.Millisecond))
			return err
		})
		if n != 2 {
			t.Errorf("CountVelocity in Update: got %d, want 2", n)
		}
		if got := viewCount(t, s, "m:A", phone, longAgo); got != 2 {
			t.Errorf("after counting in Update: got %d marks, want 2 (fp-1 expired)", got)
		}
		if seenVelocity(t, s, "m:A", phone, "fp-1", longAgo) {
			t.Error("fp-1 after it expired: still held")
		}
		if got := viewCount(t, s, "m:A", card, longAgo); got != 1 {
			t.Errorf("the other kind after counting: got %d, want 1", got)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := parallel(t, open)
		addMarks(t, s, mark(oidA, "m:A", phone, "fp-1", 0))
		err := s.Update(t.Context(), func(tx llgate.Tx) error {
			return tx.AddVelocity(t.Context(), mark(oidB, "m:A", phone, "fp-1", time.Hour))
		})
		if !errors.Is(err, llgate.ErrConflict) {
			t.Fatalf("second AddVelocity of a mark: got %v, want ErrConflict", err)
		}
		if got := viewCount(t, s, "m:A", phone, longAgo); got != 1 {
			t.Fatalf("count after the conflict: got %d, want 1", got)
		}
	})

	// A mark moves to the later time, never back, and only while it is
	// recent; the merchant that touched it last owns it (Reset).
	t.Run("Touch", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		addMarks(t, s, mark(oidA, "m:A", phone, "fp-1", 0))
		touch := func(m *llgate.VelocityMark, since time.Time) bool {
			t.Helper()
			var ok bool
			update(t, s, func(tx llgate.Tx) (err error) {
				ok, err = tx.TouchVelocity(ctx, m, since)
				return err
			})
			return ok
		}
		if !touch(mark(oidB, "m:A", phone, "fp-1", time.Hour), at(0)) {
			t.Fatal("touch of a recent mark: got false")
		}
		if !touch(mark(oidB, "m:A", phone, "fp-1", 30*time.Minute), at(0)) {
			t.Fatal("touch with an earlier time: got false")
		}
		if !seenVelocity(t, s, "m:A", phone, "fp-1", at(time.Hour)) {
			t.Fatal("after touches at 1h and then 30m: want the mark at 1h")
		}
		if touch(mark(oidB, "m:A", phone, "fp-1", 3*time.Hour), at(time.Hour+time.Millisecond)) {
			t.Fatal("touch of a mark older than since: got true")
		}
		if seenVelocity(t, s, "m:A", phone, "fp-1", at(time.Hour+time.Millisecond)) {
			t.Fatal("a refused touch moved the mark")
		}
		if touch(mark(oidA, "m:A", phone, "fp-2", 0), longAgo) || touch(mark(oidA, "m:B", phone, "fp-1", 0), longAgo) {
			t.Fatal("touch of a mark the counter does not hold: got true")
		}
		if got := viewCount(t, s, "m:A", phone, longAgo); got != 1 {
			t.Fatalf("count after touches: got %d, want 1", got)
		}
		update(t, s, func(tx llgate.Tx) error { return tx.Reset(ctx, oidA) })
		if got := viewCount(t, s, "m:A", phone, longAgo); got != 1 {
			t.Fatalf("after a reset of the merchant that made it: got %d, want 1 (oidB touched it last)", got)
		}
		update(t, s, func(tx llgate.Tx) error { return tx.Reset(ctx, oidB) })
		if got := viewCount(t, s, "m:A", phone, longAgo); got != 0 {
			t.Fatalf("after a reset of the merchant that touched it last: got %d, want 0", got)
		}
	})

	t.Run("Prune", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		addMarks(t, s,
			mark(oidA, "idle", phone, "fp-1", 0),
			mark(oidA, "idle", phone, "fp-2", time.Second),
			mark(oidA, "busy", phone, "fp-1", 0),
			mark(oidA, "busy", phone, "fp-2", 2*time.Hour),
			mark(oidA, "idle", card, "fp-1", time.Hour), // idle's cards are in use
		)
		var pruned int64
		update(t, s, func(tx llgate.Tx) (err error) {
			pruned, err = tx.PruneVelocity(ctx, at(time.Hour))
			return err
		})
		if pruned != 2 {
			t.Errorf("pruned: got %d marks, want 2", pruned)
		}
		for _, tt := range []struct {
			counter, kind string
			want          int
		}{{"idle", phone, 0}, {"busy", phone, 2}, {"idle", card, 1}} {
			if got := viewCount(t, s, tt.counter, tt.kind, longAgo); got != tt.want {
				t.Errorf("%s %s after prune: got %d, want %d", tt.counter, tt.kind, got, tt.want)
			}
		}
		// A pruned counter counts again from nothing.
		update(t, s, func(tx llgate.Tx) error {
			if err := tx.LockVelocity(ctx, "idle", phone); err != nil {
				return err
			}
			return tx.AddVelocity(ctx, mark(oidA, "idle", phone, "fp-1", 3*time.Hour))
		})
		if got := viewCount(t, s, "idle", phone, longAgo); got != 1 {
			t.Errorf("idle after a new mark: got %d, want 1", got)
		}
	})

	t.Run("ErrReadOnly", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		for name, fn := range map[string]func(tx llgate.Tx) error{
			"LockVelocity": func(tx llgate.Tx) error { return tx.LockVelocity(ctx, "m:A", phone) },
			"AddVelocity":  func(tx llgate.Tx) error { return tx.AddVelocity(ctx, mark(oidA, "m:A", phone, "fp", 0)) },
			"TouchVelocity": func(tx llgate.Tx) error {
				_, err := tx.TouchVelocity(ctx, mark(oidA, "m:A", phone, "fp", 0), longAgo)
				return err
			},
		} {
			if err := s.View(ctx, fn); err == nil {
				t.Errorf("%s inside View: got nil, want an error", name)
			}
		}
	})
}

// These prove the velocity counters' races: the number stays the number of
// marks whatever runs at once, and the lock lets exactly the cap's worth of
// new marks in.
func testVelocityConcurrency(t *testing.T, open Opener) {
	// Marks added, touched and expired at once, without LockVelocity: the
	// kept number ends equal to the marks left.
	t.Run("VelocityCount", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		const kind = llgate.VelocityCard
		var old []*llgate.VelocityMark
		for i := range writers {
			old = append(old, mark(oidA, "c", kind, fmt.Sprintf("old-%02d", i), 0))
		}
		addMarks(t, s, old...)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				<-start
				err := s.Update(ctx, func(tx llgate.Tx) error {
					switch i % 3 {
					case 0:
						return tx.AddVelocity(ctx, mark(oidA, "c", kind, fmt.Sprintf("new-%02d", i), 2*time.Hour))
					case 1:
						_, err := tx.TouchVelocity(ctx, mark(oidA, "c", kind, fmt.Sprintf("old-%02d", i), 2*time.Hour), longAgo)
						return err
					default:
						_, err := tx.CountVelocity(ctx, "c", kind, at(time.Hour))
						return err
					}
				})
				if err != nil {
					t.Errorf("writer %d: %v", i, err)
				}
			})
		}
		close(start)
		wg.Wait()
		held := 0
		for _, prefix := range []string{"old", "new"} {
			for i := range writers {
				if seenVelocity(t, s, "c", kind, fmt.Sprintf("%s-%02d", prefix, i), longAgo) {
					held++
				}
			}
		}
		if got := viewCount(t, s, "c", kind, longAgo); got != held {
			t.Errorf("kept number: got %d, want %d (the marks left)", got, held)
		}
		t.Logf("%d marks left", held)
	})

	// Writers race for the last places of a cap as the velocity check
	// does: lock, count, add if under the cap. Half go through one
	// merchant's counter, half through another's, all through one
	// address's: only the address's lock keeps them apart, and without it
	// PostgreSQL's READ COMMITTED lets writers count the same number and
	// pass together. Each round uses fresh counters (the first races to
	// create the count rows).
	t.Run("VelocityCap", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		const (
			limit = 5
			kind  = llgate.VelocityCard
		)
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
						mine = false                                // a rerun starts over
						for _, c := range []string{addr, counter} { // one order everywhere
							if err := tx.LockVelocity(ctx, c, kind); err != nil {
								return err
							}
						}
						n, err := tx.CountVelocity(ctx, addr, kind, at(-time.Hour))
						if err != nil || n >= limit {
							return err
						}
						mine = true
						for _, c := range []string{counter, addr} {
							if err := tx.AddVelocity(ctx, mark(oid, c, kind, fp, 0)); err != nil {
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
			if got := viewCount(t, s, addr, kind, longAgo); got != limit {
				t.Errorf("round %d: marks: got %d, want %d", round, got, limit)
			}
		}
	})
}
