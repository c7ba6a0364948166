package sqlite

import (
	"testing"

	"github.com/llgate/llgate"
)

// The rows LockPerson creates cannot be seen through llgate.Tx, so this
// counts them in the table: Reset deletes them with the merchant's data.
func TestResetPersonLocks(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	const oidA, oidB = "201408071000001539", "201408071000001540"
	update := func(fn func(tx llgate.Tx) error) {
		t.Helper()
		if err := s.Update(ctx, fn); err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	count := func(oid string) int {
		t.Helper()
		var n int
		if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM person_locks WHERE oid_partner = $1`, oid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	update(func(tx llgate.Tx) error {
		for _, oid := range []string{oidA, oidB} {
			for _, p := range []string{"person-1", "person-2", "person-1"} {
				if err := tx.LockPerson(ctx, oid, p); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if a, b := count(oidA), count(oidB); a != 2 || b != 2 {
		t.Fatalf("after LockPerson: got %d and %d rows, want 2 and 2", a, b)
	}
	update(func(tx llgate.Tx) error { return tx.Reset(ctx, oidA) })
	if a, b := count(oidA), count(oidB); a != 0 || b != 2 {
		t.Fatalf("after Reset(oidA): got %d and %d rows, want 0 and 2", a, b)
	}
	update(func(tx llgate.Tx) error { return tx.Reset(ctx, "") })
	if a, b := count(oidA), count(oidB); a != 0 || b != 0 {
		t.Fatalf("after Reset(\"\"): got %d and %d rows, want 0 and 0", a, b)
	}
}
