package faulttest

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llgate/llgate/client"
)

// ErrStopped is returned by Target.Begin once the target is closed.
var ErrStopped = errors.New("faulttest: load stopped")

// Target is where the clients send their calls: one or more server URLs
// (round robin), a gate the driver closes while a server is down, and a
// count of the calls in flight.
type Target struct {
	mu      sync.Mutex
	cond    *sync.Cond
	urls    []string
	up      bool
	closed  bool
	rr      int
	clients map[string]*client.Client

	inflight atomic.Int64
	key      *rsa.PrivateKey
	platform *rsa.PublicKey
	hc       *http.Client
	browser  *http.Client // hc's transport; sees each redirect (the checkout's 303s)
}

// NewTarget returns a closed-gate target; Resume opens it.
func NewTarget(f *Fixture) *Target {
	t := &Target{
		clients: map[string]*client.Client{}, key: f.MerchantKey, platform: f.PlatformKey,
		hc: &http.Client{
			Timeout:   60 * time.Second,
			Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
		},
	}
	t.browser = &http.Client{
		Timeout: t.hc.Timeout, Transport: t.hc.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	t.cond = sync.NewCond(&t.mu)
	return t
}

// Client returns an SDK client for url.
func (t *Target) Client(url string) *client.Client {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.clientLocked(url)
}

func (t *Target) clientLocked(url string) *client.Client {
	c := t.clients[url]
	if c == nil {
		c = client.New(url, OidPartner, t.key, t.platform)
		c.HTTPClient = t.hc
		t.clients[url] = c
	}
	return c
}

// Begin waits for the gate to be open, counts one call in flight and returns
// the client to make it with (round robin over the URLs). done ends the
// call; call it after recording the answer, so that a driver that waits for
// no call in flight also sees every answer recorded.
func (t *Target) Begin() (c *client.Client, url string, done func(), err error) {
	t.mu.Lock()
	for !t.closed && (!t.up || len(t.urls) == 0) {
		t.cond.Wait()
	}
	if t.closed {
		t.mu.Unlock()
		return nil, "", nil, ErrStopped
	}
	url = t.urls[t.rr%len(t.urls)]
	t.rr++
	c = t.clientLocked(url)
	t.inflight.Add(1)
	t.mu.Unlock()
	var once sync.Once
	return c, url, func() {
		once.Do(func() {
			if t.inflight.Add(-1) == 0 {
				t.mu.Lock()
				t.cond.Broadcast()
				t.mu.Unlock()
			}
		})
	}, nil
}

// InFlight is the number of calls begun and not done.
func (t *Target) InFlight() int64 { return t.inflight.Load() }

// Pause closes the gate: Begin blocks until Resume.
func (t *Target) Pause() {
	t.mu.Lock()
	t.up = false
	t.mu.Unlock()
}

// Resume opens the gate on urls.
func (t *Target) Resume(urls ...string) {
	t.mu.Lock()
	t.urls, t.up = append([]string(nil), urls...), true
	t.cond.Broadcast()
	t.mu.Unlock()
}

// Remove takes url out of the rotation.
func (t *Target) Remove(url string) {
	t.mu.Lock()
	out := t.urls[:0:0]
	for _, u := range t.urls {
		if u != url {
			out = append(out, u)
		}
	}
	t.urls = out
	t.mu.Unlock()
}

// Close ends the load: blocked and later Begins return ErrStopped.
func (t *Target) Close() {
	t.mu.Lock()
	t.closed = true
	t.cond.Broadcast()
	t.mu.Unlock()
}

// WaitIdle waits until no call is in flight, or ctx ends.
func (t *Target) WaitIdle(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		t.mu.Lock()
		t.cond.Broadcast()
		t.mu.Unlock()
	})
	defer stop()
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.inflight.Load() != 0 {
		if ctx.Err() != nil {
			return fmt.Errorf("faulttest: %d calls still in flight: %w", t.inflight.Load(), ctx.Err())
		}
		t.cond.Wait()
	}
	return nil
}

// Violations collects what the checks found wrong.
type Violations struct {
	mu   sync.Mutex
	list []string
	seen map[string]bool
	Log  func(string) // told each new violation, when set
}

// Add records a violation (an identical text once).
func (v *Violations) Add(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	v.mu.Lock()
	if v.seen == nil {
		v.seen = map[string]bool{}
	}
	dup := v.seen[s]
	if !dup {
		v.seen[s] = true
		v.list = append(v.list, s)
	}
	log := v.Log
	v.mu.Unlock()
	if !dup && log != nil {
		log("VIOLATION: " + s)
	}
}

// Len is the number recorded.
func (v *Violations) Len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.list)
}

// List returns them in the order found.
func (v *Violations) List() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string{}, v.list...)
}

// Counter counts by name, safely.
type Counter struct {
	mu sync.Mutex
	m  map[string]int
}

// Add adds n to name.
func (c *Counter) Add(name string, n int) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[name] += n
	c.mu.Unlock()
}

// Map returns a copy.
func (c *Counter) Map() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}

// Total sums every count.
func (c *Counter) Total() int {
	n := 0
	for _, v := range c.Map() {
		n += v
	}
	return n
}

// String lists the counts sorted by name.
func (c *Counter) String() string {
	m := c.Map()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%s=%d", k, m[k])
	}
	return s
}
