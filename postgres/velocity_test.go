package postgres

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// The count rows cannot be seen through llgate.Tx, so this reads the
// table: PruneVelocity drops those of idle counters, and passes over one
// another transaction holds instead of waiting for it.
func TestPruneVelocityCounts(t *testing.T) {
	url := TestURL(t)
	ctx := t.Context()
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	now := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	counts := func() []string {
		t.Helper()
		rows, err := raw.QueryContext(ctx, `SELECT counter FROM velocity_counts ORDER BY counter`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
		return out
	}
	prune := func(ctx context.Context) error {
		return s.Update(ctx, func(tx llgate.Tx) error {
			_, err := tx.PruneVelocity(ctx, now.Add(-time.Hour))
			return err
		})
	}

	err = s.Update(ctx, func(tx llgate.Tx) error {
		if _, err := tx.LockVelocity(ctx, now.Add(-time.Hour), key("a"), key("b"), key("held")); err != nil {
			return err
		}
		_, err := tx.AddVelocity(ctx, "201408071000001539", now, llgate.VelocityMark{VelocityKey: key("a"), FP: "fp"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// A transaction holds "held" while the prune runs.
	holding, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s.Update(ctx, func(tx llgate.Tx) error {
			if _, err := tx.LockVelocity(ctx, now.Add(-time.Hour), key("held")); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err = prune(pctx)
	cancel()
	close(release)
	if err != nil {
		t.Fatalf("prune while a count row is held: %v (it waited instead of passing over it)", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("holder: %v", err)
	}
	if got, want := counts(), []string{"a", "held"}; !slices.Equal(got, want) {
		t.Fatalf("after a prune with held locked: got %v, want %v", got, want)
	}
	if err := prune(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := counts(), []string{"a"}; !slices.Equal(got, want) {
		t.Fatalf("after a second prune: got %v, want %v", got, want)
	}
}

func key(counter string) llgate.VelocityKey {
	return llgate.VelocityKey{Counter: counter, Kind: llgate.VelocityCard}
}
