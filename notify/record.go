package notify

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	llgate "github.com/llgate/llgate"
)

// recordWindow is how long the recorder waits for more finished attempts
// before it writes what it has: fast deliveries share one commit (a commit
// waits for the disk, and one per attempt would cap a worker at a few dozen
// notifications a second), and no attempt waits longer than this to be
// recorded.
const recordWindow = 20 * time.Millisecond

// maxRecord caps the attempts recorded in one transaction.
const maxRecord = 256

// recorder records finished attempts in groups through the Outbox, on its
// own goroutine, then logs and counts them.
type recorder struct {
	w        *Worker
	ctx      context.Context
	in       chan *llgate.Delivery
	recorded chan struct{} // a batch was settled (Run may claim again)
	leases   *leaseBook
	// attempting counts attempts under way: with none, no more are coming
	// to wait for.
	attempting atomic.Int64
	keep       bool // keep errors for close (RunOnce); else log them
	wg         sync.WaitGroup
	mu         sync.Mutex
	count      int
	errs       []error
}

func (w *Worker) startRecorder(ctx context.Context, size int, keepErrs bool, leases *leaseBook) *recorder {
	r := &recorder{w: w, ctx: ctx, in: make(chan *llgate.Delivery, size), recorded: make(chan struct{}, 1),
		leases: leases, keep: keepErrs}
	r.wg.Go(r.run)
	return r
}

func (r *recorder) run() {
	for first := range r.in {
		// Recording goes on after ctx ends: those attempts were made.
		batch := r.gather(first)
		done, err := r.w.Outbox.Record(r.ctx, batch)
		for _, d := range done {
			r.w.report(d)
		}
		for _, d := range batch {
			r.leases.done(d.Notification.LeaseUntil) // recorded or abandoned
		}
		select {
		case r.recorded <- struct{}{}:
		default:
		}
		r.mu.Lock()
		r.count += len(done)
		if err != nil {
			if r.keep {
				r.errs = append(r.errs, err)
			} else {
				r.w.Logger.Error("notify: record attempts", "err", err)
			}
		}
		r.mu.Unlock()
	}
}

// close waits for the recorder to write what it was given and returns how
// many attempts it recorded and what failed.
func (r *recorder) close() (int, error) {
	close(r.in)
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count, errors.Join(r.errs...)
}

// gather returns first and the attempts that finish within recordWindow,
// up to maxRecord, or until no attempt is under way, or in closes.
func (r *recorder) gather(first *llgate.Delivery) []*llgate.Delivery {
	batch := []*llgate.Delivery{first}
	t := time.NewTimer(recordWindow)
	defer t.Stop()
	for len(batch) < maxRecord {
		if len(r.in) == 0 && r.attempting.Load() == 0 {
			return batch
		}
		select {
		case d, ok := <-r.in:
			if !ok {
				return batch
			}
			batch = append(batch, d)
		case <-t.C:
			return batch
		}
	}
	return batch
}

// report logs a recorded attempt and counts it. The answer logged is the
// masked one the attempt keeps. Nothing is built for a level not logged:
// a delivery is a debug line, and the masking handler's work is not free.
func (w *Worker) report(d *llgate.Delivery) {
	out := outcome(d)
	w.Metrics.attempt(out, d.Latency)
	level, msg := slog.LevelDebug, "notify: delivered"
	switch {
	case d.Status == "":
		level, msg = slog.LevelInfo, "notify: notification deleted during its attempt"
	case d.Status == llgate.NotifyFailed && d.Refused:
		level, msg = slog.LevelWarn, "notify: the address guard refused the receiver; failed without retries"
	case d.Status == llgate.NotifyFailed:
		level, msg = slog.LevelWarn, "notify: no acknowledgement after the last attempt; giving up"
	case !d.Acked:
		level, msg = slog.LevelInfo, "notify: attempt not acknowledged"
	}
	if !w.Logger.Enabled(context.Background(), level) {
		return
	}
	n := d.Notification
	attrs := []any{"id", n.ID, "oid_partner", n.OidPartner, "kind", n.Kind, "attempt", d.Count,
		"http_status", d.HTTPStatus, "latency_ms", d.Latency.Milliseconds(), "outcome", out}
	if !d.Acked {
		attrs = append(attrs, "answer", d.Stored)
	}
	w.Logger.Log(context.Background(), level, msg, attrs...)
}

func outcome(d *llgate.Delivery) string {
	switch {
	case d.Acked:
		return OutcomeDelivered
	case d.HTTPStatus != 0:
		return OutcomeRejected
	default:
		return OutcomeError
	}
}
