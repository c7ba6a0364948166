package sqlstore

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/llgate/llgate"
)

const notificationCols = `id, oid_partner, kind, no_order, no_refund, url, body, status,
	attempt_count, next_attempt_at, lease_until, created_at, updated_at`

func scanNotification(s scanner) (*llgate.Notification, error) {
	var (
		n                        llgate.Notification
		next, lease, created, up int64
	)
	if err := s.Scan(&n.ID, &n.OidPartner, &n.Kind, &n.NoOrder, &n.NoRefund, &n.URL, &n.Body,
		&n.Status, &n.AttemptCount, &next, &lease, &created, &up); err != nil {
		return nil, err
	}
	n.Body = blob(n.Body)
	n.NextAttemptAt, n.LeaseUntil = fromMS(next), fromMS(lease)
	n.CreatedAt, n.UpdatedAt = fromMS(created), fromMS(up)
	return &n, nil
}

// InsertNotification stores a new notification; ErrConflict if n.ID is taken.
func (t *Tx) InsertNotification(ctx context.Context, n *llgate.Notification) error {
	c, err := t.exec(ctx, `INSERT INTO notifications (`+notificationCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT DO NOTHING`,
		n.ID, n.OidPartner, n.Kind, n.NoOrder, n.NoRefund, n.URL, blob(n.Body), n.Status,
		n.AttemptCount, ms(n.NextAttemptAt), ms(n.LeaseUntil), ms(n.CreatedAt), ms(n.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert notification %s: %w", n.ID, err)
	}
	if c == 0 {
		return fmt.Errorf("notification %s: %w", n.ID, llgate.ErrConflict)
	}
	return nil
}

// Notification returns one notification, locked inside Update.
func (t *Tx) Notification(ctx context.Context, id string) (*llgate.Notification, error) {
	return queryOne(ctx, t, "notification "+id, scanNotification,
		`SELECT `+notificationCols+` FROM notifications WHERE id = $1`+t.lock, id)
}

// UpdateNotification overwrites every field but ID and CreatedAt.
func (t *Tx) UpdateNotification(ctx context.Context, n *llgate.Notification) error {
	c, err := t.exec(ctx, `UPDATE notifications SET oid_partner = $2, kind = $3, no_order = $4,
		no_refund = $5, url = $6, body = $7, status = $8, attempt_count = $9,
		next_attempt_at = $10, lease_until = $11, updated_at = $12
		WHERE id = $1`,
		n.ID, n.OidPartner, n.Kind, n.NoOrder, n.NoRefund, n.URL, blob(n.Body), n.Status,
		n.AttemptCount, ms(n.NextAttemptAt), ms(n.LeaseUntil), ms(n.UpdatedAt))
	if err != nil {
		return fmt.Errorf("update notification %s: %w", n.ID, err)
	}
	if c == 0 {
		return fmt.Errorf("notification %s: %w", n.ID, llgate.ErrNotFound)
	}
	return nil
}

// Notifications returns the page of notifications matching f, newest
// first, locked inside Update.
func (t *Tx) Notifications(ctx context.Context, f llgate.NotificationFilter) ([]*llgate.Notification, error) {
	var w where
	w.eq("oid_partner", f.OidPartner)
	w.eq("no_order", f.NoOrder)
	w.eq("no_refund", f.NoRefund)
	args, p := page(w.args, f.Limit, f.Offset)
	return queryAll(ctx, t, scanNotification, `SELECT `+notificationCols+` FROM notifications`+w.String()+
		` ORDER BY created_at DESC, seq DESC`+p+t.lock, args...)
}

// ClaimNotifications leases up to limit due notifications, earliest
// NextAttemptAt first. The rows are picked and leased in one statement; on
// PostgreSQL the picking SELECT skips rows another claimer has locked.
func (t *Tx) ClaimNotifications(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*llgate.Notification, error) {
	if !t.writable {
		return nil, errReadOnly
	}
	if limit <= 0 {
		return nil, nil
	}
	ns, err := queryAll(ctx, t, scanNotification, `UPDATE notifications SET lease_until = $1
		WHERE id IN (
			SELECT id FROM notifications
			WHERE status = $2 AND next_attempt_at <= $3 AND lease_until <= $3
			ORDER BY next_attempt_at, seq
			LIMIT CAST($4 AS BIGINT)`+t.d.ClaimSuffix+`
		)
		RETURNING `+notificationCols,
		ms(leaseUntil), llgate.NotifyPending, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", t.mapErr(err))
	}
	// RETURNING promises no order.
	sort.SliceStable(ns, func(i, j int) bool {
		if !ns[i].NextAttemptAt.Equal(ns[j].NextAttemptAt) {
			return ns[i].NextAttemptAt.Before(ns[j].NextAttemptAt)
		}
		return ns[i].CreatedAt.Before(ns[j].CreatedAt)
	})
	return ns, nil
}

// InsertAttempt records a delivery attempt; ErrNotFound when the
// notification does not exist. The existence test is part of the INSERT
// rather than left to the foreign key, whose violation would abort a
// PostgreSQL transaction. The casts give PostgreSQL the parameter types that
// a bare SELECT list does not.
func (t *Tx) InsertAttempt(ctx context.Context, a *llgate.Attempt) error {
	c, err := t.exec(ctx, `INSERT INTO notification_attempts
		(notification_id, attempted_at, http_status, latency_ms, answer)
		SELECT CAST($1 AS TEXT), CAST($2 AS BIGINT), CAST($3 AS INTEGER), CAST($4 AS BIGINT), CAST($5 AS TEXT)
		WHERE EXISTS (SELECT 1 FROM notifications WHERE id = $1)`,
		a.NotificationID, ms(a.At), a.HTTPStatus, a.LatencyMS, a.Answer)
	if err != nil {
		return fmt.Errorf("insert attempt of %s: %w", a.NotificationID, err)
	}
	if c == 0 {
		return fmt.Errorf("notification %s: %w", a.NotificationID, llgate.ErrNotFound)
	}
	return nil
}

// Attempts returns a notification's attempts, oldest first.
func (t *Tx) Attempts(ctx context.Context, notificationID string) ([]*llgate.Attempt, error) {
	return queryAll(ctx, t, func(s scanner) (*llgate.Attempt, error) {
		var (
			a  llgate.Attempt
			at int64
		)
		err := s.Scan(&a.NotificationID, &at, &a.HTTPStatus, &a.LatencyMS, &a.Answer)
		a.At = fromMS(at)
		return &a, err
	}, `SELECT notification_id, attempted_at, http_status, latency_ms, answer
		FROM notification_attempts WHERE notification_id = $1
		ORDER BY attempted_at, seq`, notificationID)
}

// NotificationBacklog counts pending notifications and finds the earliest
// NextAttemptAt among them.
func (t *Tx) NotificationBacklog(ctx context.Context) (int64, time.Time, error) {
	var n, next int64
	err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(next_attempt_at), 0)
		FROM notifications WHERE status = $1`, llgate.NotifyPending).Scan(&n, &next)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("notification backlog: %w", err)
	}
	return n, fromMS(next), nil
}
