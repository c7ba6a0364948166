package notify

import (
	"sync"
	"time"
)

// leaseBook counts this worker's claimed notifications not yet settled
// (recorded, given back or deferred), by lease. Run claims while attempts
// are in flight; after a sandbox clock jump past their leases a claim would
// hand this worker its own unsettled notifications again, and it would
// attempt them twice. So Run does not claim while a lease it holds has run
// out by the clock: those attempts end within the timeout.
type leaseBook struct {
	mu sync.Mutex
	n  map[int64]int // unix ms of the lease → notifications
}

func (b *leaseBook) add(lease time.Time, k int) {
	if k == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.n == nil {
		b.n = make(map[int64]int)
	}
	b.n[lease.UnixMilli()] += k
}

func (b *leaseBook) done(lease time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ms := lease.UnixMilli()
	if b.n[ms]--; b.n[ms] <= 0 {
		delete(b.n, ms)
	}
}

// expired says whether a lease this worker holds has run out by now.
func (b *leaseBook) expired(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ms := range b.n {
		if ms <= now.UnixMilli() {
			return true
		}
	}
	return false
}
