package notify

import (
	"context"
	"errors"
	"slices"
	"time"

	llgate "github.com/llgate/llgate"
)

// job is one claimed notification in this worker's hands.
type job struct {
	n     *llgate.Notification
	host  *host
	began time.Time        // wall time its attempt started
	d     *llgate.Delivery // the attempt; nil when none was made (the lease goes back)
}

// host is one receiver (hostKey) and this worker's notifications for it.
type host struct {
	key      string
	inflight []*job // oldest first
	waiting  []*job // claimed, waiting for a slot
}

// dispatcher hands claimed notifications to attempt goroutines, PerHost at
// a time per host, and collects them when they finish. Only its own
// goroutine touches its fields; attempts report on done.
type dispatcher struct {
	w        *Worker
	ctx      context.Context
	once     bool // RunOnce: one claim, no deferrals, Concurrency in flight
	hosts    map[string]*host
	inflight int
	waiting  int
	done     chan *job
	rec      *recorder
	giveBack []*llgate.Notification
	errs     []error // RunOnce's, returned; Run logs instead
}

func (w *Worker) newDispatcher(ctx context.Context, once bool) *dispatcher {
	size := max(w.Batch, w.Concurrency)
	d := &dispatcher{w: w, ctx: ctx, once: once, hosts: make(map[string]*host), done: make(chan *job, size)}
	d.rec = w.startRecorder(ctx, size, once)
	return d
}

// room is how many more notifications Run may claim.
func (d *dispatcher) room() int { return d.w.Concurrency - d.inflight - d.waiting }

// claimNow says whether Run should claim now rather than wait for more
// room. Each claim is a durable commit, so claims come in batches: at least
// half of what this worker could take, not counting the slots of stalled
// hosts (they may stay taken until the timeout).
func (d *dispatcher) claimNow(now time.Time) bool {
	usable := d.w.Concurrency
	for _, h := range d.hosts {
		if d.stalled(h, now) {
			usable -= len(h.inflight)
		}
	}
	return d.room() >= max(1, min(d.w.Batch, usable)/2)
}

// claim claims what there is room for and starts or queues it. In Run,
// notifications for stalled hosts are deferred in the claim. It reports
// whether the claim was full (more may be due).
func (d *dispatcher) claim() (full bool, err error) {
	w := d.w
	r := llgate.ClaimRequest{Limit: w.Batch, Lease: w.Lease}
	if !d.once {
		r.Limit = min(w.Batch, d.room())
		stalled := make(map[string]bool)
		now := time.Now()
		for k, h := range d.hosts {
			if d.stalled(h, now) {
				stalled[k] = true
			}
		}
		if len(stalled) > 0 {
			r.Busy = func(n *llgate.Notification) bool { return stalled[hostKey(n.URL)] }
			r.DeferFor = w.Defer
		}
	}
	ns, deferred, err := w.Outbox.Claim(d.ctx, r)
	if err != nil {
		return false, err
	}
	w.Metrics.deferred(deferred)
	for _, n := range ns {
		k := hostKey(n.URL)
		h := d.hosts[k]
		if h == nil {
			h = &host{key: k}
			d.hosts[k] = h
		}
		h.waiting = append(h.waiting, &job{n: n, host: h})
		d.waiting++
	}
	d.startWaiting()
	return len(ns)+deferred == r.Limit, nil
}

// stalled says whether every slot of h is taken by an attempt older than
// StallAfter: the receiver accepts and does not answer, or answers so slowly
// that its notifications are better deferred than held.
func (d *dispatcher) stalled(h *host, now time.Time) bool {
	return len(h.inflight) >= d.w.PerHost && now.Sub(h.inflight[0].began) >= d.w.StallAfter
}

// startWaiting starts waiting notifications while their hosts (and, in
// RunOnce, the worker) have free slots; once ctx has ended it gives them
// back instead.
func (d *dispatcher) startWaiting() {
	for _, h := range d.hosts {
		for len(h.waiting) > 0 {
			if d.ctx.Err() != nil {
				for _, j := range h.waiting {
					d.giveBack = append(d.giveBack, j.n)
				}
				d.waiting -= len(h.waiting)
				h.waiting = nil
				break
			}
			if len(h.inflight) >= d.w.PerHost || d.inflight >= d.w.Concurrency {
				break
			}
			j := h.waiting[0]
			h.waiting = h.waiting[1:]
			d.waiting--
			d.start(j)
		}
		d.forget(h)
	}
}

func (d *dispatcher) start(j *job) {
	j.began = time.Now()
	j.host.inflight = append(j.host.inflight, j)
	d.inflight++
	go func() {
		if j.d = d.w.attempt(d.ctx, j.n); j.d != nil {
			d.rec.in <- j.d // holds the slot while the recorder is behind
		}
		d.done <- j
	}()
}

// finish takes back a job whose attempt ended and fills the slot it freed.
func (d *dispatcher) finish(j *job) {
	h := j.host
	h.inflight = slices.DeleteFunc(h.inflight, func(x *job) bool { return x == j })
	d.inflight--
	if j.d == nil {
		d.giveBack = append(d.giveBack, j.n)
	}
	d.startWaiting()
	d.forget(h)
}

func (d *dispatcher) forget(h *host) {
	if len(h.inflight) == 0 && len(h.waiting) == 0 {
		delete(d.hosts, h.key)
	}
}

// deferStalled defers the waiting notifications of stalled hosts and
// returns when the next host could stall (zero if none can).
func (d *dispatcher) deferStalled() time.Time {
	var (
		now   = time.Now()
		next  time.Time
		stuck []*llgate.Notification
	)
	for _, h := range d.hosts {
		if len(h.waiting) == 0 || len(h.inflight) < d.w.PerHost {
			continue
		}
		if !d.stalled(h, now) {
			if at := h.inflight[0].began.Add(d.w.StallAfter); next.IsZero() || at.Before(next) {
				next = at
			}
			continue
		}
		for _, j := range h.waiting {
			stuck = append(stuck, j.n)
		}
		d.waiting -= len(h.waiting)
		h.waiting = nil
	}
	if len(stuck) > 0 {
		if err := d.w.Outbox.Defer(d.ctx, stuck, d.w.Defer); err != nil {
			// Still leased to us: another worker retries them when the
			// lease runs out.
			d.fail(err)
		} else {
			d.w.Metrics.deferred(len(stuck))
		}
	}
	return next
}

// release gives back the leases of notifications no attempt was made at.
func (d *dispatcher) release() {
	if len(d.giveBack) == 0 {
		return
	}
	if err := d.w.Outbox.Release(d.ctx, d.giveBack); err != nil {
		d.fail(err)
	}
	d.giveBack = nil
}

func (d *dispatcher) fail(err error) {
	if d.once {
		d.errs = append(d.errs, err)
		return
	}
	if d.ctx.Err() == nil {
		d.w.Logger.Error("notify: deliveries", "err", err)
	}
}

// loop is Run's: claim while there is room and something may be due, else
// wait for an attempt to end, a Wake, a due time or a stall.
func (d *dispatcher) loop() {
	w := d.w
	timer := time.NewTimer(pollCap)
	defer timer.Stop()
	var (
		due       = true    // something may be due: claim when there is room
		dueAt     time.Time // wall; when to look again if not due
		gatherEnd time.Time // wall; zero when not gathering after a Wake
	)
	for d.ctx.Err() == nil {
		stallAt := d.deferStalled()
		d.release()
		if due && d.claimNow(time.Now()) {
			full, err := d.claim()
			switch {
			case err != nil:
				d.fail(err)
				due, dueAt = false, time.Now().Add(pollCap)
			case full:
				if time.Since(w.lastSeen) >= pollCap {
					w.backlog(d.ctx) // the gauges
				}
			default:
				due, dueAt = false, d.nextDue()
			}
			continue
		}
		wait := pollCap
		for _, at := range []time.Time{dueAt, gatherEnd, stallAt} {
			if !at.IsZero() {
				wait = min(wait, time.Until(at))
			}
		}
		timer.Reset(max(wait, 0))
		select {
		case j := <-d.done:
			d.finish(j)
		case <-w.wake:
			if w.Gather < 0 {
				due = true
			} else if gatherEnd.IsZero() {
				gatherEnd = time.Now().Add(w.Gather)
			}
		case <-timer.C:
		case <-d.ctx.Done():
		}
		now := time.Now()
		if !gatherEnd.IsZero() && !now.Before(gatherEnd) {
			due, gatherEnd = true, time.Time{}
		}
		if !due && !now.Before(dueAt) {
			due = true
		}
		if due {
			dueAt = time.Time{}
		}
	}
}

// nextDue is when, by the wall clock, Run should look again after a claim
// that found less than it could take: at the earliest scheduled attempt,
// or within a second (another worker may hold leases that run out, or
// enqueue without waking this one).
func (d *dispatcher) nextDue() time.Time {
	now := time.Now()
	at := now.Add(pollCap)
	if count, next, err := d.w.backlog(d.ctx); err == nil && count > 0 {
		if wait := next.Sub(d.w.Outbox.Clock.Now()); wait > 0 && wait < pollCap {
			at = now.Add(wait)
		}
	}
	return at
}

// drain waits for the attempts in flight (they end soon once ctx has),
// gives back the leases of the rest, lets the recorder finish, and returns
// how many attempts were recorded.
func (d *dispatcher) drain() (int, error) {
	for d.inflight > 0 {
		d.finish(<-d.done)
	}
	for _, h := range d.hosts {
		for _, j := range h.waiting {
			d.giveBack = append(d.giveBack, j.n)
		}
		h.waiting = nil
	}
	d.waiting = 0
	d.release()
	n, err := d.rec.close()
	return n, errors.Join(errors.Join(d.errs...), err)
}
