package storetest

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

func vkey(counter, kind string) llgate.VelocityKey {
	return llgate.VelocityKey{Counter: counter, Kind: kind}
}

func vmark(counter, kind, fp string) llgate.VelocityMark {
	return llgate.VelocityMark{VelocityKey: vkey(counter, kind), FP: fp}
}

// addMarks adds marks by oid at t0+d in one transaction.
func addMarks(t *testing.T, s llgate.Store, oid string, d time.Duration, marks ...llgate.VelocityMark) {
	t.Helper()
	update(t, s, func(tx llgate.Tx) error {
		_, err := tx.AddVelocity(t.Context(), oid, at(d), marks...)
		return err
	})
}

// viewCount reads CountVelocity of one key in a View, which deletes nothing.
func viewCount(t *testing.T, s llgate.Store, counter, kind string, since time.Time) int {
	t.Helper()
	var n []int
	view(t, s, func(tx llgate.Tx) (err error) {
		n, err = tx.CountVelocity(t.Context(), since, vkey(counter, kind))
		return err
	})
	return n[0]
}

func seenVelocity(t *testing.T, s llgate.Store, counter, kind, fp string, since time.Time) bool {
	t.Helper()
	var seen []bool
	view(t, s, func(tx llgate.Tx) (err error) {
		seen, err = tx.VelocitySeen(t.Context(), since, vmark(counter, kind, fp))
		return err
	})
	return seen[0]
}

// long ago: every mark is at or after it.
var longAgo = at(-365 * 24 * time.Hour)

func testVelocity(t *testing.T, open Opener) {
	const phone, card = llgate.VelocityPhone, llgate.VelocityCard
	t.Run("Count", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		addMarks(t, s, oidA, 0, vmark("m:A", phone, "fp-1"))
		addMarks(t, s, oidA, time.Minute, vmark("m:A", phone, "fp-2"))
		// Several counters and kinds in one call; the same fingerprint in
		// each is a mark of its own.
		addMarks(t, s, oidB, time.Hour, vmark("m:A", phone, "fp-3"), vmark("m:A", card, "fp-1"), vmark("m:B", phone, "fp-1"))
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
		// One answer per key, in order.
		var counts []int
		view(t, s, func(tx llgate.Tx) (err error) {
			counts, err = tx.CountVelocity(ctx, longAgo, vkey("m:C", phone), vkey("m:B", phone), vkey("m:A", phone), vkey("m:A", card))
			return err
		})
		if want := []int{0, 1, 3, 1}; !slices.Equal(counts, want) {
			t.Errorf("CountVelocity of four keys: got %v, want %v", counts, want)
		}
		var seen []bool
		view(t, s, func(tx llgate.Tx) (err error) {
			seen, err = tx.VelocitySeen(ctx, at(time.Minute),
				vmark("m:A", phone, "fp-1"), vmark("m:A", phone, "fp-2"), vmark("m:A", phone, "fp-9"),
				vmark("m:C", phone, "fp-1"), vmark("m:B", phone, "fp-1"), vmark("m:B", card, "fp-1"))
			return err
		})
		if want := []bool{false, true, false, false, true, false}; !slices.Equal(seen, want) {
			t.Errorf("VelocitySeen since 1m: got %v, want %v", seen, want)
		}

		// LockVelocity deletes the older marks for good, and counts the
		// rest (a key without marks too).
		update(t, s, func(tx llgate.Tx) (err error) {
			counts, err = tx.LockVelocity(ctx, at(time.Millisecond), vkey("m:A", phone), vkey("m:B", phone), vkey("m:C", phone))
			return err
		})
		if want := []int{2, 1, 0}; !slices.Equal(counts, want) {
			t.Errorf("LockVelocity: got %v, want %v", counts, want)
		}
		if got := viewCount(t, s, "m:A", phone, longAgo); got != 2 {
			t.Errorf("after LockVelocity: got %d marks, want 2 (fp-1 expired)", got)
		}
		if seenVelocity(t, s, "m:A", phone, "fp-1", longAgo) {
			t.Error("fp-1 after it expired: still held")
		}
		if got := viewCount(t, s, "m:A", card, longAgo); got != 1 {
			t.Errorf("the other kind after counting: got %d, want 1", got)
		}
	})

	// A mark the counter holds is neither added nor counted again.
	t.Run("AddHeld", func(t *testing.T) {
		s := parallel(t, open)
		addMarks(t, s, oidA, 0, vmark("m:A", phone, "fp-1"))
		var added []bool
		update(t, s, func(tx llgate.Tx) (err error) {
			added, err = tx.AddVelocity(t.Context(), oidB, at(time.Hour), vmark("m:A", phone, "fp-2"), vmark("m:A", phone, "fp-1"))
			return err
		})
		if want := []bool{true, false}; !slices.Equal(added, want) {
			t.Fatalf("AddVelocity of a new and a held mark: got %v, want %v", added, want)
		}
		if got := viewCount(t, s, "m:A", phone, longAgo); got != 2 {
			t.Fatalf("count: got %d, want 2", got)
		}
		if seenVelocity(t, s, "m:A", phone, "fp-1", at(time.Millisecond)) {
			t.Fatal("the held mark moved: AddVelocity must leave it")
		}
	})

	// A mark moves to the later time, never back, and only while it is
	// recent; the merchant that touched it last owns it (Reset).
	t.Run("Touch", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		addMarks(t, s, oidA, 0, vmark("m:A", phone, "fp-1"), vmark("m:A", card, "fp-1"))
		touch := func(oid string, d, since time.Duration, marks ...llgate.VelocityMark) []bool {
			t.Helper()
			var found []bool
			update(t, s, func(tx llgate.Tx) (err error) {
				found, err = tx.TouchVelocity(ctx, oid, at(d), at(since), marks...)
				return err
			})
			return found
		}
		got := touch(oidB, time.Hour, 0, vmark("m:A", phone, "fp-2"), vmark("m:A", phone, "fp-1"), vmark("m:B", phone, "fp-1"))
		if want := []bool{false, true, false}; !slices.Equal(got, want) {
			t.Fatalf("touch: got %v, want %v", got, want)
		}
		if got := touch(oidB, 30*time.Minute, 0, vmark("m:A", phone, "fp-1")); !got[0] {
			t.Fatal("touch with an earlier time: got false")
		}
		if !seenVelocity(t, s, "m:A", phone, "fp-1", at(time.Hour)) {
			t.Fatal("after touches at 1h and then 30m: want the mark at 1h")
		}
		if got := touch(oidB, 3*time.Hour, time.Hour+time.Millisecond, vmark("m:A", phone, "fp-1")); got[0] {
			t.Fatal("touch of a mark older than since: got true")
		}
		if seenVelocity(t, s, "m:A", phone, "fp-1", at(time.Hour+time.Millisecond)) {
			t.Fatal("a refused touch moved the mark")
		}
		if got := viewCount(t, s, "m:A", phone, longAgo); got != 1 {
			t.Fatalf("count after touches: got %d, want 1", got)
		}
		update(t, s, func(tx llgate.Tx) error { return tx.Reset(ctx, oidA) })
		if got := viewCount(t, s, "m:A", phone, longAgo); got != 1 {
			t.Fatalf("after a reset of the merchant that made it: got %d, want 1 (oidB touched it last)", got)
		}
		if got := viewCount(t, s, "m:A", card, longAgo); got != 0 {
			t.Fatalf("the card mark oidA made, after its reset: got %d, want 0", got)
		}
		update(t, s, func(tx llgate.Tx) error { return tx.Reset(ctx, oidB) })
		if got := viewCount(t, s, "m:A", phone, longAgo); got != 0 {
			t.Fatalf("after a reset of the merchant that touched it last: got %d, want 0", got)
		}
	})

	t.Run("Prune", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		addMarks(t, s, oidA, 0, vmark("idle", phone, "fp-1"), vmark("busy", phone, "fp-1"))
		addMarks(t, s, oidA, time.Second, vmark("idle", phone, "fp-2"))
		addMarks(t, s, oidA, time.Hour, vmark("idle", card, "fp-1")) // idle's cards are in use
		addMarks(t, s, oidA, 2*time.Hour, vmark("busy", phone, "fp-2"))
		update(t, s, func(tx llgate.Tx) error { // a counter locked but never marked
			_, err := tx.LockVelocity(ctx, longAgo, vkey("empty", phone))
			return err
		})
		prune := func() int64 {
			t.Helper()
			var n int64
			update(t, s, func(tx llgate.Tx) (err error) {
				n, err = tx.PruneVelocity(ctx, at(time.Hour))
				return err
			})
			return n
		}
		if got := prune(); got != 2 {
			t.Errorf("pruned: got %d counters, want 2 (idle's phones, empty)", got)
		}
		if got := prune(); got != 0 {
			t.Errorf("pruned again: got %d counters, want 0", got)
		}
		for _, tt := range []struct {
			counter, kind string
			want          int
		}{{"idle", phone, 0}, {"busy", phone, 2}, {"idle", card, 1}} {
			if got := viewCount(t, s, tt.counter, tt.kind, longAgo); got != tt.want {
				t.Errorf("%s %s after prune: got %d, want %d", tt.counter, tt.kind, got, tt.want)
			}
		}
		if seenVelocity(t, s, "idle", phone, "fp-2", longAgo) {
			t.Error("a mark of a pruned counter is still held")
		}
		// A pruned counter counts again from nothing.
		update(t, s, func(tx llgate.Tx) error {
			if _, err := tx.LockVelocity(ctx, at(2*time.Hour), vkey("idle", phone)); err != nil {
				return err
			}
			_, err := tx.AddVelocity(ctx, oidA, at(3*time.Hour), vmark("idle", phone, "fp-1"))
			return err
		})
		if got := viewCount(t, s, "idle", phone, longAgo); got != 1 {
			t.Errorf("idle after a new mark: got %d, want 1", got)
		}
	})

	t.Run("ErrReadOnly", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		for name, fn := range map[string]func(tx llgate.Tx) error{
			"LockVelocity": func(tx llgate.Tx) error {
				_, err := tx.LockVelocity(ctx, longAgo, vkey("m:A", phone))
				return err
			},
			"AddVelocity": func(tx llgate.Tx) error {
				_, err := tx.AddVelocity(ctx, oidA, at(0), vmark("m:A", phone, "fp"))
				return err
			},
			"TouchVelocity": func(tx llgate.Tx) error {
				_, err := tx.TouchVelocity(ctx, oidA, at(0), longAgo, vmark("m:A", phone, "fp"))
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
	// Marks added (one of them by several writers), touched and expired
	// at once, without holding LockVelocity while adding: the kept number
	// ends equal to the marks left.
	t.Run("VelocityCount", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		const kind = llgate.VelocityCard
		var old []llgate.VelocityMark
		for i := range writers {
			old = append(old, vmark("c", kind, fmt.Sprintf("old-%02d", i)))
		}
		addMarks(t, s, oidA, 0, old...)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				<-start
				err := s.Update(ctx, func(tx llgate.Tx) error {
					var err error
					switch i % 4 {
					case 0:
						_, err = tx.AddVelocity(ctx, oidA, at(2*time.Hour), vmark("c", kind, fmt.Sprintf("new-%02d", i)))
					case 1:
						_, err = tx.TouchVelocity(ctx, oidA, at(2*time.Hour), longAgo, vmark("c", kind, fmt.Sprintf("old-%02d", i)))
					case 2:
						_, err = tx.LockVelocity(ctx, at(time.Hour), vkey("c", kind))
					default: // a mark another writer adds too
						_, err = tx.AddVelocity(ctx, oidA, at(2*time.Hour), vmark("c", kind, "new-00"))
					}
					return err
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
						mine = false // a rerun starts over
						// One order everywhere: the address first.
						n, err := tx.LockVelocity(ctx, at(-time.Hour), vkey(addr, kind), vkey(counter, kind))
						if err != nil || n[0] >= limit {
							return err
						}
						mine = true
						_, err = tx.AddVelocity(ctx, oid, at(0), vmark(counter, kind, fp), vmark(addr, kind, fp))
						return err
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
