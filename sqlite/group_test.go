package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/llgate/llgate/sqlite/sqlitetest"

	"github.com/llgate/llgate"
	"github.com/llgate/llgate/sqlite"
)

// Group commit: Updates that arrive while another's closure runs share its
// transaction. These tests hold the first closure until the others are
// queued behind it, so the sharing is certain, not a matter of timing.

// sharedTurn runs first, then each of others in its own goroutine, all in
// one transaction: first waits until every other Update is queued. It
// returns what each Update returned (first's at index 0), a recovered
// panic per Update, and whether a View right after each Update returned
// found the setting "a".
func sharedTurn(t *testing.T, s *sqlite.Store, first func(tx llgate.Tx) error, others ...func(ctx context.Context, tx llgate.Tx) error) (errs []error, panics []any, sawA []bool) {
	t.Helper()
	ctx := t.Context()
	turns0, _ := sqlite.GroupState(s)
	errs, panics, sawA = make([]error, 1+len(others)), make([]any, 1+len(others)), make([]bool, 1+len(others))
	release, running := make(chan struct{}), make(chan struct{})
	done := make(chan int)
	run := func(i int, fn func(tx llgate.Tx) error) {
		defer func() {
			panics[i] = recover()
			done <- i
		}()
		errs[i] = s.Update(ctx, fn)
		s.View(ctx, func(tx llgate.Tx) error {
			_, err := tx.Setting(ctx, "a")
			sawA[i] = err == nil
			return nil
		})
	}
	go run(0, func(tx llgate.Tx) error {
		close(running)
		<-release
		return first(tx)
	})
	<-running
	// One at a time, so they queue, and then run, in order: the writer's
	// mutex wakes its waiters first in, first out.
	for i, fn := range others {
		go run(i+1, func(tx llgate.Tx) error { return fn(ctx, tx) })
		for {
			if _, q := sqlite.GroupState(s); q == int64(i+1) {
				break
			}
			runtime.Gosched()
		}
	}
	close(release)
	for range 1 + len(others) {
		<-done
	}
	if turns, _ := sqlite.GroupState(s); turns != turns0+1 {
		t.Fatalf("%d transactions for %d Updates queued together, want 1", turns-turns0, 1+len(others))
	}
	return errs, panics, sawA
}

func put(ctx context.Context, key string) func(tx llgate.Tx) error {
	return func(tx llgate.Tx) error { return tx.PutSetting(ctx, key, []byte(key)) }
}

// putAs is put as one of sharedTurn's others.
func putAs(key string) func(ctx context.Context, tx llgate.Tx) error {
	return func(ctx context.Context, tx llgate.Tx) error { return put(ctx, key)(tx) }
}

// wantKeys checks which of keys the store holds, written "a=true b=false ".
func wantKeys(t *testing.T, s *sqlite.Store, want string, keys ...string) {
	t.Helper()
	out := ""
	err := s.View(t.Context(), func(tx llgate.Tx) error {
		for _, k := range keys {
			_, err := tx.Setting(t.Context(), k)
			if err != nil && !errors.Is(err, llgate.ErrNotFound) {
				return err
			}
			out += fmt.Sprintf("%s=%t ", k, err == nil)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if out != want {
		t.Errorf("after the shared commit: %s, want %s", out, want)
	}
}

func TestGroupCommit(t *testing.T) {
	t.Run("OneCommitServesAll", func(t *testing.T) {
		t.Parallel()
		s := sqlitetest.Open(t)
		ctx := t.Context()
		errs, _, _ := sharedTurn(t, s, put(ctx, "a"),
			putAs("b"), putAs("c"))
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		wantKeys(t, s, "a=true b=true c=true ", "a", "b", "c")
	})

	t.Run("FailedClosureRollsBackAlone", func(t *testing.T) {
		t.Parallel()
		s := sqlitetest.Open(t)
		ctx := t.Context()
		mine := errors.New("refused")
		var sawA bool
		errs, _, afterA := sharedTurn(t, s, put(ctx, "a"),
			func(ctx context.Context, tx llgate.Tx) error {
				if err := put(ctx, "b")(tx); err != nil {
					return err
				}
				// It sees the turn's earlier write, so its caller must
				// be able to read it once Update returns.
				fresh, err := tx.InsertSetting(ctx, "a", nil)
				sawA = err == nil && !fresh
				return mine
			},
			putAs("c"))
		if !errors.Is(errs[1], mine) || errs[0] != nil || errs[2] != nil {
			t.Fatalf("Update errors %v, want nil, %v, nil", errs, mine)
		}
		if !sawA {
			t.Error("the second closure did not see the first's write")
		}
		if !afterA[1] {
			t.Error("the failed closure's Update returned before the write it saw was committed")
		}
		wantKeys(t, s, "a=true b=false c=true ", "a", "b", "c")
	})

	t.Run("PanicRollsBackAlone", func(t *testing.T) {
		t.Parallel()
		s := sqlitetest.Open(t)
		ctx := t.Context()
		_, panics, _ := sharedTurn(t, s, put(ctx, "a"),
			func(ctx context.Context, tx llgate.Tx) error {
				if err := put(ctx, "b")(tx); err != nil {
					return err
				}
				panic("closure b")
			},
			putAs("c"))
		if panics[1] != "closure b" || panics[0] != nil || panics[2] != nil {
			t.Fatalf("panics %v, want only the second closure's", panics)
		}
		wantKeys(t, s, "a=true b=false c=true ", "a", "b", "c")
	})

	t.Run("CancelledCallerStopsBetweenStatements", func(t *testing.T) {
		t.Parallel()
		s := sqlitetest.Open(t)
		ctx := t.Context()
		cctx, cancel := context.WithCancel(ctx)
		errs, _, _ := sharedTurn(t, s, put(ctx, "a"),
			func(_ context.Context, tx llgate.Tx) error {
				if err := put(cctx, "b")(tx); err != nil {
					return err
				}
				cancel() // as a client that goes away mid-request
				return put(cctx, "b2")(tx)
			},
			putAs("c"))
		if !errors.Is(errs[1], context.Canceled) || errs[0] != nil || errs[2] != nil {
			t.Fatalf("Update errors %v, want nil, context.Canceled, nil", errs)
		}
		wantKeys(t, s, "a=true b=false b2=false c=true ", "a", "b", "b2", "c")
	})

	t.Run("AloneIsOneTransactionEach", func(t *testing.T) {
		t.Parallel()
		s := sqlitetest.Open(t)
		ctx := t.Context()
		turns0, _ := sqlite.GroupState(s)
		for _, k := range []string{"a", "b", "c"} {
			if err := s.Update(ctx, put(ctx, k)); err != nil {
				t.Fatal(err)
			}
		}
		if turns, _ := sqlite.GroupState(s); turns != turns0+3 {
			t.Errorf("%d transactions for 3 Updates one after another, want 3", turns-turns0)
		}
	})
}
