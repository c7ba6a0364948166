package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/llgate/llgate"
	"github.com/llgate/llgate/postgres/pgtest"
)

// PruneVelocity passes over a counter another transaction holds instead of
// waiting for it (SQLite's single writer cannot show this: the prune
// waits for the holder there, as every writer does).
func TestPruneVelocitySkipsLocked(t *testing.T) {
	s := pgtest.Open(t)
	ctx := t.Context()
	now := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	held := llgate.VelocityKey{Counter: "held", Kind: llgate.VelocityCard}
	lock := func(tx llgate.Tx) error {
		_, err := tx.LockVelocity(ctx, now, held)
		return err
	}
	prune := func(ctx context.Context) (n int64, err error) {
		err = s.Update(ctx, func(tx llgate.Tx) (err error) {
			n, err = tx.PruneVelocity(ctx, now)
			return err
		})
		return n, err
	}
	if err := s.Update(ctx, lock); err != nil { // an idle counter
		t.Fatal(err)
	}

	holding, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s.Update(ctx, func(tx llgate.Tx) error {
			if err := lock(tx); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	n, err := prune(pctx)
	cancel()
	close(release)
	if err != nil {
		t.Fatalf("prune while the counter is held: %v (it waited instead of passing over it)", err)
	}
	if n != 0 {
		t.Fatalf("prune while the counter is held: pruned %d, want 0", n)
	}
	if err := <-done; err != nil {
		t.Fatalf("holder: %v", err)
	}
	if n, err := prune(ctx); err != nil || n != 1 {
		t.Fatalf("prune after the holder committed: %d, %v; want 1, nil", n, err)
	}
}
