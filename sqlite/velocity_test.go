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
		for _, c := range []string{"a", "b", "c"} {
			if err := tx.LockVelocity(ctx, c, llgate.VelocityCard); err != nil {
				return err
			}
		}
		for _, m := range []*llgate.VelocityMark{
			{OidPartner: "201408071000001539", Counter: "a", Kind: llgate.VelocityCard, FP: "fp", At: now},
			{OidPartner: "201408071000001539", Counter: "b", Kind: llgate.VelocityCard, FP: "fp", At: now.Add(-2 * time.Hour)},
		} {
			if err := tx.AddVelocity(ctx, m); err != nil {
				return err
			}
		}
		return nil
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
