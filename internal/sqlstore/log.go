package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/llgate/llgate"
)

// defaultLimit is the page size of the request log and the SMS inbox when
// the caller asks for none.
const defaultLimit = 100

// The request log and the SMS outbox are append-only, so their reads take no
// row locks even inside Update: there is no later write for a lock to order.

// InsertRequestLog appends e and sets e.ID.
func (t *Tx) InsertRequestLog(ctx context.Context, e *llgate.RequestLogEntry) error {
	return t.InsertRequestLogs(ctx, []*llgate.RequestLogEntry{e})
}

// requestLogRows is the most entries one INSERT carries. A batch goes in
// chunks of powers of two, so that only a few statement texts exist, each
// prepared once per connection.
const requestLogRows = 64

// requestLogCols is the number of values an entry inserts.
const requestLogCols = 7

// requestLogInsert[n] inserts n entries, for n a power of two up to
// requestLogRows.
var requestLogInsert = func() map[int]string {
	m := map[int]string{}
	for n := 1; n <= requestLogRows; n *= 2 {
		var b strings.Builder
		b.WriteString(`INSERT INTO request_log (logged_at, path, oid_partner, ret_code, reason, latency_ms, detail) VALUES `)
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			k := requestLogCols * i
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6, k+7)
		}
		// RETURNING, not LastInsertId, which PostgreSQL does not have.
		b.WriteString(` RETURNING id`)
		m[n] = b.String()
	}
	return m
}()

// InsertRequestLogs appends es, in order, and sets their IDs.
func (t *Tx) InsertRequestLogs(ctx context.Context, es []*llgate.RequestLogEntry) error {
	if !t.writable {
		return errReadOnly
	}
	for len(es) > 0 {
		n := 1
		for n*2 <= min(len(es), requestLogRows) {
			n *= 2
		}
		chunk := es[:n]
		es = es[n:]
		args := make([]any, 0, requestLogCols*n)
		for _, e := range chunk {
			args = append(args, ms(e.At), e.Path, e.OidPartner, e.RetCode, e.Reason, e.LatencyMS, e.Detail)
		}
		ids, err := queryAll(ctx, t, func(s scanner) (int64, error) {
			var id int64
			return id, s.Scan(&id)
		}, requestLogInsert[n], args...)
		if err != nil {
			return fmt.Errorf("insert request log: %w", t.mapErr(err))
		}
		if len(ids) != n {
			return fmt.Errorf("insert request log: %d ids for %d entries", len(ids), n)
		}
		// The rows of one INSERT take increasing ids in VALUES order;
		// RETURNING promises no order, so sort.
		slices.Sort(ids)
		for i, e := range chunk {
			e.ID = ids[i]
		}
	}
	return nil
}

const requestLogLine = `id, logged_at, path, oid_partner, ret_code, reason, latency_ms`

// scanRequestLog scans requestLogLine, and the detail when detail is set.
func scanRequestLog(detail bool) func(s scanner) (*llgate.RequestLogEntry, error) {
	return func(s scanner) (*llgate.RequestLogEntry, error) {
		var (
			e  llgate.RequestLogEntry
			at int64
		)
		dest := []any{&e.ID, &at, &e.Path, &e.OidPartner, &e.RetCode, &e.Reason, &e.LatencyMS}
		if detail {
			dest = append(dest, &e.Detail)
		}
		err := s.Scan(dest...)
		e.At = fromMS(at)
		return &e, err
	}
}

// RequestLog returns the page q selects (100 entries when q.Limit <= 0),
// newest first, of one merchant or, with q.OidPartner "", of all, without
// their details (which are large; RequestLogByID reads one).
func (t *Tx) RequestLog(ctx context.Context, q llgate.ListQuery) ([]*llgate.RequestLogEntry, error) {
	var w where
	w.eq("oid_partner", q.OidPartner)
	q.Limit = limitOr(q.Limit, defaultLimit)
	return list(ctx, t, "request log", scanRequestLog(false), `SELECT `+requestLogLine+` FROM request_log`, &w, `id DESC`, q)
}

// RequestLogByID returns one entry with its detail.
func (t *Tx) RequestLogByID(ctx context.Context, id int64) (*llgate.RequestLogEntry, error) {
	return queryOne(ctx, t, fmt.Sprintf("request log entry %d", id), scanRequestLog(true),
		`SELECT `+requestLogLine+`, detail FROM request_log WHERE id = $1`, id)
}

// RequestCodes counts the merchant's entries per path and ret_code, with
// the newest logged_at of each, ordered by path then ret_code: one pass
// over the index request_log_codes, which holds every column it reads.
// The order is Go's (bytewise), not the database's: a PostgreSQL
// collation would sort punctuation in paths otherwise.
func (t *Tx) RequestCodes(ctx context.Context, oidPartner string) ([]llgate.CodeCount, error) {
	cs, err := queryAll(ctx, t, func(s scanner) (llgate.CodeCount, error) {
		var (
			c    llgate.CodeCount
			last int64
		)
		err := s.Scan(&c.Path, &c.RetCode, &c.Count, &last)
		c.Last = fromMS(last)
		return c, err
	}, `SELECT path, ret_code, CAST(COUNT(*) AS BIGINT), CAST(MAX(logged_at) AS BIGINT) FROM request_log
		WHERE oid_partner = $1 GROUP BY path, ret_code`, oidPartner)
	if err != nil {
		return nil, fmt.Errorf("request codes of %s: %w", oidPartner, err)
	}
	slices.SortFunc(cs, func(a, b llgate.CodeCount) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), strings.Compare(a.RetCode, b.RetCode))
	})
	return cs, nil
}

// PruneRequestLog deletes the entries logged before before.
func (t *Tx) PruneRequestLog(ctx context.Context, before time.Time) (int64, error) {
	n, err := t.exec(ctx, `DELETE FROM request_log WHERE logged_at < $1`, ms(before))
	if err != nil {
		return 0, fmt.Errorf("prune request log: %w", err)
	}
	return n, nil
}

// InsertSMS appends m; ErrConflict if m.ID is taken.
func (t *Tx) InsertSMS(ctx context.Context, m *llgate.SMSMessage) error {
	n, err := t.exec(ctx, `INSERT INTO sms_messages (id, oid_partner, mobile_fp, sealed, sent_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		m.ID, m.OidPartner, m.MobileFP, blob(m.Sealed), ms(m.SentAt))
	if err != nil {
		return fmt.Errorf("insert sms %s: %w", m.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("sms %s: %w", m.ID, llgate.ErrConflict)
	}
	return nil
}

// SMSMessages returns up to limit messages (100 when limit <= 0), newest
// first, sent to one phone fingerprint or, with mobileFP "", to any.
// Messages sent in the same millisecond come newest-inserted first.
func (t *Tx) SMSMessages(ctx context.Context, mobileFP string, limit int) ([]*llgate.SMSMessage, error) {
	q := `SELECT id, oid_partner, mobile_fp, sealed, sent_at FROM sms_messages`
	args := []any{limitOr(limit, defaultLimit)}
	if mobileFP != "" {
		q += ` WHERE mobile_fp = $2`
		args = append(args, mobileFP)
	}
	q += ` ORDER BY sent_at DESC, seq DESC LIMIT CAST($1 AS BIGINT)`
	return queryAll(ctx, t, func(s scanner) (*llgate.SMSMessage, error) {
		var (
			m    llgate.SMSMessage
			sent int64
		)
		err := s.Scan(&m.ID, &m.OidPartner, &m.MobileFP, &m.Sealed, &sent)
		m.Sealed, m.SentAt = blob(m.Sealed), fromMS(sent)
		return &m, err
	}, q, args...)
}
