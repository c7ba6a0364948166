package llgate

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// RequestDetail is what the request log keeps of one merchant request
// beyond its line: the request and the answer, masked, how its envelope
// went, and its signature check for the signature doctor. It is stored as
// JSON in RequestLogEntry.Detail.
type RequestDetail struct {
	// RequestText is the decoded request (the envelope's inside when there
	// was one), as indented JSON, masked.
	RequestText string `json:"request,omitempty"`
	// AnswerText is the answer as sent, masked (it carries no personal
	// data in clear anyway).
	AnswerText string `json:"answer,omitempty"`
	Encrypted  bool   `json:"encrypted,omitempty"`
	// Envelope is "" (plain), "opened", or "not opened: <step>" (the
	// step that failed: version, parts, base64, OAEP, HMAC ...; never key
	// material).
	Envelope string `json:"envelope,omitempty"`
	// Sign is nil when the request never reached the signature check.
	Sign *SignCheck `json:"sign,omitempty"`
}

// CodeCount is how often one path answered one ret_code, and when last.
type CodeCount struct {
	Path, RetCode string
	Count         int
	Last          time.Time
}

// KindSignSource is the fingerprint kind of the values a signature check
// records: a kind of its own, so that these fingerprints match no card,
// phone or person lookup.
const KindSignSource = "signsrc"

// SignFingerprint is the keyed fingerprint of a sign-source value
// (SignValue.FP): the vault's, shortened to 64 bits, which is plenty to
// tell a pasted value from another and says less about it.
func (l *RequestLog) SignFingerprint(value string) string {
	if l.vault == nil {
		return ""
	}
	fp := l.vault.Fingerprint(KindSignSource, value)
	return fp[:min(len(fp), 16)]
}

// Page returns a page of the log, newest first, of one merchant or
// (q.OidPartner "") all, after writing what is pending; more says whether
// more entries follow. Details are not loaded (Get loads one).
func (l *RequestLog) Page(ctx context.Context, q ListQuery) ([]*RequestLogEntry, bool, error) {
	l.Sync()
	return listPage(ctx, l.store, q, func(tx Tx, q ListQuery) ([]*RequestLogEntry, error) { return tx.RequestLog(ctx, q) })
}

// Get returns one entry and its detail, decoded; the detail is nil when
// the entry has none (a body that was not JSON, or an entry from before
// details were kept). ErrNotFound when there is no such entry.
func (l *RequestLog) Get(ctx context.Context, id int64) (*RequestLogEntry, *RequestDetail, error) {
	e, err := view(ctx, l.store, func(tx Tx) (*RequestLogEntry, error) { return tx.RequestLogByID(ctx, id) })
	if err != nil {
		return nil, nil, err
	}
	if e.Detail == "" {
		return e, nil, nil
	}
	var d RequestDetail
	if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
		return nil, nil, fmt.Errorf("request log entry %d: detail: %w", id, err)
	}
	return e, &d, nil
}

// Compare says where a sign source the user pasted first differs from the
// one llgate built for the checked request, value by value through the
// same fingerprint the pipeline used.
func (l *RequestLog) Compare(c *SignCheck, pasted string) SignDiff {
	return c.CompareSource(pasted, l.SignFingerprint)
}

// Codes counts the merchant's requests per path and ret_code, with the
// newest time of each, after writing what is pending: which return codes
// its tests have met.
func (l *RequestLog) Codes(ctx context.Context, oid string) ([]CodeCount, error) {
	l.Sync()
	return view(ctx, l.store, func(tx Tx) ([]CodeCount, error) { return tx.RequestCodes(ctx, oid) })
}
