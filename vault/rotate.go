package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/llgate/llgate"
)

// SettingRotation is the setting that holds an unfinished rotation: when its
// new keys were added and how far its current pass got. Rotation clears it
// at the end; while it is set, a new Rotation resumes instead of adding keys.
const SettingRotation = "rotation_cursor"

// Rotation gives every owner a new data key and re-seals every value sealed
// with an older one. What is left to do is just the values still on old
// versions, so a rotation that crashed or was cancelled resumes by running
// again; the position of the current pass is committed with each batch of
// rewrites, so the rerun does not rescan what was done.
//
// Servers may keep sealing with the old version for up to RefreshInterval
// after the new keys appear, and a value sealed just before may be committed
// a little later. So after the first pass Rotation runs more passes over
// every value, each starting once Settle has passed since the keys were
// added, until one rewrites nothing. Run returns nil only after such a pass:
// every value it saw was on its owner's newest version. A value sealed with
// an old version before a server refreshed and committed after the final
// pass had scanned its row stays on the old version, readable, until the
// next rotation. Old versions are never deleted.
//
// Run one Rotation at a time per store. A second one started meanwhile is
// safe (every rewrite is a compare-and-swap) but repeats the work, and adds
// yet another version if it starts before the first has saved its state.
type Rotation struct {
	Vault *Vault
	// Batch is how many values each step lists (default 500); the rewrites
	// of one step commit in one transaction.
	Batch int
	// MaxBytes bounds the sealed bytes held in memory at once (default 32
	// MiB; a single larger value is still rotated).
	MaxBytes int64
	// Settle is how long after the new keys the final pass may start
	// (default 2*RefreshInterval; negative: no wait).
	Settle time.Duration
	// MaxPasses bounds the passes over every value (default 5): Run fails
	// when the last one still had to rewrite values.
	MaxPasses int
	// Progress, if set, is called after each committed step.
	Progress func(RotationStats)
}

// RotationStats counts what a Run did.
type RotationStats struct {
	Pass      int              // the current pass, from 1
	Scanned   int64            // values listed in this run
	Rewritten map[string]int64 // values re-sealed in this run, by table
	Lost      int64            // re-seals not written because a concurrent writer changed the value
	Failed    map[string]int64 // by table: values that did not open in the last pass
}

// Total is the number of values re-sealed.
func (s RotationStats) Total() int64 {
	var n int64
	for _, c := range s.Rewritten {
		n += c
	}
	return n
}

func (s RotationStats) clone() RotationStats {
	s.Rewritten, s.Failed = maps.Clone(s.Rewritten), maps.Clone(s.Failed)
	return s
}

// rotationState is the value of SettingRotation.
type rotationState struct {
	KeysAt time.Time           `json:"keys_at"`
	Cursor llgate.SealedCursor `json:"cursor"`
}

// Run rotates (or resumes rotating) every owner's data key and returns when
// every value is on its owner's newest version. The store's transactions
// must implement llgate.SealedTx.
func (r *Rotation) Run(ctx context.Context) (RotationStats, error) {
	v := r.Vault
	batch := orDefault(r.Batch, 500)
	maxBytes := orDefault(r.MaxBytes, 32<<20)
	maxPasses := orDefault(r.MaxPasses, 5)
	settle := r.Settle
	if settle == 0 {
		settle = 2 * RefreshInterval
	}
	stats := RotationStats{Rewritten: map[string]int64{}, Failed: map[string]int64{}}

	st, err := r.state(ctx)
	if err != nil {
		return stats, err
	}
	if st == nil {
		// A crash before the state is saved only means some owners get
		// two new versions: no value has been rewritten yet.
		newest, err := dataKeyVersions(ctx, v.store)
		if err != nil {
			return stats, err
		}
		for _, owner := range slices.Sorted(maps.Keys(newest)) {
			if _, err := v.Rotate(ctx, owner); err != nil {
				return stats, fmt.Errorf("vault: rotate %q: %w", owner, err)
			}
		}
		st = &rotationState{KeysAt: v.now().UTC()}
		err = v.store.Update(ctx, func(tx llgate.Tx) error { return putState(ctx, tx, st) })
		if err != nil {
			return stats, fmt.Errorf("vault: save rotation state: %w", err)
		}
	}

	// A resumed pass started before the crash: it is not a full pass.
	full := st.Cursor == (llgate.SealedCursor{})
	for {
		stats.Pass++
		if stats.Pass > 1 {
			if err := sleep(ctx, st.KeysAt.Add(settle).Sub(v.now())); err != nil {
				return stats, err
			}
		}
		settled := !v.now().Before(st.KeysAt.Add(settle))
		clear(stats.Failed)
		n, err := r.pass(ctx, st, batch, maxBytes, &stats)
		if err != nil {
			return stats, err
		}
		if full && n == 0 && settled {
			break
		}
		if full && stats.Pass >= maxPasses {
			return stats, fmt.Errorf("vault: rotation pass %d still re-sealed %d values; servers seal with old keys faster than rotation catches up (run it again)", stats.Pass, n)
		}
		full = true
	}
	if len(stats.Failed) > 0 {
		return stats, fmt.Errorf("vault: rotation left values that do not open (altered, or sealed for another owner, table or row): %s", formatCounts(stats.Failed))
	}
	err = v.store.Update(ctx, func(tx llgate.Tx) error {
		return tx.PutSetting(ctx, SettingRotation, nil)
	})
	if err != nil {
		return stats, fmt.Errorf("vault: clear rotation state: %w", err)
	}
	return stats, nil
}

// pass walks from st.Cursor to the end and re-seals every value on an older
// version than its owner's newest, leaving st.Cursor zero. It returns how
// many values it re-sealed.
func (r *Rotation) pass(ctx context.Context, st *rotationState, batch int, maxBytes int64, stats *RotationStats) (int64, error) {
	v := r.Vault
	newest, err := dataKeyVersions(ctx, v.store)
	if err != nil {
		return 0, err
	}
	var rewritten int64
	for {
		var heads []llgate.SealedHead
		err := v.store.View(ctx, func(tx llgate.Tx) error {
			stx, err := sealedTx(tx)
			if err != nil {
				return err
			}
			heads, err = stx.SealedHeads(ctx, st.Cursor, batch)
			return err
		})
		if err != nil {
			return rewritten, fmt.Errorf("vault: list sealed values: %w", err)
		}
		if len(heads) == 0 {
			st.Cursor = llgate.SealedCursor{}
			return rewritten, nil
		}
		stats.Scanned += int64(len(heads))

		var stale []llgate.SealedHead
		for _, h := range heads {
			ver, err := HeadVersion(h.Head)
			switch {
			case err != nil:
				stats.Failed[h.Table]++
			case ver < newest[h.Owner]:
				stale = append(stale, h)
			}
		}
		// Re-seal in chunks of at most maxBytes; the last chunk moves the
		// cursor past the whole batch.
		for len(stale) > 0 || len(heads) > 0 {
			n, size := 0, int64(0)
			for n < len(stale) && (n == 0 || size+stale[n].Size <= maxBytes) {
				size += stale[n].Size
				n++
			}
			chunk := stale[:n]
			stale = stale[n:]
			next := heads[len(heads)-1].Cursor()
			if len(stale) > 0 {
				next = chunk[n-1].Cursor()
			} else {
				heads = nil
			}
			done, lost, err := r.reseal(ctx, chunk, newest, next, st, stats)
			if err != nil {
				return rewritten, err
			}
			st.Cursor = next
			rewritten += int64(len(done))
			stats.Lost += lost
			for _, h := range done {
				stats.Rewritten[h.Table]++
			}
		}
		if r.Progress != nil {
			r.Progress(stats.clone())
		}
	}
}

// reseal opens and re-seals chunk under each owner's newest key and writes
// the results, compare-and-swap, in one transaction that also moves the
// pass's cursor to next. It returns the values it replaced and how many a
// concurrent writer changed first.
func (r *Rotation) reseal(ctx context.Context, chunk []llgate.SealedHead, newest map[string]int, next llgate.SealedCursor, st *rotationState, stats *RotationStats) ([]llgate.SealedHead, int64, error) {
	v := r.Vault
	old := make([][]byte, len(chunk))
	if len(chunk) > 0 {
		err := v.store.View(ctx, func(tx llgate.Tx) error {
			stx, err := sealedTx(tx)
			if err != nil {
				return err
			}
			for i, h := range chunk {
				old[i], err = stx.Sealed(ctx, h.SealedRef)
				if errors.Is(err, llgate.ErrNotFound) {
					old[i], err = nil, nil // deleted meanwhile
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("vault: read sealed values: %w", err)
		}
	}
	resealed := make([][]byte, len(chunk))
	for i, h := range chunk {
		if old[i] == nil {
			continue
		}
		ver, err := KeyVersion(old[i])
		if err != nil {
			stats.Failed[h.Table]++
			continue
		}
		if ver >= newest[h.Owner] {
			continue // re-sealed by its writer meanwhile
		}
		if checkNames(h.Owner, h.Table, h.Row) != nil {
			stats.Failed[h.Table]++
			continue
		}
		plain, err := v.Open(ctx, h.Owner, h.Table, h.Row, old[i])
		if err != nil {
			if !errors.Is(err, ErrOpen) {
				return nil, 0, err // the store, or the master key
			}
			stats.Failed[h.Table]++
			continue
		}
		resealed[i], err = v.sealAtLeast(ctx, h.Owner, h.Table, h.Row, plain, newest[h.Owner])
		clear(plain)
		if err != nil {
			return nil, 0, err
		}
	}

	var (
		done []llgate.SealedHead
		lost int64
	)
	save := *st
	save.Cursor = next
	err := v.store.Update(ctx, func(tx llgate.Tx) error {
		// Update may run this again: count from scratch.
		done, lost = done[:0], 0
		stx, err := sealedTx(tx)
		if err != nil {
			return err
		}
		for i, h := range chunk {
			if resealed[i] == nil {
				continue
			}
			ok, err := stx.ReplaceSealed(ctx, h.SealedRef, old[i], resealed[i])
			if err != nil {
				return err
			}
			if ok {
				done = append(done, h)
			} else {
				lost++
			}
		}
		return putState(ctx, tx, &save)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("vault: write re-sealed values: %w", err)
	}
	return done, lost, nil
}

func (r *Rotation) state(ctx context.Context) (*rotationState, error) {
	var b []byte
	err := r.Vault.store.View(ctx, func(tx llgate.Tx) error {
		var err error
		b, err = tx.Setting(ctx, SettingRotation)
		return err
	})
	if errors.Is(err, llgate.ErrNotFound) || (err == nil && len(b) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("vault: read rotation state: %w", err)
	}
	var st rotationState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("vault: rotation state %s: %w", SettingRotation, err)
	}
	return &st, nil
}

func putState(ctx context.Context, tx llgate.Tx, st *rotationState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return tx.PutSetting(ctx, SettingRotation, b)
}

func sealedTx(tx llgate.Tx) (llgate.SealedTx, error) {
	stx, ok := tx.(llgate.SealedTx)
	if !ok {
		return nil, fmt.Errorf("vault: rotation needs a store whose transactions list sealed values (%T does not)", tx)
	}
	return stx, nil
}

func dataKeyVersions(ctx context.Context, store llgate.Store) (map[string]int, error) {
	var out map[string]int
	err := store.View(ctx, func(tx llgate.Tx) error {
		stx, err := sealedTx(tx)
		if err != nil {
			return err
		}
		out, err = stx.DataKeyVersions(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("vault: list data keys: %w", err)
	}
	return out, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func formatCounts(m map[string]int64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func orDefault[T int | int64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
