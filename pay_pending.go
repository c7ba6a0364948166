package llgate

import (
	"sync"
	"time"
)

// PendingPays remembers what this process's recent pay applies wrote: the
// order, its challenge, and the agreement it pays with. The verify that
// follows (the customer types the code a minute later) takes them as its
// snapshot instead of reading them again, which was a read transaction of
// three statements on every verify. Only a hint: the verify re-reads and
// re-checks everything under lock, and one whose hint turns out stale
// starts again from a read of the store, as does any verify that finds no
// hint (another replica took the apply, the process restarted, the hint
// was pushed out or already used). It holds what the store holds, sealed
// data sealed; nothing in plaintext.
type PendingPays struct {
	mu   sync.Mutex
	m    map[string]verifySnapshot // by token
	ring []string                  // tokens, oldest overwritten first
	next int
}

// pendingCap bounds the hints kept: a minute of applies at a few hundred a
// second, a few MiB.
const pendingCap = 1 << 14

// put keeps a hint for token. The values must not change afterwards.
// A nil PendingPays keeps nothing.
func (pp *PendingPays) put(token string, s verifySnapshot) {
	if pp == nil {
		return
	}
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if pp.m == nil {
		pp.m = make(map[string]verifySnapshot)
		pp.ring = make([]string, pendingCap)
	}
	if old := pp.ring[pp.next]; old != "" {
		delete(pp.m, old) // a no-op when it was taken already
	}
	pp.ring[pp.next] = token
	pp.next = (pp.next + 1) % len(pp.ring)
	pp.m[token] = s
}

// asStored returns a copy of o as the store gives it back: times in UTC, to
// the millisecond, so a hint reads like a fresh snapshot.
func asStored(o Order) *Order {
	for _, t := range []*time.Time{&o.ValidUntil, &o.SettleAt, &o.CountedAt, &o.PaidAt, &o.CreatedAt, &o.UpdatedAt} {
		if !t.IsZero() {
			*t = t.Truncate(time.Millisecond).UTC()
		}
	}
	return &o
}

// take removes and returns the hint for token, unless its token has
// expired by now (the store then answers for it).
func (pp *PendingPays) take(token string, now time.Time) (verifySnapshot, bool) {
	if pp == nil {
		return verifySnapshot{}, false
	}
	pp.mu.Lock()
	defer pp.mu.Unlock()
	s, ok := pp.m[token]
	if !ok {
		return s, false
	}
	delete(pp.m, token)
	return s, now.Before(s.c.ExpiresAt)
}
