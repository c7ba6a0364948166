package httpapi

import (
	"net/netip"
	"sync"

	"golang.org/x/time/rate"
)

// limiter holds a token bucket per merchant and per client address, and
// one per address for request-log entries of requests without a known
// merchant.
type limiter struct {
	perMerchant, perAddr rate.Limit
	mu                   sync.Mutex
	merchants            map[string]*rate.Limiter
	addrs                map[netip.Addr]*rate.Limiter
	anonLogs             map[netip.Addr]*rate.Limiter
}

// anonLogRate bounds the request-log entries per second of one address for
// requests that name no known merchant (not JSON, unknown oid_partner,
// rate-limited before parsing): they help a developer whose client is
// broken, and a flood of them would fill the log and cost a write each.
const anonLogRate = 20

// maxBuckets bounds the maps; past it they start afresh, which only ever
// errs on the side of letting requests through.
const maxBuckets = 100_000

func newLimiter(perMerchant, perAddr float64) *limiter {
	return &limiter{
		perMerchant: rate.Limit(perMerchant), perAddr: rate.Limit(perAddr),
		merchants: make(map[string]*rate.Limiter), addrs: make(map[netip.Addr]*rate.Limiter),
		anonLogs: make(map[netip.Addr]*rate.Limiter),
	}
}

// allowAnonLog takes a token for a request-log entry without a merchant.
func (l *limiter) allowAnonLog(addr netip.Addr) bool {
	l.mu.Lock()
	a := bucket(l.anonLogs, addr, anonLogRate)
	l.mu.Unlock()
	return a.Allow()
}

// allowAddr takes a token for the client address. It runs before the body
// is read, so a flood costs no parsing.
func (l *limiter) allowAddr(addr netip.Addr) bool {
	l.mu.Lock()
	a := bucket(l.addrs, addr, l.perAddr)
	l.mu.Unlock()
	return a.Allow()
}

// allowMerchant takes a token for the merchant, once it is known.
func (l *limiter) allowMerchant(oid string) bool {
	l.mu.Lock()
	m := bucket(l.merchants, oid, l.perMerchant)
	l.mu.Unlock()
	return m.Allow()
}

func bucket[K comparable](m map[K]*rate.Limiter, k K, r rate.Limit) *rate.Limiter {
	b, ok := m[k]
	if !ok {
		if len(m) >= maxBuckets {
			clear(m)
		}
		b = rate.NewLimiter(r, int(r)+1)
		m[k] = b
	}
	return b
}
