package llgate

import "context"

// SMS is one text message to send.
type SMS struct {
	OidPartner string // the merchant the code is for
	Mobile     string // 11-digit phone
	Code       string // the one-time code inside Text ("" for other texts)
	Text       string
}

// SMSSender delivers texts. Send is called after the state that needs the
// code is committed; an error makes the caller answer 9704.
type SMSSender interface {
	Send(ctx context.Context, m SMS) error
}

// SMSStager is an SMSSender that can also record a text inside the
// caller's transaction (the sandbox outbox): the text is then kept if and
// only if the state that needs its code commits, in one commit instead of
// two. Stage does what must not run inside a transaction (sealing) and
// returns the write that must.
type SMSStager interface {
	SMSSender
	Stage(ctx context.Context, m SMS) (func(ctx context.Context, tx Tx) error, error)
}

// smsWrite prepares m for the caller's transaction when the sender can
// stage it. It returns nil when the text is to be sent after the commit
// (by send) instead, and an error answering 9704 when staging failed.
func smsWrite(ctx context.Context, s SMSSender, m SMS) (func(ctx context.Context, tx Tx) error, error) {
	st, ok := s.(SMSStager)
	if !ok {
		return nil, nil
	}
	w, err := st.Stage(ctx, m)
	if err != nil {
		return nil, &Error{Code: CodeSMSFailed, Detail: "the SMS provider failed", Err: err}
	}
	return w, nil
}

// sendSMS sends m through s after the commit; an error answers 9704.
func sendSMS(ctx context.Context, s SMSSender, m SMS) error {
	if err := s.Send(ctx, m); err != nil {
		return &Error{Code: CodeSMSFailed, Detail: "the SMS provider failed", Err: err}
	}
	return nil
}

// SMSContent is what an SMSMessage holds under its seal.
type SMSContent struct {
	Mobile string `json:"mobile"`
	Code   string `json:"code"`
	Text   string `json:"text"`
}

// Table names that sealed values are bound to (with owner and row).
const (
	TableSMS           = "sms_messages"
	TableReports       = "reports"
	TableNotifications = "notifications"
	TableAgreements    = "agreements"
	TableChallenges    = "challenges"
)
