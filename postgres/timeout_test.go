package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/llgate/llgate/postgres/pgtest"

	"github.com/llgate/llgate"
	"github.com/llgate/llgate/internal/blackhole"
	"github.com/llgate/llgate/internal/sqlstore"
	"github.com/llgate/llgate/postgres"
)

// throughProxy opens a store on a fresh schema through a proxy that can
// stop forwarding; it also returns the schema's direct URL.
func throughProxy(t *testing.T, timeout time.Duration) (*postgres.Store, *blackhole.Proxy, string) {
	t.Helper()
	direct := pgtest.URL(t)
	px, proxied := blackhole.StartURL(t, direct)
	s, err := postgres.OpenWith(t.Context(), proxied, postgres.Options{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, px, direct
}

func put(ctx context.Context, s llgate.Store, v string) error {
	return s.Update(ctx, func(tx llgate.Tx) error { return tx.PutSetting(ctx, "k", []byte(v)) })
}

// A database whose packets are dropped costs each call the store's timeout,
// then an error that says so; once packets flow again, calls succeed with
// no restart.
func TestTimeoutBoundsEveryCall(t *testing.T) {
	const timeout = time.Second
	// Generous for a loaded machine, and far below an unbounded wait.
	const bound = timeout + 2*time.Second
	s, px, _ := throughProxy(t, timeout)
	ctx := t.Context()
	if err := put(ctx, s, "before"); err != nil {
		t.Fatal(err)
	}

	px.Block()
	fails := func(t *testing.T, bound time.Duration, call func() error) error {
		t.Helper()
		start := time.Now()
		errc := make(chan error, 1)
		go func() { errc <- call() }()
		var err error
		select {
		case err = <-errc:
		case <-time.After(bound + 10*time.Second):
			// The proxy's cleanup closes the connection it hangs on.
			t.Fatalf("still waiting after %s", time.Since(start))
		}
		took := time.Since(start)
		if err == nil {
			t.Fatal("succeeded through a blocked network")
		}
		if took > bound {
			t.Errorf("failed after %s, want within %s: %v", took, bound, err)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err %v: want it to wrap context.DeadlineExceeded", err)
		}
		return err
	}
	storeTimeout := func(t *testing.T, call func() error) {
		t.Helper()
		if err := fails(t, bound, call); !errors.Is(err, sqlstore.ErrTimeout) {
			t.Errorf("err %v: want it to wrap sqlstore.ErrTimeout", err)
		}
	}
	t.Run("View", func(t *testing.T) {
		storeTimeout(t, func() error {
			return s.View(ctx, func(tx llgate.Tx) error { _, err := tx.Setting(ctx, "k"); return err })
		})
	})
	t.Run("Update", func(t *testing.T) {
		storeTimeout(t, func() error { return put(ctx, s, "during") })
	})
	t.Run("Ping", func(t *testing.T) {
		storeTimeout(t, func() error { return s.Ping(ctx) })
	})
	t.Run("CallerDeadline", func(t *testing.T) {
		// An earlier deadline of the caller's wins, and is not called the
		// store's.
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		err := fails(t, timeout, func() error { return s.Ping(short) })
		if errors.Is(err, sqlstore.ErrTimeout) {
			t.Errorf("err %v: the caller's deadline ended it, not the store's", err)
		}
	})

	// Blocked in the middle of a transaction: the statements of a closure
	// run under the store's deadline whatever context they are given.
	inside := func(t *testing.T, stmt context.Context) {
		px.Forward()
		storeTimeout(t, func() error {
			return s.Update(ctx, func(tx llgate.Tx) error {
				if _, err := tx.Setting(stmt, "k"); err != nil {
					return err
				}
				px.Block()
				return tx.PutSetting(stmt, "k", []byte("during"))
			})
		})
	}
	t.Run("InsideTransaction", func(t *testing.T) { inside(t, ctx) })
	t.Run("InsideTransactionOtherContext", func(t *testing.T) {
		inside(t, context.WithValue(ctx, otherKey{}, "a context the store did not bound"))
	})

	px.Forward()
	recovered(t, s, 10*time.Second)
}

type otherKey struct{}

// recovered waits until an Update succeeds, at most within.
func recovered(t *testing.T, s llgate.Store, within time.Duration) {
	t.Helper()
	start := time.Now()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for ; ; <-poll.C {
		err := put(t.Context(), s, "after")
		if err == nil {
			t.Logf("recovered %s after the network forwarded again", time.Since(start).Round(time.Millisecond))
			return
		}
		t.Logf("after %s: %v", time.Since(start).Round(time.Millisecond), err)
		if time.Since(start) > within {
			t.Fatalf("no recovery within %s: %v", within, err)
		}
	}
}

// A client that vanishes inside a transaction leaves its session idle in
// that transaction, holding the rows it locked: idle_in_transaction_
// session_timeout makes the server end the session and free them, so
// another replica's write goes through instead of waiting for ever.
func TestVanishedClientFreesItsLocks(t *testing.T) {
	const timeout = time.Second
	a, px, direct := throughProxy(t, timeout)
	b, err := postgres.OpenWith(t.Context(), direct, postgres.Options{Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := t.Context()
	if err := put(ctx, b, "b"); err != nil {
		t.Fatal(err)
	}

	err = a.Update(ctx, func(tx llgate.Tx) error {
		if _, err := tx.Setting(ctx, "k"); err != nil { // locks the row
			return err
		}
		px.Block()
		_, err := tx.Setting(ctx, "k") // never reaches the server
		return err
	})
	if !errors.Is(err, sqlstore.ErrTimeout) {
		t.Fatalf("a's Update: %v, want a timeout", err)
	}

	start := time.Now()
	if err := put(ctx, b, "b again"); err != nil {
		t.Fatalf("b's Update waited %s for a's lock: %v", time.Since(start), err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("b's Update waited %s for a's lock, want it freed within about %s", took, timeout)
	}
}
