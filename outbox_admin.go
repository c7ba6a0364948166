package llgate

import "context"

// OutboxEntry is a notification with its attempts, oldest first.
type OutboxEntry struct {
	Notification *Notification
	Attempts     []*Attempt
}

// List returns the notifications f selects, newest first, with their
// attempts (the admin API).
func (o *Outbox) List(ctx context.Context, f NotificationFilter) ([]OutboxEntry, error) {
	return view(ctx, o.Store, func(tx Tx) ([]OutboxEntry, error) {
		ns, err := tx.Notifications(ctx, f)
		if err != nil {
			return nil, err
		}
		out := make([]OutboxEntry, 0, len(ns))
		for _, n := range ns {
			as, err := tx.Attempts(ctx, n.ID)
			if err != nil {
				return nil, err
			}
			out = append(out, OutboxEntry{Notification: n, Attempts: as})
		}
		return out, nil
	})
}

// Resend makes a notification due now with a fresh round of attempts,
// whatever its state, and wakes the deliverer. ErrNotFound when there is no
// such notification. An attempt in flight meanwhile counts as the first of
// the new round.
func (o *Outbox) Resend(ctx context.Context, id string) (*OutboxEntry, error) {
	var out OutboxEntry
	err := o.Store.Update(ctx, func(tx Tx) error {
		n, err := tx.Notification(ctx, id)
		if err != nil {
			return err
		}
		now := o.Clock.Now()
		n.Status, n.AttemptCount, n.NextAttemptAt, n.UpdatedAt = NotifyPending, 0, now, now
		if err := tx.UpdateNotification(ctx, n); err != nil {
			return err
		}
		as, err := tx.Attempts(ctx, n.ID)
		out = OutboxEntry{Notification: n, Attempts: as}
		return err
	})
	if err != nil {
		return nil, err
	}
	if o.Wake != nil {
		o.Wake()
	}
	return &out, nil
}

// OutboxDetail is one notification as the console shows it: its attempts
// and the body it sends, opened and masked by the one policy.
type OutboxDetail struct {
	OutboxEntry
	Body string // "" when the body cannot be opened (Problem says why)
	// Problem is why the body cannot be shown: the vault's error, which
	// is about keys, never the plaintext.
	Problem string
}

// Get returns one notification with its attempts and its masked body.
// ErrNotFound when there is none.
func (o *Outbox) Get(ctx context.Context, id string) (*OutboxDetail, error) {
	out, err := view(ctx, o.Store, func(tx Tx) (*OutboxDetail, error) {
		n, err := tx.Notification(ctx, id)
		if err != nil {
			return nil, err
		}
		as, err := tx.Attempts(ctx, n.ID)
		return &OutboxDetail{OutboxEntry: OutboxEntry{Notification: n, Attempts: as}}, err
	})
	if err != nil {
		return nil, err
	}
	n := out.Notification
	body, err := o.Vault.Open(ctx, n.OidPartner, TableNotifications, n.ID, n.Body)
	if err != nil {
		out.Problem = "the stored body cannot be opened: " + err.Error()
		return out, nil
	}
	out.Body = Redact(string(body), len(body)+64, personalValues(body)...)
	return out, nil
}
