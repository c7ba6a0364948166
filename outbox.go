package llgate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The notification schedule (CONTRACT.md §7).
const (
	NotifyInterval    = 2 * time.Minute // from one attempt's start to the next, on the Clock
	NotifyMaxAttempts = 30              // then the notification is failed
	// AnswerKept is how many bytes of a receiver's answer (or of what went
	// wrong) an Attempt keeps, masked.
	AnswerKept = 256
)

// ErrLeaseTooShort is Begin's answer when an attempt started now could
// outlive the notification's lease: give the lease back (Release) instead,
// or a second deliverer could make the same attempt.
var ErrLeaseTooShort = errors.New("llgate: the lease would run out during the attempt")

// recordTimeout bounds the transactions that settle claimed notifications.
// They run even after the deliverer's context ends: those attempts were
// made, those leases are held.
const recordTimeout = 30 * time.Second

// Outbox owns the notification lifecycle: a deliverer (package notify)
// claims due notifications with a lease, Begins an attempt at each, and
// hands the finished attempts back to Record, which moves each notification
// on: delivered on an acknowledgement, failed after MaxAttempts or at once
// when the address guard refused the connection, else due again Interval
// after the attempt's start (so a clock jump makes one attempt due, not a
// burst). Leases a deliverer cannot use go back with Release, or with Defer
// when the receiver is too busy to take an attempt now. Admins List and
// Resend.
//
// Leases are measured on the Clock (the sandbox clock when it is one) and
// must outlast an attempt: any number of deliverers, in one process or in
// replicas on one PostgreSQL database, may share the outbox; live ones never
// attempt a notification twice at once, and after a crash the lease runs out
// and another retries it (at least once). Every transaction that writes
// several notifications takes their locks in ID order.
type Outbox struct {
	Store       Store
	Vault       Vault
	Clock       Clock
	Interval    time.Duration // 0 = NotifyInterval
	MaxAttempts int           // 0 = NotifyMaxAttempts
	Wake        func()        // tells the deliverer a notification came due (Resend); may be nil
	// Merchants, when set, gives each delivery its merchant's
	// notify_content_type (cached); nil: every delivery is NotifyJSONText.
	Merchants *Merchants
}

func (o *Outbox) interval() time.Duration {
	if o.Interval > 0 {
		return o.Interval
	}
	return NotifyInterval
}

func (o *Outbox) maxAttempts() int {
	if o.MaxAttempts > 0 {
		return o.MaxAttempts
	}
	return NotifyMaxAttempts
}

// ClaimRequest says what a deliverer claims.
type ClaimRequest struct {
	Limit int           // at most this many notifications
	Lease time.Duration // on the Clock, from now; longer than an attempt can take
	// Later, when set, is told the claimed notifications and says, for each,
	// 0 to take it, or how long to defer it because its receiver cannot
	// take an attempt soon (its host is at the deliverer's limit). Deferred
	// ones are due again that much later (on the Clock), lease given back,
	// no attempt counted, in the claim's own transaction, so the next claim
	// picks other receivers' notifications first. Later runs inside the
	// transaction, possibly more than once: it must not change anything.
	Later func(claimed []*Notification) []time.Duration
}

// Claim leases up to r.Limit due notifications (earliest due first) and
// returns those not deferred, with how many were deferred.
func (o *Outbox) Claim(ctx context.Context, r ClaimRequest) (claimed []*Notification, deferred int, err error) {
	if r.Lease <= 0 {
		return nil, 0, errors.New("llgate: claim without a lease")
	}
	now := o.Clock.Now()
	err = o.Store.Update(ctx, func(tx Tx) error {
		claimed, deferred = nil, 0
		ns, err := tx.ClaimNotifications(ctx, now, now.Add(r.Lease), r.Limit)
		if err != nil || r.Later == nil {
			claimed = ns
			return err
		}
		later := r.Later(ns)
		for i, n := range ns {
			if later[i] <= 0 {
				claimed = append(claimed, n)
				continue
			}
			// Locked by the claim, in this transaction: nothing moved it.
			n.NextAttemptAt, n.LeaseUntil = now.Add(later[i]), time.Time{}
			if err := tx.UpdateNotification(ctx, n); err != nil {
				return err
			}
			deferred++
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("claim notifications: %w", err)
	}
	return claimed, deferred, nil
}

// Delivery is one attempt at a claimed notification, from Begin to Record.
// The deliverer fills in what the receiver did; Answer and Problem are kept
// raw until Record masks them.
type Delivery struct {
	Notification *Notification // as claimed
	Start        time.Time     // on the Clock
	Body         []byte        // the signed body to send, opened; nil when Problem says it cannot be
	ContentType  string        // the merchant's notify_content_type (NotifyJSONText by default)

	HTTPStatus int           // 0 without an HTTP answer
	Answer     string        // the answer's first bytes, raw
	Problem    string        // what went wrong, if anything: a transport error, a cut-short read
	Latency    time.Duration // wall time
	Acked      bool          // the receiver acknowledged (COMPAT.md)
	Refused    bool          // the address guard refused the connection: failed at once, no retry

	// Set by Record.
	Stored string // the text the Attempt keeps (and logs may show): Answer and Problem, masked
	Status string // where the notification was left; "" when it was deleted meanwhile
	Count  int    // its attempt count after this one

	known []string // personal values of the body, masked wherever a receiver echoes them
}

// Begin starts an attempt at a claimed notification, now by the Clock, that
// may take up to timeout. It opens the body; a body the vault cannot open
// makes an attempt that fails at once (Problem says why, never the data).
// ErrLeaseTooShort, or ctx's error: make no attempt, Release the lease.
func (o *Outbox) Begin(ctx context.Context, n *Notification, timeout time.Duration) (*Delivery, error) {
	d := &Delivery{Notification: n, Start: o.Clock.Now(), ContentType: NotifyJSONText}
	// Deliveries wait for a slot, and the sandbox clock can jump.
	if d.Start.Add(timeout).After(n.LeaseUntil) {
		return nil, ErrLeaseTooShort
	}
	body, err := o.Vault.Open(ctx, n.OidPartner, TableNotifications, n.ID, n.Body)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// The vault's errors are about keys, never the plaintext.
		d.Problem = "llgate: cannot open the stored notification: " + err.Error()
		return d, nil
	}
	d.Body, d.known = body, personalValues(body)
	if o.Merchants != nil {
		// A merchant that cannot be read (deleted by a reset meanwhile)
		// gets the default: the attempt itself says what happened.
		if a, err := o.Merchants.Auth(ctx, n.OidPartner); err == nil {
			d.ContentType = a.Merchant.ContentType()
		}
	}
	return d, nil
}

// mask sets d.Stored: the answer and the problem, each masked and cut, at
// most AnswerKept bytes together.
func (d *Delivery) mask() {
	switch {
	case d.Problem == "":
		d.Stored = Redact(d.Answer, AnswerKept, d.known...)
	case d.Answer == "":
		d.Stored = Redact(d.Problem, AnswerKept, d.known...)
	default:
		a := Redact(d.Answer, AnswerKept/2, d.known...)
		d.Stored = a + " [" + Redact(d.Problem, AnswerKept-len(a)-3, d.known...) + "]"
	}
}

// Record stores finished attempts in one transaction, or one by one if that
// fails, and returns those it recorded, each with Stored, Status and Count
// set. It goes on after ctx ends (up to 30 s).
func (o *Outbox) Record(ctx context.Context, ds []*Delivery) ([]*Delivery, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	for _, d := range ds {
		d.mask()
	}
	return o.recordAll(ctx, ds)
}

func (o *Outbox) recordAll(ctx context.Context, ds []*Delivery) ([]*Delivery, error) {
	slices.SortFunc(ds, func(a, b *Delivery) int { return strings.Compare(a.Notification.ID, b.Notification.ID) })
	err := o.Store.Update(ctx, func(tx Tx) error {
		for _, d := range ds {
			if err := o.record(ctx, tx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		return ds, nil
	}
	if len(ds) == 1 {
		return nil, fmt.Errorf("record attempt of %s: %w", ds[0].Notification.ID, err)
	}
	var (
		ok   []*Delivery
		errs []error
	)
	for _, d := range ds {
		done, err := o.recordAll(ctx, []*Delivery{d})
		ok = append(ok, done...)
		errs = append(errs, err)
	}
	return ok, errors.Join(errs...)
}

// record stores one attempt and moves its notification on.
//
// The row is read again under lock: key rotation may have re-sealed its
// body, an admin resend may have reset it, a sandbox reset deleted it, since
// the claim. If another deliverer has claimed it since (only after a clock
// jump past the lease), the attempt is recorded but the owner decides what
// comes next, unless this attempt was acknowledged: that ends the
// notification whoever holds it.
func (o *Outbox) record(ctx context.Context, tx Tx, d *Delivery) error {
	d.Status, d.Count = "", 0
	cur, err := tx.Notification(ctx, d.Notification.ID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	err = tx.InsertAttempt(ctx, &Attempt{
		NotificationID: cur.ID, At: d.Start, HTTPStatus: d.HTTPStatus,
		LatencyMS: d.Latency.Milliseconds(), Answer: d.Stored,
	})
	if err != nil {
		return err
	}
	d.Status, d.Count = cur.Status, cur.AttemptCount
	owned := cur.LeaseUntil.Equal(d.Notification.LeaseUntil)
	if cur.Status != NotifyPending || !owned && !d.Acked {
		if !owned || cur.LeaseUntil.IsZero() {
			return nil
		}
		cur.LeaseUntil, cur.UpdatedAt = time.Time{}, o.Clock.Now()
		return tx.UpdateNotification(ctx, cur)
	}
	cur.AttemptCount++
	switch {
	case d.Acked:
		cur.Status = NotifyDelivered
	case d.Refused, cur.AttemptCount >= o.maxAttempts():
		cur.Status = NotifyFailed
	default:
		cur.NextAttemptAt = d.Start.Add(o.interval())
	}
	cur.LeaseUntil, cur.UpdatedAt = time.Time{}, o.Clock.Now()
	d.Status, d.Count = cur.Status, cur.AttemptCount
	return tx.UpdateNotification(ctx, cur)
}

// Release gives back the leases of claimed notifications no attempt was
// made at, so that any deliverer may take them at once.
func (o *Outbox) Release(ctx context.Context, ns []*Notification) error {
	ds := make([]Deferral, len(ns))
	for i, n := range ns {
		ds[i] = Deferral{Notification: n}
	}
	return o.Defer(ctx, ds)
}

// Deferral is a claimed notification to give back, due again For from now
// (0: due as it was).
type Deferral struct {
	Notification *Notification
	For          time.Duration
}

// Defer gives back the leases of claimed notifications whose receiver
// cannot take an attempt soon, each due again as its Deferral says; no
// attempt is counted. One that another deliverer has claimed since is left
// alone.
func (o *Outbox) Defer(ctx context.Context, ds []Deferral) error {
	if len(ds) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	ds = slices.Clone(ds)
	slices.SortFunc(ds, func(a, b Deferral) int { return strings.Compare(a.Notification.ID, b.Notification.ID) })
	now := o.Clock.Now()
	err := o.Store.Update(ctx, func(tx Tx) error {
		for _, d := range ds {
			cur, err := tx.Notification(ctx, d.Notification.ID)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if !cur.LeaseUntil.Equal(d.Notification.LeaseUntil) {
				continue // not ours any more
			}
			cur.LeaseUntil = time.Time{}
			if d.For > 0 && cur.Status == NotifyPending {
				cur.NextAttemptAt = now.Add(d.For)
			}
			if err := tx.UpdateNotification(ctx, cur); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("give back %d notification leases: %w", len(ds), err)
	}
	return nil
}

// Backlog counts pending notifications and returns the earliest time one
// is due (zero when none is pending).
func (o *Outbox) Backlog(ctx context.Context) (int64, time.Time, error) {
	var (
		count int64
		next  time.Time
	)
	err := o.Store.View(ctx, func(tx Tx) error {
		var err error
		count, next, err = tx.NotificationBacklog(ctx)
		return err
	})
	return count, next, err
}
