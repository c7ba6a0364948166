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

// SMSRecorder is an SMSSender that records a text inside the caller's
// transaction instead (the sandbox outbox): the text is then kept if and
// only if the state that needs its code commits, in one commit instead of
// two.
type SMSRecorder interface {
	SMSSender
	Record(ctx context.Context, tx Tx, m SMS) error
}

// codeText is the text that carries a one-time code, on its way out: a
// recorder (the sandbox outbox) keeps it inside the transaction that
// commits the code, any other sender sends it after the commit.
type codeText struct {
	sender SMSSender
	m      SMS
	fails  bool // the sandbox's 9704 test card: the provider fails
}

// newCodeText prepares the text of code to mobile for merchant oid.
func newCodeText(ctx context.Context, s SMSSender, mode Mode, oid, mobile, code string, fails bool) (*codeText, error) {
	return &codeText{sender: s, m: SMS{OidPartner: oid, Mobile: mobile, Code: code, Text: SMSText(mode, code)}, fails: fails}, nil
}

func (t *codeText) recorder() (SMSRecorder, bool) {
	r, ok := t.sender.(SMSRecorder)
	return r, ok && !t.fails
}

// record keeps the text in the caller's transaction, when the sender is a
// recorder.
func (t *codeText) record(ctx context.Context, tx Tx) error {
	if t == nil { // nothing to text (a NoSMS payment)
		return nil
	}
	r, ok := t.recorder()
	if !ok {
		return nil
	}
	if err := r.Record(ctx, tx, t.m); err != nil {
		return &Error{Code: CodeSMSFailed, Detail: "the SMS outbox failed", Err: err}
	}
	return nil
}

// send runs after the commit: it sends a text that was not recorded, and
// answers 9704 when the provider fails.
func (t *codeText) send(ctx context.Context) error {
	if t == nil {
		return nil
	}
	if t.fails {
		return Errorf(CodeSMSFailed, "the SMS provider failed (test card)")
	}
	if _, ok := t.recorder(); ok {
		return nil
	}
	return sendSMS(ctx, t.sender, t.m)
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
	TableMerchants     = "merchants" // the MD5 key
)
