package llgate

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// RequestLog is the sandbox's record of merchant requests (behind
// /admin/requests and the console). It writes in batches, off the request
// path: it is diagnostics, so a request never waits for its own log row, and
// a crash may lose the last fraction of a second of it. A batch gathers for
// up to requestLogDelay (or until it is full, or someone waits for it), so
// that under load the log costs one commit per batch, not one per request.
type RequestLog struct {
	store   Store
	logger  *slog.Logger
	enabled bool

	mu      sync.Mutex
	cond    *sync.Cond
	pending []RequestLogEntry
	added   uint64 // entries ever queued (or shed)
	done    uint64 // entries written (or given up on)
	closed  bool
	syncing int           // callers of sync waiting: write without gathering
	flush   chan struct{} // write what is pending now; buffered 1
	exited  chan struct{}
}

const (
	requestLogDelay = 100 * time.Millisecond
	requestLogBatch = 256
	requestLogMax   = 100 * requestLogBatch // beyond this, shed: never block the API
)

// NewRequestLog starts the writer; enabled false (gateway mode) keeps
// nothing. Close it to write what is pending.
func NewRequestLog(store Store, logger *slog.Logger, enabled bool) *RequestLog {
	l := &RequestLog{store: store, logger: logger, enabled: enabled,
		flush: make(chan struct{}, 1), exited: make(chan struct{})}
	l.cond = sync.NewCond(&l.mu)
	if enabled {
		go l.run()
	} else {
		close(l.exited)
	}
	return l
}

// Add queues an entry; it never blocks (past a bound entries are shed).
// Reason must be masked already (MaskText).
func (l *RequestLog) Add(e RequestLogEntry) {
	if !l.enabled {
		return
	}
	l.mu.Lock()
	l.added++
	if len(l.pending) < requestLogMax {
		l.pending = append(l.pending, e)
	} else {
		l.done++
	}
	full := len(l.pending) >= requestLogBatch
	l.mu.Unlock()
	l.cond.Broadcast()
	if full {
		l.kick()
	}
}

// kick asks the writer to write what is pending without waiting for more.
func (l *RequestLog) kick() {
	select {
	case l.flush <- struct{}{}:
	default: // a kick is already pending
	}
}

func (l *RequestLog) run() {
	defer close(l.exited)
	for {
		l.mu.Lock()
		for len(l.pending) == 0 && !l.closed {
			l.cond.Wait()
		}
		if len(l.pending) == 0 && l.closed {
			l.mu.Unlock()
			return
		}
		gather := len(l.pending) < requestLogBatch && !l.closed && l.syncing == 0
		l.mu.Unlock()
		if gather {
			t := time.NewTimer(requestLogDelay)
			select {
			case <-t.C:
			case <-l.flush:
				t.Stop()
			}
		}

		l.mu.Lock()
		batch := l.pending
		if len(batch) > requestLogBatch {
			batch = batch[:requestLogBatch]
		}
		l.pending = l.pending[len(batch):]
		l.mu.Unlock()

		l.write(batch)

		l.mu.Lock()
		l.done += uint64(len(batch))
		l.mu.Unlock()
		l.cond.Broadcast()
	}
}

func (l *RequestLog) write(batch []RequestLogEntry) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	es := make([]*RequestLogEntry, len(batch))
	for i := range batch {
		es[i] = &batch[i]
	}
	err := l.store.Update(ctx, func(tx Tx) error { return tx.InsertRequestLogs(ctx, es) })
	if err != nil {
		l.logger.Warn("request log not written", "entries", len(batch), "err", err)
	}
}

// Sync waits until everything queued so far is written, so an admin read
// sees the requests that came before it.
func (l *RequestLog) Sync() {
	if !l.enabled {
		return
	}
	l.mu.Lock()
	l.syncing++ // before the kick, so that the writer does not gather
	l.kick()
	target := l.added
	for l.done < target && !l.closed {
		l.cond.Wait()
	}
	l.syncing--
	l.mu.Unlock()
}

// Close writes what is pending and stops the writer.
func (l *RequestLog) Close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.cond.Broadcast()
	l.kick()
	<-l.exited
}

// List returns the newest entries, of one merchant or (oid "") all, after
// writing what is pending.
func (l *RequestLog) List(ctx context.Context, oid string, limit int) ([]*RequestLogEntry, error) {
	l.Sync()
	return view(ctx, l.store, func(tx Tx) ([]*RequestLogEntry, error) { return tx.RequestLog(ctx, oid, limit) })
}
