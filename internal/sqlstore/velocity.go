package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/llgate/llgate"
)

// The velocity counters keep their number of marks in velocity_counts, so
// a check reads one row per counter whatever the cap: a counter's old
// marks are deleted (and subtracted) when it is next counted, each once.
// Every change of n is a single atomic UPDATE and a mark is deleted by one
// transaction only, so n stays the number of mark rows even without
// LockVelocity; the lock only keeps two checks from passing on one count.
//
// Each method takes every counter a request counts against at once: one
// statement for them all, which on PostgreSQL is one round trip instead
// of one per counter. The statement texts depend only on how many.

// orTerms is "(p.c1 = $k AND p.c2 = $k+1 ...) OR ..." with one group per
// row of values, parameters from $first, and its arguments. The text
// depends only on the number of rows.
func orTerms(first int, prefix string, cols []string, rows [][]any) (string, []any) {
	var b strings.Builder
	var args []any
	for i, row := range rows {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(")
		for j, c := range cols {
			if j > 0 {
				b.WriteString(" AND ")
			}
			fmt.Fprintf(&b, "%s%s = $%d", prefix, c, first+len(args))
			args = append(args, row[j])
		}
		b.WriteString(")")
	}
	return b.String(), args
}

func markTerms(first int, marks []llgate.VelocityMark) (string, []any) {
	rows := make([][]any, len(marks))
	for i, m := range marks {
		rows[i] = []any{m.Counter, m.Kind, m.FP}
	}
	return orTerms(first, "", []string{"counter", "kind", "fp"}, rows)
}

func keyTerms(first int, prefix string, keys []llgate.VelocityKey) (string, []any) {
	rows := make([][]any, len(keys))
	for i, k := range keys {
		rows[i] = []any{k.Counter, k.Kind}
	}
	return orTerms(first, prefix, []string{"counter", "kind"}, rows)
}

// found maps the rows of q (counter, kind, fp) onto marks.
func (t *Tx) found(ctx context.Context, marks []llgate.VelocityMark, q string, args ...any) ([]bool, error) {
	rows, err := queryAll(ctx, t, func(s scanner) (llgate.VelocityMark, error) {
		var m llgate.VelocityMark
		return m, s.Scan(&m.Counter, &m.Kind, &m.FP)
	}, q, args...)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(marks))
	for _, r := range rows {
		for i, m := range marks {
			if m == r {
				out[i] = true
			}
		}
	}
	return out, nil
}

// TouchVelocity moves the recent marks among marks to the later of their
// time and at.
func (t *Tx) TouchVelocity(ctx context.Context, oid string, at, since time.Time, marks ...llgate.VelocityMark) ([]bool, error) {
	if !t.writable {
		return nil, errReadOnly
	}
	if len(marks) == 0 {
		return nil, nil
	}
	terms, args := markTerms(4, marks)
	out, err := t.found(ctx, marks, `UPDATE velocity_marks
		SET marked_at = CASE WHEN marked_at < $1 THEN $1 ELSE marked_at END, oid_partner = $2
		WHERE marked_at >= $3 AND (`+terms+`)
		RETURNING counter, kind, fp`, append([]any{ms(at), oid, ms(since)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("touch velocity: %w", err)
	}
	return out, nil
}

// VelocitySeen reads what TouchVelocity would find.
func (t *Tx) VelocitySeen(ctx context.Context, since time.Time, marks ...llgate.VelocityMark) ([]bool, error) {
	if len(marks) == 0 {
		return nil, nil
	}
	terms, args := markTerms(2, marks)
	out, err := t.found(ctx, marks, `SELECT counter, kind, fp FROM velocity_marks
		WHERE marked_at >= $1 AND (`+terms+`)`, append([]any{ms(since)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("velocity seen: %w", err)
	}
	return out, nil
}

// LockVelocity deletes the keys' marks older than since, then in one
// upsert subtracts them and locks the count rows, returning the numbers
// left. The upsert locks each row on PostgreSQL (waiting for a holder) in
// the order of its VALUES, and is a write on SQLite, whose single
// immediate writer serializes it. The marks are deleted before the lock:
// each is deleted by one transaction, which subtracts it, so the number
// stays right; the velocity check adds marks only under the lock, with
// times later than since.
// A key without a count row has no marks (AddVelocity creates the row, and
// PruneVelocity deletes both), so its new row starts at 0.
func (t *Tx) LockVelocity(ctx context.Context, since time.Time, keys ...llgate.VelocityKey) ([]int, error) {
	if !t.writable {
		return nil, errReadOnly
	}
	if len(keys) == 0 {
		return nil, nil
	}
	terms, args := keyTerms(2, "", keys)
	gone, err := queryAll(ctx, t, scanKey,
		`DELETE FROM velocity_marks WHERE marked_at < $1 AND (`+terms+`) RETURNING counter, kind`,
		append([]any{ms(since)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("expire velocity: %w", err)
	}
	old := map[llgate.VelocityKey]int{}
	for _, k := range gone {
		old[k]++
	}
	for k, n := range old {
		old[k] = -n
	}
	counts, err := t.addCounts(ctx, keys, old)
	if err != nil {
		return nil, fmt.Errorf("lock velocity: %w", err)
	}
	return inOrder(keys, counts), nil
}

// addCounts adds delta[k] to the number of each key, in one upsert that
// creates missing rows and, on PostgreSQL, locks the rows in the order of
// keys; it returns the new numbers.
func (t *Tx) addCounts(ctx context.Context, keys []llgate.VelocityKey, delta map[llgate.VelocityKey]int) ([]count, error) {
	var rows strings.Builder
	args := make([]any, 0, 3*len(keys))
	for i, k := range keys {
		if i > 0 {
			rows.WriteString(", ")
		}
		fmt.Fprintf(&rows, "($%d, $%d, $%d)", 3*i+1, 3*i+2, 3*i+3)
		args = append(args, k.Counter, k.Kind, delta[k])
	}
	return queryAll(ctx, t, scanCount, `INSERT INTO velocity_counts (counter, kind, n) VALUES `+rows.String()+`
		ON CONFLICT (counter, kind) DO UPDATE SET n = velocity_counts.n + excluded.n
		RETURNING counter, kind, n`, args...)
}

// CountVelocity returns, for each key, its marks at or after since,
// without writing: the older ones are subtracted, not deleted.
func (t *Tx) CountVelocity(ctx context.Context, since time.Time, keys ...llgate.VelocityKey) ([]int, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	terms, args := keyTerms(2, "c.", keys)
	counts, err := queryAll(ctx, t, scanCount, `SELECT c.counter, c.kind, c.n - (SELECT COUNT(*) FROM velocity_marks m
			WHERE m.counter = c.counter AND m.kind = c.kind AND m.marked_at < $1)
		FROM velocity_counts c WHERE `+terms, append([]any{ms(since)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("count velocity: %w", err)
	}
	return inOrder(keys, counts), nil
}

type count struct {
	key llgate.VelocityKey
	n   int
}

func scanCount(s scanner) (count, error) {
	var c count
	return c, s.Scan(&c.key.Counter, &c.key.Kind, &c.n)
}

func scanKey(s scanner) (llgate.VelocityKey, error) {
	var k llgate.VelocityKey
	return k, s.Scan(&k.Counter, &k.Kind)
}

// inOrder returns the numbers of keys, 0 for a key without a row.
func inOrder(keys []llgate.VelocityKey, counts []count) []int {
	out := make([]int, len(keys))
	for _, c := range counts {
		for i, k := range keys {
			if k == c.key {
				out[i] = c.n
			}
		}
	}
	return out
}

// AddVelocity inserts the marks the counters do not hold and counts them,
// in two statements, and reports which it inserted.
func (t *Tx) AddVelocity(ctx context.Context, oid string, at time.Time, marks ...llgate.VelocityMark) ([]bool, error) {
	if !t.writable {
		return nil, errReadOnly
	}
	if len(marks) == 0 {
		return nil, nil
	}
	var rows strings.Builder
	args := []any{oid, ms(at)}
	for i, m := range marks {
		if i > 0 {
			rows.WriteString(", ")
		}
		fmt.Fprintf(&rows, "($%d, $%d, $%d, $1, $2)", 3*i+3, 3*i+4, 3*i+5)
		args = append(args, m.Counter, m.Kind, m.FP)
	}
	added, err := t.found(ctx, marks, `INSERT INTO velocity_marks (counter, kind, fp, oid_partner, marked_at)
		VALUES `+rows.String()+` ON CONFLICT DO NOTHING RETURNING counter, kind, fp`, args...)
	if err != nil {
		return nil, fmt.Errorf("add velocity: %w", err)
	}
	n := map[llgate.VelocityKey]int{}
	var keys []llgate.VelocityKey // in the caller's order, each once
	for i, m := range marks {
		if !added[i] {
			continue
		}
		if n[m.VelocityKey]++; n[m.VelocityKey] == 1 {
			keys = append(keys, m.VelocityKey)
		}
	}
	if len(keys) == 0 {
		return added, nil
	}
	if _, err := t.addCounts(ctx, keys, n); err != nil {
		return nil, fmt.Errorf("add velocity: %w", err)
	}
	return added, nil
}

// PruneVelocity deletes idle counters: those without a mark since before,
// their count rows and their marks, and returns how many counters (and
// kinds) went. A counter in use expires its own old marks when it is
// locked. On PostgreSQL a count row some transaction holds is passed over
// (SKIP LOCKED; it goes at a later prune), so the prune never waits for a
// request.
func (t *Tx) PruneVelocity(ctx context.Context, before time.Time) (int64, error) {
	idle, err := queryAll(ctx, t, scanKey, `SELECT c.counter, c.kind FROM velocity_counts c
		WHERE NOT EXISTS (SELECT 1 FROM velocity_marks m
			WHERE m.counter = c.counter AND m.kind = c.kind AND m.marked_at >= $1)`+t.claim(), ms(before))
	if err != nil {
		return 0, fmt.Errorf("prune velocity: %w", err)
	}
	for _, k := range idle {
		for _, table := range []string{"velocity_marks", "velocity_counts"} {
			if _, err := t.exec(ctx, `DELETE FROM `+table+` WHERE counter = $1 AND kind = $2`, k.Counter, k.Kind); err != nil {
				return 0, fmt.Errorf("prune velocity %s %s: %w", k.Kind, k.Counter, err)
			}
		}
	}
	return int64(len(idle)), nil
}

// recountVelocity sets every count to its number of marks, after a reset
// deleted a merchant's marks from counters other merchants share.
func (t *Tx) recountVelocity(ctx context.Context) error {
	_, err := t.exec(ctx, `UPDATE velocity_counts SET n = (SELECT COUNT(*) FROM velocity_marks m
		WHERE m.counter = velocity_counts.counter AND m.kind = velocity_counts.kind)`)
	return err
}
