package llgate

import (
	"context"
	"encoding/json"
	"time"
)

// Sandbox holds the operations only the sandbox has: moving the clock,
// reading the SMS inbox, resetting data. The admin API and the console both
// call them; a gateway has none (its Sandbox is nil).
type Sandbox struct {
	Store     Store
	Vault     Vault
	Clock     *SandboxClock
	Merchants *Merchants
	Log       *RequestLog
	// Wake tells the background work that something may have come due.
	Wake func()
	// Settle, when set, settles the payments and refunds that are due
	// (the settle loop's work), run by Advance before it returns.
	Settle func(context.Context) error
}

// Advance moves the clock forward by d for every replica (d from 1 second to
// 10 years), settles what that made due, and wakes the work that may have
// come due (notifications among it).
func (s *Sandbox) Advance(ctx context.Context, d time.Duration) (time.Time, error) {
	if d < time.Second || d > MaxAdvance {
		return time.Time{}, &ValidationError{Msg: "advance_seconds must be a whole number from 1 to 315360000"}
	}
	now, err := s.Clock.Advance(ctx, d)
	if err != nil {
		return now, err
	}
	if s.Settle != nil {
		// What the step made due is settled before the caller hears the
		// new time, so a query right after it sees the outcome. Bounded:
		// the settle loop finishes whatever this leaves.
		sctx, cancel := context.WithTimeout(ctx, settleOnAdvance)
		_ = s.Settle(sctx)
		cancel()
	}
	if s.Wake != nil {
		s.Wake()
	}
	return now, nil
}

// settleOnAdvance bounds the settling a clock step waits for.
const settleOnAdvance = 5 * time.Second

// MaxAdvance is the longest step the clock takes at once.
const MaxAdvance = 10 * 365 * 24 * time.Hour

// InboxMessage is one text of the sandbox inbox.
type InboxMessage struct {
	OidPartner string
	Mobile     string
	Code       string
	Text       string
	SentAt     time.Time
}

// Inbox returns the texts sent to mobile, newest first (looked up by the
// phone's fingerprint: the store holds no phone in clear).
func (s *Sandbox) Inbox(ctx context.Context, mobile string, limit int) ([]InboxMessage, error) {
	return s.InboxOf(ctx, s.PhoneKey(mobile), limit)
}

// PhoneKey is the keyed fingerprint the inbox files a phone's texts under:
// what a page may put in a URL instead of the phone.
func (s *Sandbox) PhoneKey(mobile string) string { return s.Vault.Fingerprint("mobile", mobile) }

// InboxOf returns the texts filed under a PhoneKey, newest first.
func (s *Sandbox) InboxOf(ctx context.Context, phoneKey string, limit int) ([]InboxMessage, error) {
	msgs, err := view(ctx, s.Store, func(tx Tx) ([]*SMSMessage, error) {
		return tx.SMSMessages(ctx, phoneKey, limit)
	})
	if err != nil {
		return nil, err
	}
	out := make([]InboxMessage, 0, len(msgs))
	for _, m := range msgs {
		plain, err := s.Vault.Open(ctx, m.OidPartner, TableSMS, m.ID, m.Sealed)
		if err != nil {
			return nil, err
		}
		var c SMSContent
		if err := json.Unmarshal(plain, &c); err != nil {
			return nil, err
		}
		out = append(out, InboxMessage{OidPartner: m.OidPartner, Mobile: c.Mobile, Code: c.Code, Text: c.Text, SentAt: m.SentAt})
	}
	return out, nil
}

// Reset deletes one merchant's data (users, agreements, orders, refunds,
// SMS, counters; the merchant stays), or with oid "" every merchant and all
// their data. ErrNotFound for an unknown merchant.
func (s *Sandbox) Reset(ctx context.Context, oid string) error {
	s.Log.Sync() // what is queued would otherwise land after the reset
	err := s.Store.Update(ctx, func(tx Tx) error {
		if oid != "" {
			if _, err := tx.Merchant(ctx, oid); err != nil {
				return err
			}
		}
		return tx.Reset(ctx, oid)
	})
	if err != nil {
		return err
	}
	s.Merchants.Forget()
	return nil
}
