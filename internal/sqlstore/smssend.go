package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/llgate/llgate"
)

// InsertSMSSend records one text sent, for the send caps.
func (t *Tx) InsertSMSSend(ctx context.Context, s *llgate.SMSSend) error {
	if _, err := t.exec(ctx, `INSERT INTO sms_sends (kind, key, sent_at, oid_partner)
		VALUES ($1, $2, $3, $4)`, s.Kind, s.Key, ms(s.At), s.OidPartner); err != nil {
		return fmt.Errorf("insert sms send %s: %w", s.Kind, err)
	}
	return nil
}

// CountSMSSends counts the texts of kind and key sent at or after since. The
// log is append-only, so the count takes no lock: a caller that checks a cap
// and then sends must hold a lock that serializes the senders it caps.
func (t *Tx) CountSMSSends(ctx context.Context, kind, key string, since time.Time) (int, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sms_sends
		WHERE kind = $1 AND key = $2 AND sent_at >= $3`, kind, key, ms(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count sms sends %s: %w", kind, err)
	}
	return n, nil
}
