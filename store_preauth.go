package llgate

import (
	"context"
	"time"
)

// Pre-authorisation states (CONTRACT-easypay-payouts §4.6, §4.14): what
// /preauthquery.htm answers as ret_code.
const (
	PreauthCreated    = "2003" // order created, no SMS yet (checkout)
	PreauthExpired    = "2006" // valid_order closed it, or 30 days passed after PR07
	PreauthOK         = "PR07" // authorised
	PreauthSMS        = "PR08" // SMS sent, to be verified
	PreauthProcessing = "PR09" // the 2008 card: the issuer is processing
	PreauthFailed     = "PR10" // declined
	CaptureOK         = "PR11"
	CaptureProcessing = "PR12"
	CaptureFailed     = "PR13"
	CancelOK          = "PR14"
	CancelProcessing  = "PR15"
	CancelFailed      = "PR16"
)

// Kinds of Preauth operation: one per authorisation.
const (
	PreauthCapture = "capture"
	PreauthCancel  = "cancel"
)

// TablePreauths names sealed pre-authorisation secrets (the capture's
// info_order).
const TablePreauths = "preauths"

// Preauth is what was done with an authorisation (an Easy Payment order
// with pay_type F): its one capture or cancel.
type Preauth struct {
	OidPaybill  string // the authorisation
	OidPartner  string
	Kind        string // PreauthCapture or PreauthCancel
	State       string // as answered: PR11/PR12/PR13 or PR14/PR15/PR16
	Amount      Amount // captured (capture) or authorised (cancel)
	MoneyOrder  string // as sent
	RequestHash string
	Sealed      []byte // PreauthSecret; nil when the request carried none
	SettleDate  string // yyyyMMdd China time of the capture's completion
	DoneAt      time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// PreauthSecret is what a Preauth holds under its seal (owner: the
// merchant, table preauths, row oid_paybill).
type PreauthSecret struct {
	InfoOrder string `json:"info_order,omitempty"`
}

// PreauthTx holds the captures and cancels of authorisations.
type PreauthTx interface {
	InsertPreauth(ctx context.Context, p *Preauth) error              // ErrConflict
	Preauth(ctx context.Context, oidPaybill string) (*Preauth, error) // ErrNotFound; locks
	// SettledCaptures returns the merchant's captures that completed
	// (PR11, or PR12 whose DoneAt has come) with DoneAt in [from, to),
	// ordered by DoneAt then oid_paybill.
	SettledCaptures(ctx context.Context, oidPartner string, from, to time.Time) ([]*Preauth, error)
}
