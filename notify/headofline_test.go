package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// TestHeadOfLine: a receiver that accepts and never answers, with 200 of
// its notifications due, does not delay a healthy receiver's: each healthy
// one is delivered about as fast as with no backlog, while every hanging
// one is still in flight or pending, attempt count 0. The hanging attempts'
// timeout is ten minutes, so they are all still hanging whatever the
// machine's speed. (The worker before per-host dispatch claimed a batch of
// the hanging receiver's notifications and waited for all of it.)
func TestHeadOfLine(t *testing.T) {
	const (
		backlog = 200
		samples = 20
	)
	e := newEnv(t, nil)
	var hangingIn atomic.Int64
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // then the server sees the client go away
		hangingIn.Add(1)
		<-r.Context().Done() // accepts, never answers
	}))
	t.Cleanup(hanging.Close)
	arrived := make(chan string, samples)
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		obj, err := protocol.Decode(body)
		ackAnswer(0, w, r)
		if err == nil {
			arrived <- obj.Get("no_order")
		}
	}))
	t.Cleanup(healthy.Close)

	w := e.worker()
	w.Timeout = 10 * time.Minute
	reg := prometheus.NewRegistry()
	w.Metrics = NewMetrics(reg)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-stopped; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	// measure enqueues healthy notifications one at a time and times each
	// from its commit to its arrival.
	measure := func(label string) []time.Duration {
		t.Helper()
		var lat []time.Duration
		for range samples {
			ns, _ := e.enqueue(healthy.URL, 1)
			t0 := time.Now()
			w.Wake()
			select {
			case got := <-arrived:
				lat = append(lat, time.Since(t0))
				if got != ns[0].ID {
					t.Fatalf("%s: arrived %s, want %s", label, got, ns[0].ID)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("%s: a healthy notification was not delivered within 30 s (%d hanging attempts)", label, hangingIn.Load())
			}
		}
		slices.Sort(lat)
		t.Logf("%-40s healthy latency: p50 %v, p90 %v, max %v", label,
			lat[len(lat)/2].Round(100*time.Microsecond), lat[len(lat)*9/10].Round(100*time.Microsecond), lat[len(lat)-1].Round(100*time.Microsecond))
		return lat
	}
	base := measure("no backlog")

	stuck, _ := e.enqueue(hanging.URL, backlog)
	w.Wake()
	// Steady state: PerHost attempts hang, the rest were deferred.
	waitFor(t, "the hanging receiver's notifications in flight or deferred", func() bool {
		return hangingIn.Load() == int64(w.PerHost) && e.deferred(stuck) == backlog-w.PerHost
	})
	with := measure("200 hanging queued (deferred)")

	// The deferred ones come due again: they are deferred again, not held.
	e.clock.Advance(maxDefer + time.Second)
	again := measure("200 hanging due again")

	if got, least := metricValue(t, reg, "llgate_notify_deferred_total", ""), float64(2*(backlog-w.PerHost)); got < least {
		t.Errorf("llgate_notify_deferred_total = %v, want at least %v (each deferred twice)", got, least)
	}
	if got, want := hangingIn.Load(), int64(w.PerHost); got != want {
		t.Errorf("the hanging receiver got %d requests, want %d (PerHost)", got, want)
	}
	for _, x := range stuck {
		n, as := e.state(x.ID)
		if n.Status != llgate.NotifyPending || n.AttemptCount != 0 || len(as) != 0 {
			t.Fatalf("hanging notification %s: %s, count %d, %d attempts; want pending, 0, none", x.ID, n.Status, n.AttemptCount, len(as))
		}
	}
	// Generous: the point is milliseconds against the ten-minute timeout.
	for _, lat := range [][]time.Duration{with, again} {
		if p50, limit := lat[len(lat)/2], base[len(base)/2]+time.Second; p50 > limit {
			t.Errorf("healthy p50 latency %v with the hanging backlog, want under %v", p50, limit)
		}
	}
}

// deferred counts the notifications among ns that are pending, unleased
// and due after now: pushed back without an attempt.
func (e *env) deferred(ns []*llgate.Notification) int {
	ctx := context.Background()
	var all []*llgate.Notification
	err := e.store.View(ctx, func(tx llgate.Tx) (err error) {
		all, err = tx.Notifications(ctx, llgate.NotificationFilter{})
		return err
	})
	if err != nil {
		e.tb.Fatal(err)
	}
	ids := make(map[string]bool, len(ns))
	for _, x := range ns {
		ids[x.ID] = true
	}
	k := 0
	for _, n := range all {
		if ids[n.ID] && n.Status == llgate.NotifyPending && n.LeaseUntil.IsZero() &&
			n.NextAttemptAt.After(e.clock.Now()) && n.AttemptCount == 0 {
			k++
		}
	}
	return k
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
		<-tick.C
	}
}
