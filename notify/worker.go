package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	llgate "github.com/llgate/llgate"
)

// Defaults of the Worker's settings. The schedule itself (2 minutes apart,
// 30 attempts) is the Outbox's.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultBatch       = 64
	DefaultConcurrency = 128
	DefaultPerHost     = 8
	DefaultStallAfter  = 250 * time.Millisecond
	DefaultMaxAnswer   = 4 << 10
	DefaultGather      = 50 * time.Millisecond
)

// pollCap bounds Run's wait: the sandbox clock can jump, and another replica
// may enqueue a notification this one is not told about.
const pollCap = time.Second

// Worker delivers due notifications from an llgate.Outbox, which owns
// their lifecycle (claims and leases, attempts, schedule); the Worker only
// sends. Any number of workers, in one process or in replicas sharing a
// PostgreSQL database, may run on one outbox.
//
// Run keeps claiming while it has room and never waits for a batch to
// finish. Receivers are grouped by host (scheme://host:port): at most
// PerHost attempts go to one host at once. A claimed notification whose
// host is at that limit waits in memory only if the host's pace will give
// it a slot within about 100 ms (at least PerHost may wait); otherwise, and
// as soon as the host has stalled (all its slots taken, none freed for
// StallAfter: it accepts and does not answer), it is deferred in the store
// until a slot is likely free, without counting an attempt. The next claims
// then pick other receivers' notifications: one dead or slow receiver
// cannot hold the others back.
//
// Set the exported fields before the first call; zero values take the
// defaults. A Worker must not be copied after first use.
type Worker struct {
	Outbox *llgate.Outbox

	// Transport sends the notifications; nil is NewTransport(false, false).
	// The sandbox passes NewTransport(false, true) (self-signed receivers
	// must work, COMPAT.md), the gateway NewTransport(true, ...), whose
	// refusals fail a notification at once. Redirects are never followed
	// whatever the transport: a 3xx is a failed attempt.
	Transport http.RoundTripper

	Timeout time.Duration // per attempt, wall time; default 5 s
	Lease   time.Duration // claim lease on the Outbox's clock; default Timeout*3 + 30 s
	Batch   int           // notifications claimed at once at most; default 64
	// Concurrency bounds the notifications Run holds at once, in flight or
	// waiting for their host (RunOnce: in flight); default 128. Run claims
	// a full Batch once it has room for one and half its Concurrency free.
	Concurrency int
	PerHost     int // attempts in flight to one host; default 8
	// StallAfter is how long (wall time) a host may have all its slots
	// taken with none freed before it counts as stalled and its waiting
	// notifications are deferred; default 250 ms.
	StallAfter time.Duration
	MaxAnswer  int64 // answer bytes read; default 4 KiB; an Attempt keeps the first 256, masked
	// Gather is how long Run waits after a Wake before claiming, wall
	// time; default 50 ms, negative: not at all. Payments enqueue
	// notifications one at a time, and each claim and each record is a
	// durable commit: gathering lets a trickle go out in batches, at the
	// price of that much latency.
	Gather time.Duration

	Logger  *slog.Logger // nil discards
	Metrics *Metrics     // nil records nothing

	once     sync.Once
	setupErr error
	client   *http.Client
	wake     chan struct{}
	lastSeen time.Time // wall time of the last backlog query
}

func (w *Worker) setup() error {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		switch o := w.Outbox; {
		case o == nil:
			w.setupErr = errors.New("notify: Worker.Outbox is nil")
		case o.Store == nil || o.Vault == nil || o.Clock == nil:
			w.setupErr = errors.New("notify: the Outbox needs a Store, a Vault and a Clock")
		}
		if w.Timeout <= 0 {
			w.Timeout = DefaultTimeout
		}
		if w.Lease <= 0 {
			w.Lease = w.Timeout*3 + 30*time.Second
		}
		if w.Lease <= w.Timeout {
			w.setupErr = fmt.Errorf("notify: lease %s must be longer than the timeout %s", w.Lease, w.Timeout)
		}
		if w.Batch <= 0 {
			w.Batch = DefaultBatch
		}
		if w.Concurrency <= 0 {
			w.Concurrency = DefaultConcurrency
		}
		if w.PerHost <= 0 {
			w.PerHost = DefaultPerHost
		}
		if w.StallAfter <= 0 {
			w.StallAfter = DefaultStallAfter
		}
		if w.MaxAnswer <= 0 {
			w.MaxAnswer = DefaultMaxAnswer
		}
		if w.Gather == 0 {
			w.Gather = DefaultGather
		}
		if w.Logger == nil {
			w.Logger = slog.New(slog.DiscardHandler)
		}
		t := w.Transport
		if t == nil {
			t = NewTransport(false, false)
		}
		w.client = &http.Client{
			Transport: t,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	})
	return w.setupErr
}

// Wake makes a waiting Run look for due notifications soon (after Gather),
// for example right after one was enqueued. It never blocks.
func (w *Worker) Wake() {
	_ = w.setup()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers notifications until ctx ends. It claims whenever it has room
// and something may be due: at once after a full claim, Gather after a
// Wake, at the earliest scheduled attempt (by the clock), and at least every
// second. Store errors are logged and retried. It returns an error only for
// a misconfigured Worker, and nil once ctx ends, after recording the
// attempts that finished and giving back the leases of the rest. Run one
// Run per Worker at a time; for more parallelism raise Concurrency or run
// more Workers.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.setup(); err != nil {
		return err
	}
	d := w.newDispatcher(ctx, false)
	d.loop()
	d.drain()
	return nil
}

// RunOnce claims up to Batch due notifications, makes one attempt at each
// (Concurrency at a time, PerHost to one host) and records it. It returns
// how many attempts were made and recorded. Delivery failures are recorded,
// not returned; the error is about the store. When ctx ends, attempts in
// flight are abandoned unrecorded and their leases given back, so another
// worker retries them at once; finished attempts are still recorded.
func (w *Worker) RunOnce(ctx context.Context) (attempted int, err error) {
	if err := w.setup(); err != nil {
		return 0, err
	}
	d := w.newDispatcher(ctx, true)
	if _, err := d.claim(); err != nil {
		d.drain()
		return 0, err
	}
	for d.inflight > 0 {
		d.finish(<-d.done)
	}
	return d.drain()
}

// backlog reads the pending count and the earliest due time, and updates
// the gauges.
func (w *Worker) backlog(ctx context.Context) (int64, time.Time, error) {
	w.lastSeen = time.Now()
	count, next, err := w.Outbox.Backlog(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.Logger.Error("notify: backlog", "err", err)
		}
		return 0, time.Time{}, err
	}
	var overdue time.Duration
	if count > 0 {
		overdue = w.Outbox.Clock.Now().Sub(next)
	}
	w.Metrics.setBacklog(count, overdue)
	return count, next, nil
}
