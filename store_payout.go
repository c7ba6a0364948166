package llgate

import (
	"context"
	"time"
)

// Payout states (CONTRACT-easypay-payouts §4.10): result_pay as answered.
const (
	PayoutCheck      = "CHECK"      // suspected: waits for its confirm
	PayoutProcessing = "PROCESSING" // accepted, money debited
	PayoutSuccess    = "SUCCESS"
	PayoutFailure    = "FAILURE" // money credited back
	PayoutCancel     = "CANCEL"  // returned by the bank after SUCCESS; money credited back
	PayoutClosed     = "CLOSED"  // never confirmed
)

// TablePayouts names sealed payout secrets.
const TablePayouts = "payouts"

// NotifyPayout is the notification kind of payouts.
const NotifyPayout = "payout"

// Payout is one instant payment to a card or account.
type Payout struct {
	ID         string // unique; the row its secret is sealed under
	OidPartner string
	NoOrder    string
	DtOrder    string
	OidPaybill string // "" until accepted
	Amount     Amount
	MoneyOrder string // as sent
	FlagCard   string // "0" personal debit card, "1" business account
	CardFP     string // keyed fingerprint of the payee account number
	CardLast4  string
	State      string
	SignType   string
	NotifyURL  string // the apply's, replaced by the confirm's
	// ApplyCode is what the apply answered: 0000, or 4002/4003/4004 with a
	// confirm code.
	ApplyCode   string
	RequestHash string // of the apply
	// ConfirmHash is the keyed HMAC of the confirm code; ConfirmRequest the
	// hash of the confirm that accepted the payout.
	ConfirmHash    string
	ConfirmRequest string
	WrongCount     int
	Sealed         []byte // PayoutSecret
	// Result is how the accepted payout completes at DoneAt (SUCCESS or
	// FAILURE, Reason the failure's code); CancelAt, when set, is when a
	// SUCCESS turns CANCEL (bank return).
	Result     string
	Reason     string
	DoneAt     time.Time
	CancelAt   time.Time
	SettleDate string // China date of SUCCESS
	// NextAt is when the clock acts on it next: CHECK closes, PROCESSING
	// completes, SUCCESS is returned; zero: never.
	NextAt     time.Time
	AcceptedAt time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// PayoutSecret is what a payout holds under its seal (owner: the
// merchant, table payouts, row: the payout's ID).
type PayoutSecret struct {
	CardNo      string `json:"card_no"`
	AcctName    string `json:"acct_name"`
	Memo        string `json:"memo,omitempty"`
	InfoOrder   string `json:"info_order,omitempty"`
	ConfirmCode string `json:"confirm_code,omitempty"`
}

// PayoutTx holds payouts. NoOrder is unique per merchant, OidPaybill
// unique when set.
type PayoutTx interface {
	InsertPayout(ctx context.Context, p *Payout) error                                   // ErrConflict
	PayoutByNo(ctx context.Context, oidPartner, noOrder string) (*Payout, error)         // ErrNotFound; locks
	PayoutByPaybill(ctx context.Context, oidPartner, oidPaybill string) (*Payout, error) // ErrNotFound; locks
	UpdatePayout(ctx context.Context, p *Payout) error                                   // ErrNotFound
	// PayoutSpent sums the merchant's payouts accepted at or after since
	// (whatever their state now: limits give no room back).
	PayoutSpent(ctx context.Context, oidPartner string, since time.Time) (Amount, error)
	// PayoutDuplicates counts the merchant's payouts other than noOrder
	// to the account cardFP of amount, created at or after since, in
	// CHECK, PROCESSING, SUCCESS or CANCEL.
	PayoutDuplicates(ctx context.Context, oidPartner, noOrder, cardFP string, amount Amount, since time.Time) (int, error)
	// DuePayouts returns up to limit payouts with NextAt <= now (not zero).
	DuePayouts(ctx context.Context, now time.Time, limit int) ([]*Payout, error)
	// ListPayouts returns the merchant's payouts ("" = all merchants;
	// noOrder "" = any), newest first, at most limit.
	ListPayouts(ctx context.Context, oidPartner, noOrder string, limit int) ([]*Payout, error)
}
