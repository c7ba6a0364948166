package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	llgate "github.com/llgate/llgate"
)

// Defaults of the Worker's settings (CONTRACT.md §7).
const (
	DefaultTimeout     = 5 * time.Second
	DefaultInterval    = 2 * time.Minute
	DefaultMaxAttempts = 30
	DefaultBatch       = 64
	DefaultConcurrency = 16
	DefaultMaxAnswer   = 4 << 10
	DefaultGather      = 50 * time.Millisecond

	// AnswerRecorded is how many bytes of an answer an Attempt keeps.
	AnswerRecorded = 256
)

// pollCap bounds Run's wait: the sandbox clock can jump, and another replica
// may enqueue a notification this one is not told about.
const pollCap = time.Second

// Worker delivers due notifications from the store's outbox. Any number of
// workers, in one process or in replicas sharing a PostgreSQL database, may
// run on one outbox: a claimed notification is leased to one worker for
// longer than an attempt can take, so live workers never attempt it twice
// at once; after a crash the lease runs out and another worker retries it
// (at least once).
//
// Set the exported fields before the first call; zero values take the
// defaults. A Worker must not be copied after first use.
type Worker struct {
	Store llgate.Store
	Vault llgate.Vault
	Clock llgate.Clock // schedules and leases; the timeout and latency are wall time

	// Transport sends the notifications; nil is NewTransport(false, false).
	// The sandbox passes NewTransport(false, true) (self-signed receivers
	// must work, COMPAT.md), the gateway NewTransport(true, ...). Redirects
	// are never followed whatever the transport: a 3xx is a failed attempt.
	Transport http.RoundTripper

	Timeout     time.Duration // per attempt, wall time; default 5 s
	Interval    time.Duration // from one attempt's start to the next, on the Clock; default 2 min
	MaxAttempts int           // then the notification is failed; default 30
	Lease       time.Duration // claim lease on the Clock; default Timeout*3 + 30 s
	Batch       int           // notifications claimed at once; default 64
	Concurrency int           // parallel deliveries; default 16
	MaxAnswer   int64         // answer bytes read; default 4 KiB; an Attempt keeps the first 256
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
	lastSeen time.Time // wall time of Run's last backlog query
}

func (w *Worker) setup() error {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		switch {
		case w.Store == nil:
			w.setupErr = errors.New("notify: Worker.Store is nil")
		case w.Vault == nil:
			w.setupErr = errors.New("notify: Worker.Vault is nil")
		case w.Clock == nil:
			w.setupErr = errors.New("notify: Worker.Clock is nil")
		}
		if w.Timeout <= 0 {
			w.Timeout = DefaultTimeout
		}
		if w.Interval <= 0 {
			w.Interval = DefaultInterval
		}
		if w.MaxAttempts <= 0 {
			w.MaxAttempts = DefaultMaxAttempts
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

// Wake makes a waiting Run look for due notifications now, for example
// right after one was enqueued. It never blocks.
func (w *Worker) Wake() {
	_ = w.setup()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers notifications until ctx ends. When nothing is due it waits
// for the earliest scheduled attempt (by the Clock), a Wake (then Gather
// longer, for more to come), or a second, whichever comes first. Store errors are logged and retried. It returns an
// error only for a misconfigured Worker, and nil once ctx ends. Run one Run
// per Worker at a time; for more parallelism raise Concurrency or run more
// Workers.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.setup(); err != nil {
		return err
	}
	timer := time.NewTimer(pollCap)
	defer timer.Stop()
	for ctx.Err() == nil {
		n, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.Logger.Error("notify: deliveries", "err", err)
		}
		busy := n > 0 && err == nil
		if busy && time.Since(w.lastSeen) < pollCap {
			continue // more may be due; the backlog gauges can wait
		}
		wait := pollCap
		if count, next, err := w.backlog(ctx); err == nil && count > 0 {
			if busy {
				continue
			}
			// A past due time means another worker holds the lease: poll.
			if d := next.Sub(w.Clock.Now()); d > 0 && d < wait {
				wait = d
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
		case <-w.wake:
			if w.Gather > 0 {
				timer.Reset(w.Gather)
				select {
				case <-ctx.Done():
				case <-timer.C:
				}
			}
		case <-timer.C:
		}
	}
	return nil
}

// backlog reads the pending count and the earliest due time, and updates
// the gauges.
func (w *Worker) backlog(ctx context.Context) (int64, time.Time, error) {
	w.lastSeen = time.Now()
	var (
		count int64
		next  time.Time
	)
	err := w.Store.View(ctx, func(tx llgate.Tx) error {
		var err error
		count, next, err = tx.NotificationBacklog(ctx)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			w.Logger.Error("notify: backlog", "err", err)
		}
		return 0, time.Time{}, err
	}
	var overdue time.Duration
	if count > 0 {
		overdue = w.Clock.Now().Sub(next)
	}
	w.Metrics.setBacklog(count, overdue)
	return count, next, nil
}

// RunOnce claims up to Batch due notifications, makes one attempt at each
// (Concurrency at a time) and records it. It returns how many attempts were
// made and recorded. Delivery failures are recorded, not returned; the error
// is about the store. When ctx ends, attempts in flight are abandoned
// unrecorded and their leases given back, so another worker retries them at
// once; finished attempts are still recorded.
//
// Attempts are recorded by one goroutine that commits whatever has finished
// in one transaction (group commit): a commit waits for the disk, and one
// per attempt would cap a worker at a few dozen notifications a second.
func (w *Worker) RunOnce(ctx context.Context) (attempted int, err error) {
	if err := w.setup(); err != nil {
		return 0, err
	}
	now := w.Clock.Now()
	var claimed []*llgate.Notification
	err = w.Store.Update(ctx, func(tx llgate.Tx) error {
		var err error
		claimed, err = tx.ClaimNotifications(ctx, now, now.Add(w.Lease), w.Batch)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("notify: claim: %w", err)
	}
	if len(claimed) == 0 {
		return 0, nil
	}

	var (
		mu       sync.Mutex
		errs     []error
		giveUp   []*llgate.Notification // claimed, not attempted: release
		finished = make(chan *attempt, len(claimed))
		sem      = make(chan struct{}, w.Concurrency)
		senders  sync.WaitGroup
		recorder sync.WaitGroup
	)
	recorder.Go(func() {
		for a := range finished {
			n, err := w.recordAll(ctx, gatherAttempts(a, finished))
			mu.Lock()
			attempted += n
			if err != nil {
				errs = append(errs, err)
			}
			mu.Unlock()
		}
	})
	for _, n := range claimed {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			mu.Lock()
			giveUp = append(giveUp, n)
			mu.Unlock()
			continue
		}
		senders.Go(func() {
			a := w.attempt(ctx, n)
			<-sem
			if a == nil {
				mu.Lock()
				giveUp = append(giveUp, n)
				mu.Unlock()
				return
			}
			finished <- a
		})
	}
	senders.Wait()
	close(finished)
	recorder.Wait()
	if err := w.release(ctx, giveUp); err != nil {
		errs = append(errs, err)
	}
	return attempted, errors.Join(errs...)
}

// recordWindow is how long the recorder waits for more finished attempts
// before it writes what it has: fast deliveries share one commit (it used
// to write whatever had finished, often one, each with a durable commit),
// and a slow receiver holds back the others' records no longer than this.
const recordWindow = 20 * time.Millisecond

// gatherAttempts returns first and the attempts that finish within
// recordWindow, or until finished closes.
func gatherAttempts(first *attempt, finished <-chan *attempt) []*attempt {
	batch := []*attempt{first}
	t := time.NewTimer(recordWindow)
	defer t.Stop()
	for {
		select {
		case a, ok := <-finished:
			if !ok {
				return batch
			}
			batch = append(batch, a)
		case <-t.C:
			return batch
		}
	}
}

// attempt is one delivery attempt and, once recorded, where it left the
// notification.
type attempt struct {
	n     *llgate.Notification // as claimed
	start time.Time            // on the Clock
	result

	status string // after recording; "" when the notification was deleted meanwhile
	count  int
}

// result is what one attempt gave.
type result struct {
	status  int    // 0 without an HTTP answer
	answer  string // the answer's first bytes, or what went wrong
	acked   bool
	latency time.Duration
}

func (r *result) outcome() string {
	switch {
	case r.acked:
		return OutcomeDelivered
	case r.status != 0:
		return OutcomeRejected
	default:
		return OutcomeError
	}
}

// attempt makes one attempt at n. It returns nil when it made none: the
// lease is too short to finish one, or ctx ended; the caller gives the lease
// back.
func (w *Worker) attempt(ctx context.Context, n *llgate.Notification) *attempt {
	a := &attempt{n: n, start: w.Clock.Now()}
	// Deliveries wait for a slot, and the sandbox clock can jump: never
	// start an attempt that could outlive the lease, or a second worker
	// could make the same attempt.
	if a.start.Add(w.Timeout).After(n.LeaseUntil) {
		return nil
	}
	body, err := w.Vault.Open(ctx, n.OidPartner, llgate.TableNotifications, n.ID, n.Body)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		// The vault's errors are about keys, never the plaintext.
		a.answer = "llgate: cannot open the stored notification: " + err.Error()
		return a
	}
	a.result = w.post(ctx, n.URL, body)
	if ctx.Err() != nil {
		return nil // we cut it short, not the merchant
	}
	return a
}

// post sends body to url once and reads the answer.
func (w *Worker) post(ctx context.Context, target string, body []byte) result {
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	began := time.Now()
	var r result
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		r.answer = "bad notify_url: " + unwrapURL(err).Error()
		return r
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("User-Agent", "llgate-notify")
	resp, err := w.client.Do(req)
	if err != nil {
		r.answer = w.describe(err)
		r.latency = time.Since(began)
		return r
	}
	defer resp.Body.Close()
	r.status = resp.StatusCode
	ans, err := io.ReadAll(io.LimitReader(resp.Body, w.MaxAnswer+1))
	r.latency = time.Since(began)
	if err != nil {
		r.answer = clip(string(ans), AnswerRecorded/2) + " [reading the answer: " + w.describe(err) + "]"
		return r
	}
	// Let the connection be reused when the rest is short.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	r.answer = clip(string(ans), AnswerRecorded)
	r.acked = int64(len(ans)) <= w.MaxAnswer && Ack(resp.StatusCode, ans)
	return r
}

// describe turns a transport error into the text an Attempt records.
func (w *Worker) describe(err error) string {
	err = unwrapURL(err)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("timeout: no answer within %s", w.Timeout)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed without an answer (" + err.Error() + ")"
	}
	return clip(err.Error(), AnswerRecorded)
}

// unwrapURL drops the "Post \"url\": " prefix of client errors: the URL is
// on the notification already.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// clip makes s storable as text on both engines (valid UTF-8, no NUL) and
// cuts it to at most n bytes on a character boundary.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// recordTimeout bounds recording a batch of attempts. Recording goes on
// after the worker's context ends: those attempts were made.
const recordTimeout = 30 * time.Second

// recordAll records a batch of attempts in one transaction, or one by one
// if that fails, and returns how many it recorded.
func (w *Worker) recordAll(ctx context.Context, batch []*attempt) (int, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	// One lock order for every worker.
	slices.SortFunc(batch, func(a, b *attempt) int { return strings.Compare(a.n.ID, b.n.ID) })
	err := w.Store.Update(ctx, func(tx llgate.Tx) error {
		for _, a := range batch {
			if err := w.record(ctx, tx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		for _, a := range batch {
			w.report(a)
		}
		return len(batch), nil
	}
	if len(batch) == 1 {
		return 0, fmt.Errorf("notify: record attempt of %s: %w", batch[0].n.ID, err)
	}
	var (
		errs []error
		ok   int
	)
	for _, a := range batch {
		k, err := w.recordAll(ctx, []*attempt{a})
		ok += k
		errs = append(errs, err)
	}
	return ok, errors.Join(errs...)
}

// report logs a recorded attempt and counts it.
func (w *Worker) report(a *attempt) {
	w.Metrics.attempt(a.outcome(), a.latency)
	log := w.Logger.With("id", a.n.ID, "oid_partner", a.n.OidPartner, "kind", a.n.Kind, "attempt", a.count,
		"http_status", a.result.status, "latency_ms", a.latency.Milliseconds(), "outcome", a.outcome())
	switch {
	case a.status == "":
		log.Info("notify: notification deleted during its attempt")
	case a.status == llgate.NotifyFailed:
		log.Warn("notify: no acknowledgement after the last attempt; giving up", "answer", a.answer)
	case !a.acked:
		log.Info("notify: attempt not acknowledged", "answer", a.answer)
	default:
		log.Debug("notify: delivered")
	}
}

// record stores the attempt and moves the notification on: delivered on an
// acknowledgement, failed after the last attempt, else due again Interval
// after this attempt started (so a clock jump makes one attempt due, not a
// burst). It sets a.status and a.count to where it left the notification.
//
// The row is read again under lock: key rotation may have re-sealed its
// body, and an admin resend may have reset it, since the claim. If another
// worker has claimed it since (only after a clock jump past the lease), the
// attempt is recorded but the owner decides what comes next, unless this
// attempt was acknowledged: that ends the notification whoever holds it.
func (w *Worker) record(ctx context.Context, tx llgate.Tx, a *attempt) error {
	a.status, a.count = "", 0
	cur, err := tx.Notification(ctx, a.n.ID)
	if errors.Is(err, llgate.ErrNotFound) {
		return nil // deleted by a sandbox reset
	}
	if err != nil {
		return err
	}
	err = tx.InsertAttempt(ctx, &llgate.Attempt{
		NotificationID: a.n.ID, At: a.start, HTTPStatus: a.result.status,
		LatencyMS: a.latency.Milliseconds(), Answer: a.answer,
	})
	if err != nil {
		return err
	}
	a.status, a.count = cur.Status, cur.AttemptCount
	owned := cur.LeaseUntil.Equal(a.n.LeaseUntil)
	if cur.Status != llgate.NotifyPending || !owned && !a.acked {
		if !owned || cur.LeaseUntil.IsZero() {
			return nil
		}
		cur.LeaseUntil, cur.UpdatedAt = time.Time{}, w.Clock.Now()
		return tx.UpdateNotification(ctx, cur)
	}
	cur.AttemptCount++
	switch {
	case a.acked:
		cur.Status = llgate.NotifyDelivered
	case cur.AttemptCount >= w.MaxAttempts:
		cur.Status = llgate.NotifyFailed
	default:
		cur.NextAttemptAt = a.start.Add(w.Interval)
	}
	cur.LeaseUntil, cur.UpdatedAt = time.Time{}, w.Clock.Now()
	a.status, a.count = cur.Status, cur.AttemptCount
	return tx.UpdateNotification(ctx, cur)
}

// release gives back the leases of claimed notifications no attempt was
// made at, so that any worker may take them at once.
func (w *Worker) release(ctx context.Context, ns []*llgate.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	slices.SortFunc(ns, func(a, b *llgate.Notification) int { return strings.Compare(a.ID, b.ID) })
	err := w.Store.Update(ctx, func(tx llgate.Tx) error {
		for _, n := range ns {
			cur, err := tx.Notification(ctx, n.ID)
			if errors.Is(err, llgate.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if !cur.LeaseUntil.Equal(n.LeaseUntil) {
				continue
			}
			cur.LeaseUntil = time.Time{}
			if err := tx.UpdateNotification(ctx, cur); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("notify: release leases: %w", err)
	}
	return nil
}
