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
