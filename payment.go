package llgate

import "time"

// Order states, as result_pay reads them (CLOSED reads as documented for
// orders closed by valid_order).
const (
	OrderWaiting    = "WAITING"
	OrderProcessing = "PROCESSING"
	OrderSuccess    = "SUCCESS"
	OrderFailure    = "FAILURE"
	OrderClosed     = "CLOSED"
	OrderRefund     = "REFUND" // refunded in full
)

// Status sets the store selects by; the state machine owns them, the SQL
// only reads them.
var (
	// CountedStatuses count against a person's limits: from the verify on,
	// and refunds do not give room back.
	CountedStatuses = []string{OrderProcessing, OrderSuccess, OrderRefund}
	// PaidStatuses are payments that succeeded (refunded ones too).
	PaidStatuses = []string{OrderSuccess, OrderRefund}
)

// Payment products as the JYMX report's pay_product names them.
const (
	PayProductMPAY    = "MPAY"
	PayProductEasypay = "EASYPAY"
)

// Order is a payment: created by pay apply, settled by pay verify (or, for
// the issuer's "processing" answer, by the clock).
type Order struct {
	OidPaybill  string // LianLian's number, 16 digits
	OidPartner  string
	NoOrder     string // the merchant's number, unique per merchant
	DtOrder     string // as sent, yyyyMMddHHmmss
	UserID      string
	Scope       string
	PersonFP    string
	NoAgree     string // the agreement paid with, or created by the payment
	CardFP      string
	CardMask    string // 622208*********0000
	BankCode    string
	CardType    string
	PayType     string // 2, 3 or P as sent
	BusiPartner string
	Product     string // the JYMX pay_product: PayProductMPAY, ...
	Amount      Amount
	MoneyOrder  string // the merchant's own string, echoed
	SignType    string // of the apply: notifications are signed with it
	NotifyURL   string
	Status      string
	Memo        string // why it failed (issuer's message)
	RequestHash string // the apply's decoded fields (sign and cvv2 left out)
	Token       string // the newest token issued for it
	Sealed      []byte // OrderSecret
	ValidUntil  time.Time
	SettleAt    time.Time // PROCESSING: when the clock settles (or recovers) it
	SettleDate  string    // yyyyMMdd China time, once SUCCESS
	CountedAt   time.Time // when it started counting against the limits
	PaidAt      time.Time
	Refunded    Amount // sum of successful refunds
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// OrderSecret is what an order holds under its seal (owner: the merchant,
// table orders, row oid_paybill).
type OrderSecret struct {
	InfoOrder string `json:"info_order,omitempty"`
	NameGoods string `json:"name_goods,omitempty"`
	RiskItem  string `json:"risk_item,omitempty"`
	Card      *Card  `json:"card,omitempty"` // pay with card elements (CVV2 never)
}

// Refund states: sta_refund as the docs number them.
const (
	RefundApplied = "0"
	RefundSuccess = "2"
	RefundFailed  = "3"
)

// Refund is a refund of (part of) a successful payment.
type Refund struct {
	OidRefundno string // LianLian's number, 16 digits
	OidPartner  string
	NoRefund    string // the merchant's number, unique per merchant
	DtRefund    string // as sent
	OidPaybill  string // the payment
	Amount      Amount
	MoneyRefund string // the merchant's own string, echoed
	SignType    string
	NotifyURL   string
	Status      string
	RequestHash string
	SettleAt    time.Time // when the clock settles it (apply + 5 min)
	SettleDate  string
	SettledAt   time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TableOrders names sealed order secrets.
const TableOrders = "orders"
