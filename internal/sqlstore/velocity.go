package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/llgate/llgate"
)

// VelocityCount counts the distinct fingerprints of kind the counter marked
// at or after since and says whether fp is among them, in one pass over
// the counter's marks of the window (the velocity_marks_count index,
// covering). The marks are one row per fingerprint and merchant, so the
// pass reads at most the cap's worth of rows per merchant that used the
// counter. It takes no lock (PostgreSQL refuses FOR UPDATE next to an
// aggregate): callers that check a cap hold LockVelocity.
func (t *Tx) VelocityCount(ctx context.Context, counter, kind, fp string, since time.Time) (int, bool, error) {
	var n, seen int
	err := t.tx.QueryRowContext(ctx, `SELECT COUNT(DISTINCT fp), COALESCE(MAX(CASE WHEN fp = $3 THEN 1 ELSE 0 END), 0)
		FROM velocity_marks WHERE counter = $1 AND kind = $2 AND marked_at >= $4`,
		counter, kind, fp, ms(since)).Scan(&n, &seen)
	if err != nil {
		return 0, false, fmt.Errorf("count velocity %s %s: %w", kind, counter, err)
	}
	return n, seen == 1, nil
}

// MarkVelocity inserts the mark, or moves an existing one of the same
// counter, kind, fingerprint and merchant to the later of the two times.
func (t *Tx) MarkVelocity(ctx context.Context, m *llgate.VelocityMark) error {
	_, err := t.exec(ctx, `INSERT INTO velocity_marks (counter, kind, fp, oid_partner, marked_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (counter, kind, fp, oid_partner) DO UPDATE SET marked_at = excluded.marked_at
			WHERE excluded.marked_at > velocity_marks.marked_at`,
		m.Counter, m.Kind, m.FP, m.OidPartner, ms(m.At))
	if err != nil {
		return fmt.Errorf("mark velocity %s %s: %w", m.Kind, m.Counter, err)
	}
	return nil
}

// LockVelocity locks each counter's row of velocity_locks in the order
// given (see lockRow). It is a write: inside View it fails.
func (t *Tx) LockVelocity(ctx context.Context, counters ...string) error {
	for _, c := range counters {
		err := t.lockRow(ctx,
			`INSERT INTO velocity_locks (counter) VALUES ($1) ON CONFLICT DO NOTHING`,
			`SELECT 1 FROM velocity_locks WHERE counter = $1`, c)
		if err != nil {
			return fmt.Errorf("lock velocity %s: %w", c, err)
		}
	}
	return nil
}

// PruneVelocity deletes the marks older than before, then the lock rows of
// counters left without marks. On PostgreSQL a lock row some transaction
// holds is skipped rather than waited for (SKIP LOCKED; it goes at a later
// prune), so a request never waits for a prune that waits for it. A lock
// row deleted under a request that wanted it is simply created again
// (lockRow). Returns how many marks it deleted.
func (t *Tx) PruneVelocity(ctx context.Context, before time.Time) (int64, error) {
	n, err := t.exec(ctx, `DELETE FROM velocity_marks WHERE marked_at < $1`, ms(before))
	if err != nil {
		return 0, fmt.Errorf("prune velocity marks: %w", err)
	}
	_, err = t.exec(ctx, `DELETE FROM velocity_locks WHERE counter IN (
		SELECT l.counter FROM velocity_locks l
		WHERE NOT EXISTS (SELECT 1 FROM velocity_marks m WHERE m.counter = l.counter)`+t.claim()+`)`)
	if err != nil {
		return 0, fmt.Errorf("prune velocity locks: %w", err)
	}
	return n, nil
}
