package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/llgate/llgate"
)

// The velocity counters keep their number of marks in velocity_counts, so
// a check reads one row whatever the cap: a counter's old marks are
// deleted (and subtracted) when it is next counted, each once. Every
// change of n is a single atomic UPDATE, and a mark is deleted by one
// transaction only, so n stays the number of mark rows even without
// LockVelocity; the lock only keeps two checks from passing on one count.

// TouchVelocity moves a recent mark to the later of its time and m.At.
func (t *Tx) TouchVelocity(ctx context.Context, m *llgate.VelocityMark, since time.Time) (bool, error) {
	n, err := t.exec(ctx, `UPDATE velocity_marks
		SET marked_at = CASE WHEN marked_at < $4 THEN $4 ELSE marked_at END, oid_partner = $5
		WHERE counter = $1 AND kind = $2 AND fp = $3 AND marked_at >= $6`,
		m.Counter, m.Kind, m.FP, ms(m.At), m.OidPartner, ms(since))
	if err != nil {
		return false, fmt.Errorf("touch velocity %s %s: %w", m.Kind, m.Counter, err)
	}
	return n > 0, nil
}

// VelocitySeen reads what TouchVelocity would find.
func (t *Tx) VelocitySeen(ctx context.Context, counter, kind, fp string, since time.Time) (bool, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM velocity_marks
		WHERE counter = $1 AND kind = $2 AND fp = $3 AND marked_at >= $4`,
		counter, kind, fp, ms(since)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("velocity seen %s %s: %w", kind, counter, err)
	}
	return n > 0, nil
}

// LockVelocity locks the counter's count row, created on first use (see
// lockRow). It is a write: inside View it fails.
func (t *Tx) LockVelocity(ctx context.Context, counter, kind string) error {
	err := t.lockRow(ctx,
		`INSERT INTO velocity_counts (counter, kind, n) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING`,
		`SELECT 1 FROM velocity_counts WHERE counter = $1 AND kind = $2`, counter, kind)
	if err != nil {
		return fmt.Errorf("lock velocity %s %s: %w", kind, counter, err)
	}
	return nil
}

// CountVelocity returns the counter's marks at or after since. Inside
// Update it deletes the older ones and subtracts them; inside View it
// subtracts them without deleting (a read of the old marks, which the next
// counting in Update removes).
func (t *Tx) CountVelocity(ctx context.Context, counter, kind string, since time.Time) (int, error) {
	if !t.writable {
		var n int
		err := t.tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT n FROM velocity_counts WHERE counter = $1 AND kind = $2), 0)
			- (SELECT COUNT(*) FROM velocity_marks WHERE counter = $1 AND kind = $2 AND marked_at < $3)`,
			counter, kind, ms(since)).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("count velocity %s %s: %w", kind, counter, err)
		}
		return n, nil
	}
	old, err := t.exec(ctx, `DELETE FROM velocity_marks WHERE counter = $1 AND kind = $2 AND marked_at < $3`,
		counter, kind, ms(since))
	if err != nil {
		return 0, fmt.Errorf("expire velocity %s %s: %w", kind, counter, err)
	}
	if old > 0 {
		if _, err := t.exec(ctx, `UPDATE velocity_counts SET n = n - $3 WHERE counter = $1 AND kind = $2`,
			counter, kind, old); err != nil {
			return 0, fmt.Errorf("expire velocity %s %s: %w", kind, counter, err)
		}
	}
	var n int
	err = t.tx.QueryRowContext(ctx, `SELECT n FROM velocity_counts WHERE counter = $1 AND kind = $2`,
		counter, kind).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("count velocity %s %s: %w", kind, counter, err)
	}
	return n, nil
}

// AddVelocity inserts a new mark and counts it.
func (t *Tx) AddVelocity(ctx context.Context, m *llgate.VelocityMark) error {
	n, err := t.exec(ctx, `INSERT INTO velocity_marks (counter, kind, fp, oid_partner, marked_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		m.Counter, m.Kind, m.FP, m.OidPartner, ms(m.At))
	if err != nil {
		return fmt.Errorf("add velocity %s %s: %w", m.Kind, m.Counter, err)
	}
	if n == 0 {
		return fmt.Errorf("velocity mark %s %s: %w", m.Kind, m.Counter, llgate.ErrConflict)
	}
	if _, err := t.exec(ctx, `INSERT INTO velocity_counts (counter, kind, n) VALUES ($1, $2, 1)
		ON CONFLICT (counter, kind) DO UPDATE SET n = velocity_counts.n + 1`, m.Counter, m.Kind); err != nil {
		return fmt.Errorf("add velocity %s %s: %w", m.Kind, m.Counter, err)
	}
	return nil
}

// PruneVelocity deletes idle counters: those without a mark since before,
// their count rows and their marks. A counter in use expires its own old
// marks when it is counted. On PostgreSQL a count row some transaction
// holds is passed over (SKIP LOCKED; it goes at a later prune), so the
// prune never waits for a request; a request that waited for a row the
// prune deleted creates it again (lockRow).
func (t *Tx) PruneVelocity(ctx context.Context, before time.Time) (int64, error) {
	type key struct{ counter, kind string }
	idle, err := queryAll(ctx, t, func(s scanner) (key, error) {
		var k key
		return k, s.Scan(&k.counter, &k.kind)
	}, `SELECT c.counter, c.kind FROM velocity_counts c
		WHERE NOT EXISTS (SELECT 1 FROM velocity_marks m
			WHERE m.counter = c.counter AND m.kind = c.kind AND m.marked_at >= $1)`+t.claim(), ms(before))
	if err != nil {
		return 0, fmt.Errorf("prune velocity: %w", err)
	}
	var pruned int64
	for _, k := range idle {
		n, err := t.exec(ctx, `DELETE FROM velocity_marks WHERE counter = $1 AND kind = $2`, k.counter, k.kind)
		if err != nil {
			return 0, fmt.Errorf("prune velocity %s %s: %w", k.kind, k.counter, err)
		}
		pruned += n
		if _, err := t.exec(ctx, `DELETE FROM velocity_counts WHERE counter = $1 AND kind = $2`, k.counter, k.kind); err != nil {
			return 0, fmt.Errorf("prune velocity %s %s: %w", k.kind, k.counter, err)
		}
	}
	return pruned, nil
}

// recountVelocity sets every count to its number of marks, after a reset
// deleted a merchant's marks from counters other merchants share.
func (t *Tx) recountVelocity(ctx context.Context) error {
	_, err := t.exec(ctx, `UPDATE velocity_counts SET n = (SELECT COUNT(*) FROM velocity_marks m
		WHERE m.counter = velocity_counts.counter AND m.kind = velocity_counts.kind)`)
	return err
}
