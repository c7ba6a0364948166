package postgres_test

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/llgate/llgate/postgres/pgtest"

	"github.com/llgate/llgate"
	"github.com/llgate/llgate/postgres"
	"github.com/llgate/llgate/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) llgate.Store { return pgtest.Open(tb) })
}

// BenchmarkUpdate measures one durable single-row commit.
func BenchmarkUpdate(b *testing.B) {
	s := pgtest.Open(b)
	ctx := b.Context()
	i := 0
	for b.Loop() {
		i++
		err := s.Update(ctx, func(tx llgate.Tx) error {
			return tx.PutSetting(ctx, "bench", []byte(strconv.Itoa(i)))
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// Replicas starting together must not both migrate: the advisory lock makes
// the second wait and then find the schema up to date.
func TestOpenConcurrently(t *testing.T) {
	url := pgtest.URL(t)
	const n = 4
	errs := make(chan error, n)
	stores := make(chan *postgres.Store, n)
	for range n {
		go func() {
			s, err := postgres.Open(t.Context(), url)
			if err == nil {
				stores <- s
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("Open: %v", err)
		}
	}
	close(stores)
	for s := range stores {
		// Every store works on the one schema.
		err := s.Update(t.Context(), func(tx llgate.Tx) error {
			return tx.PutSetting(t.Context(), "k", []byte("v"))
		})
		if err != nil {
			t.Errorf("Update: %v", err)
		}
		s.Close()
	}
}

// Two closures that lock two rows in opposite orders deadlock; PostgreSQL
// aborts one (40P01) and Update runs it again, so both succeed.
func TestUpdateRetriesDeadlock(t *testing.T) {
	s := pgtest.Open(t)
	ctx := t.Context()
	const oidA, oidB = "201408071000001539", "201408071000001540"
	err := s.Update(ctx, func(tx llgate.Tx) error {
		for _, oid := range []string{oidA, oidB} {
			if err := tx.InsertMerchant(ctx, &llgate.Merchant{OidPartner: oid, Name: oid}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	var (
		bothLocked sync.WaitGroup
		runs       atomic.Int32
	)
	bothLocked.Add(2)
	rename := func(first, second string) error {
		var once sync.Once
		return s.Update(ctx, func(tx llgate.Tx) error {
			runs.Add(1)
			if _, err := tx.Merchant(ctx, first); err != nil {
				return err
			}
			// Only the first run waits for the other to hold its lock.
			once.Do(func() { bothLocked.Done(); bothLocked.Wait() })
			m, err := tx.Merchant(ctx, second)
			if err != nil {
				t.Logf("lock %s after %s: %v", second, first, err)
				return err
			}
			m.Name += "+"
			return tx.UpdateMerchant(ctx, m)
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- rename(oidA, oidB) }()
	go func() { errs <- rename(oidB, oidA) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("Update: %v", err)
		}
	}
	// At least one rerun; the rerun may deadlock again, which only adds
	// runs.
	if got, want := runs.Load(), int32(3); got < want {
		t.Errorf("closure runs: got %d, want at least %d", got, want)
	}
	err = s.View(ctx, func(tx llgate.Tx) error {
		for _, oid := range []string{oidA, oidB} {
			m, err := tx.Merchant(ctx, oid)
			if err != nil {
				return err
			}
			if got, want := m.Name, oid+"+"; got != want {
				t.Errorf("name: got %q, want %q", got, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
