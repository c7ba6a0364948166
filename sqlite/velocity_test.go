package sqlite

import (
	"slices"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// The count rows cannot be seen through llgate.Tx, so this reads the
// table: PruneVelocity drops those of idle counters.
func TestPruneVelocityCounts(t *testing.T) {
	s := MustOpenTest(t)
	ctx := t.Context()
	now := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	update := func(fn func(tx llgate.Tx) error) {
		t.Helper()
		if err := s.Update(ctx, fn); err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	counts := func() []string {
		t.Helper()
		rows, err := s.read.QueryContext(ctx, `SELECT counter FROM velocity_counts ORDER BY counter`)
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
	update(func(tx llgate.Tx) error {
		if _, err := tx.LockVelocity(ctx, now.Add(-3*time.Hour), key("a"), key("b"), key("c")); err != nil {
			return err
		}
		if _, err := tx.AddVelocity(ctx, "201408071000001539", now, llgate.VelocityMark{VelocityKey: key("a"), FP: "fp"}); err != nil {
			return err
		}
		_, err := tx.AddVelocity(ctx, "201408071000001539", now.Add(-2*time.Hour), llgate.VelocityMark{VelocityKey: key("b"), FP: "fp"})
		return err
	})
	if got, want := counts(), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Fatalf("after LockVelocity: got %v, want %v", got, want)
	}
	update(func(tx llgate.Tx) error {
		_, err := tx.PruneVelocity(ctx, now.Add(-time.Hour))
		return err
	})
	if got, want := counts(), []string{"a"}; !slices.Equal(got, want) {
		t.Fatalf("after PruneVelocity: got %v, want %v (b's only mark is old, c has none)", got, want)
	}
}

func key(counter string) llgate.VelocityKey {
	return llgate.VelocityKey{Counter: counter, Kind: llgate.VelocityCard}
}
