package llgate

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// RequestLog is the sandbox's record of merchant requests (behind
// /admin/requests and the console). It writes in batches, off the request
// path: it is diagnostics, so a request never waits for its own log row, and
// a crash may lose the last fraction of a second of it. A batch gathers for
// up to requestLogDelay (or until it is full, or someone waits for it), so
// that under load the log costs one commit per batch, not one per request.
// A request's detail (RequestDetail) is built by the writer too, from what
// the request left it, so that building and masking it cost the request
// nothing it waits for.
type RequestLog struct {
	store   Store
	vault   Vault
	logger  *slog.Logger
	enabled bool

	mu      sync.Mutex
	cond    *sync.Cond
	pending []pendingEntry
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
	// Beyond this many pending entries, a new one keeps its line but not
	// its detail, whose builder holds the request in memory until the
	// writer gets to it: a backlog costs kilobytes per entry, not tens.
	requestLogDetailMax = 8 * requestLogBatch
)

// pendingEntry is an entry waiting for the writer, with what builds its
// detail (nil: none).
type pendingEntry struct {
	e      RequestLogEntry
	detail func() *RequestDetail
}

// NewRequestLog starts the writer; enabled false (gateway mode) keeps
// nothing. v keys the fingerprints of the values a signature check
// records (SignFingerprint). Close it to write what is pending.
func NewRequestLog(store Store, v Vault, logger *slog.Logger, enabled bool) *RequestLog {
	l := &RequestLog{store: store, vault: v, logger: logger, enabled: enabled,
		flush: make(chan struct{}, 1), exited: make(chan struct{})}
	l.cond = sync.NewCond(&l.mu)
	if enabled {
		go l.run()
	} else {
		close(l.exited)
	}
	return l
}

// Enabled says whether the log keeps anything (false in gateway mode).
func (l *RequestLog) Enabled() bool { return l.enabled }

// Add queues an entry; it never blocks (past a bound entries are shed).
// Reason must be masked already (MaskText). detail, when not nil, is
// called by the writer, off the request path, for the entry's Detail: it
// must mask what it returns (MaskField, MaskText) and must not depend on
// anything that changes after Add. A shed entry's detail is never built,
// nor that of an entry queued behind a long backlog.
func (l *RequestLog) Add(e RequestLogEntry, detail func() *RequestDetail) {
	if !l.enabled {
		return
	}
	l.mu.Lock()
	l.added++
	if len(l.pending) >= requestLogDetailMax {
		detail = nil
	}
	if len(l.pending) < requestLogMax {
		l.pending = append(l.pending, pendingEntry{e, detail})
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

func (l *RequestLog) write(batch []pendingEntry) {
	es := make([]*RequestLogEntry, len(batch))
	for i := range batch {
		es[i] = &batch[i].e
		if d := batch[i].detail; d != nil {
			es[i].Detail = l.buildDetail(d)
			batch[i].detail = nil // what it holds of the request goes now
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := l.store.Update(ctx, func(tx Tx) error { return tx.InsertRequestLogs(ctx, es) })
	if err != nil {
		l.logger.Warn("request log not written", "entries", len(batch), "err", err)
	}
}

// buildDetail runs a detail builder and encodes what it returns. A
// builder that fails leaves the entry without a detail: diagnostics never
// take the writer down.
func (l *RequestLog) buildDetail(build func() *RequestDetail) (out string) {
	defer func() {
		if v := recover(); v != nil {
			l.logger.Error("request detail not built", "panic", MaskText(fmt.Sprint(v)), "stack", string(debug.Stack()))
			out = ""
		}
	}()
	d := build()
	if d == nil {
		return ""
	}
	b, err := json.Marshal(d)
	if err != nil {
		l.logger.Error("request detail not encoded", "err", err)
		return ""
	}
	return string(b)
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
	return view(ctx, l.store, func(tx Tx) ([]*RequestLogEntry, error) {
		return tx.RequestLog(ctx, ListQuery{OidPartner: oid, Limit: limit})
	})
}
