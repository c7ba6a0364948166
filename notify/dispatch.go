package notify

import (
	"context"
	"errors"
	"slices"
	"time"

	llgate "github.com/llgate/llgate"
)

// dispatcher hands claimed notifications to attempt goroutines, PerHost at
// a time per host, and takes them back when they end. Only its own
// goroutine touches its fields; attempts report on done.
type dispatcher struct {
	w         *Worker
	ctx       context.Context
	once      bool // RunOnce: one claim, no deferrals, Concurrency in flight
	hosts     map[string]*host
	inflight  int
	waiting   int
	done      chan *job
	rec       *recorder
	giveBack  []*llgate.Notification
	errs      []error   // RunOnce's, returned; Run logs instead
	lastPrune time.Time // wall
	leases    *leaseBook
}

func (w *Worker) newDispatcher(ctx context.Context, once bool) *dispatcher {
	size := max(w.Batch, w.Concurrency)
	d := &dispatcher{w: w, ctx: ctx, once: once, hosts: make(map[string]*host), done: make(chan *job, size),
		leases: &leaseBook{}}
	// Room for a few transactions' worth, so that an attempt rarely waits
	// for the recorder (its slot would look busy to the host's pace).
	d.rec = w.startRecorder(ctx, max(size, 4*maxRecord), once, d.leases)
	return d
}

// room is how many more notifications Run may claim.
func (d *dispatcher) room() int { return d.w.Concurrency - d.inflight - d.waiting }

// claimNow says whether Run should claim now rather than wait for more
// room. Each claim is a durable commit, so claims come in batches: a full
// Batch, or half of what this worker could take if that is less, not
// counting the slots of stalled hosts (they may stay taken until the
// timeout).
func (d *dispatcher) claimNow(now time.Time) bool {
	usable := d.w.Concurrency
	for _, h := range d.hosts {
		if d.w.stalled(h, now) {
			usable -= len(h.inflight)
		}
	}
	return d.room() >= max(1, min(d.w.Batch, usable/2))
}

// claim claims what there is room for, defers in the same transaction what
// its hosts cannot take soon (Run only), and starts or queues the rest. It
// reports whether the claim was full: more may be due.
func (d *dispatcher) claim() (full bool, err error) {
	w := d.w
	r := llgate.ClaimRequest{Limit: w.Batch, Lease: w.Lease}
	if !d.once {
		r.Limit = min(w.Batch, d.room())
		// Judged as of now: the claim may wait for the store while
		// attempts end unseen.
		now := time.Now()
		r.Later = func(ns []*llgate.Notification) []time.Duration { return d.later(ns, now) }
	}
	ns, deferred, err := w.Outbox.Claim(d.ctx, r)
	if err != nil {
		return false, err
	}
	w.Metrics.deferred(deferred)
	if len(ns) > 0 {
		d.leases.add(ns[0].LeaseUntil, len(ns))
	}
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
	d.prune()
	return len(ns)+deferred == r.Limit, nil
}

// later is the claim's ClaimRequest.Later: a notification whose host has a
// free slot, or will have one soon at its pace (holdCap), is taken; one
// whose host has stalled, or is too far back in its host's queue, is
// deferred until a slot is likely free. It reads the dispatcher and changes
// nothing.
func (d *dispatcher) later(ns []*llgate.Notification, now time.Time) []time.Duration {
	out := make([]time.Duration, len(ns))
	seen := make(map[string]int)
	for i, n := range ns {
		k := hostKey(n.URL)
		h := d.hosts[k]
		free, queued := d.w.PerHost, 0
		if h != nil {
			free, queued = d.w.PerHost-len(h.inflight), len(h.waiting)
		}
		pos := queued + seen[k] - max(free, 0) // < 0: a slot is free for it
		seen[k]++
		switch {
		case pos < 0:
		case h != nil && d.w.stalled(h, now), pos >= d.w.holdCap(h):
			out[i] = d.w.deferFor(h, pos, now)
		}
	}
	return out
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
	}
}

func (d *dispatcher) start(j *job) {
	j.began = time.Now()
	j.host.inflight = append(j.host.inflight, j)
	d.inflight++
	d.rec.attempting.Add(1)
	go func() {
		j.d = d.w.attempt(d.ctx, j.n)
		j.ended = time.Now()
		d.rec.attempting.Add(-1) // before the hand-over: the recorder then knows if more are coming
		if j.d != nil {
			d.rec.in <- j.d // holds the slot while the recorder is far behind
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
	} else {
		h.done(j)
	}
	d.startWaiting()
}

// finishEnded takes back every job that has ended by now.
func (d *dispatcher) finishEnded() {
	for {
		select {
		case j := <-d.done:
			d.finish(j)
		default:
			return
		}
	}
}

// prune forgets idle hosts not heard from for hostMemory.
func (d *dispatcher) prune() {
	now := time.Now()
	if now.Sub(d.lastPrune) < hostMemory/4 {
		return
	}
	d.lastPrune = now
	for k, h := range d.hosts {
		if len(h.inflight) == 0 && len(h.waiting) == 0 && now.Sub(h.lastDone) > hostMemory {
			delete(d.hosts, k)
		}
	}
}

// deferWaiting defers the waiting notifications of stalled hosts, and
// those beyond what a host that slowed down would start soon; it returns
// when the next host could stall (zero if none can).
func (d *dispatcher) deferWaiting() time.Time {
	var (
		w     = d.w
		now   = time.Now()
		next  time.Time
		later []llgate.Deferral
	)
	for _, h := range d.hosts {
		if len(h.waiting) == 0 {
			continue
		}
		keep := w.holdCap(h)
		switch {
		case len(h.inflight) < w.PerHost:
		case w.stalled(h, now):
			keep = 0
		default:
			if at := h.busySince().Add(w.StallAfter); next.IsZero() || at.Before(next) {
				next = at
			}
		}
		if len(h.waiting) <= keep {
			continue
		}
		for pos := keep; pos < len(h.waiting); pos++ {
			later = append(later, llgate.Deferral{Notification: h.waiting[pos].n, For: w.deferFor(h, pos, now)})
		}
		d.waiting -= len(h.waiting) - keep
		h.waiting = h.waiting[:keep]
	}
	if len(later) > 0 {
		if err := w.Outbox.Defer(d.ctx, later); err != nil {
			// Still leased to us: another worker retries them when the
			// lease runs out.
			d.fail(err)
		} else {
			w.Metrics.deferred(len(later))
		}
		for _, x := range later {
			d.leases.done(x.Notification.LeaseUntil)
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
	for _, n := range d.giveBack {
		d.leases.done(n.LeaseUntil)
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
		d.finishEnded() // before judging any host stalled
		stallAt := d.deferWaiting()
		d.release()
		if due && d.claimNow(time.Now()) && !d.leases.expired(w.Outbox.Clock.Now()) {
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
		case <-d.rec.recorded:
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
