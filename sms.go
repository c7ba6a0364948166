package llgate

// SMSContent is what an SMSMessage holds under its seal.
type SMSContent struct {
	Mobile string `json:"mobile"`
	Code   string `json:"code"`
	Text   string `json:"text"`
}

// TableSMS is the table name SMS messages are sealed under.
const TableSMS = "sms_messages"

// TableReports is the table name report files are sealed under.
const TableReports = "reports"

// TableNotifications is the table name notification bodies are sealed under.
const TableNotifications = "notifications"
