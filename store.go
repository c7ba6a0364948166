package llgate

import (
	"context"
	"time"
)

// Store is the durable state. Both engines (package sqlite, package postgres)
// implement it with the same semantics, proven by package storetest.
//
// Update runs fn in a read-write transaction and commits when fn returns nil;
// the commit is durable before Update returns. Reads of rows that may be
// written (merchants, settings, notifications, reports) lock what they read
// until the commit (SELECT ... FOR UPDATE on PostgreSQL, a single immediate
// writer on SQLite), so a closure that reads, checks, then writes never loses
// an update. A lock needs a row: create-if-absent goes through the Insert*
// methods, which report ErrConflict (or false) and leave the transaction
// usable. Append-only reads (logs, SMS, attempts, counts) take no lock.
//
// On PostgreSQL, Update may run fn again after a deadlock or serialization
// failure: fn must have no effect outside the transaction. Never call the
// vault or start another transaction inside fn (SQLite has one writer).
// View runs fn in a read-only transaction over one snapshot. A Tx must not be
// used after its closure returns. Times come back in UTC, to the millisecond.
type Store interface {
	Update(ctx context.Context, fn func(tx Tx) error) error
	View(ctx context.Context, fn func(tx Tx) error) error
	Ping(ctx context.Context) error
	Close() error
}

// Tx is the set of operations available inside a transaction, one
// interface per aggregate. Methods return ErrNotFound when a row is missing
// and ErrConflict when a unique key is taken.
type Tx interface {
	MerchantTx
	SettingTx
	DataKeyTx
	RequestLogTx
	SMSTx
	NotificationTx
	ReportTx
	UserTx
	AgreementTx
	ChallengeTx
	CardholderTx
	SMSSendTx
	VelocityTx
	OrderTx
	RefundTx
	PreauthTx
	LedgerTx
	PayoutTx
	ResetTx
	CheckoutTx
}

// MerchantTx reads and writes merchants.
type MerchantTx interface {
	InsertMerchant(ctx context.Context, m *Merchant) error              // ErrConflict
	UpdateMerchant(ctx context.Context, m *Merchant) error              // ErrNotFound
	Merchant(ctx context.Context, oidPartner string) (*Merchant, error) // ErrNotFound
	Merchants(ctx context.Context) ([]*Merchant, error)                 // ordered by oid_partner
}

// SettingTx holds small named values (clock offset, sealed platform key, ...).
type SettingTx interface {
	Setting(ctx context.Context, key string) ([]byte, error)                   // ErrNotFound
	PutSetting(ctx context.Context, key string, value []byte) error            // upsert
	InsertSetting(ctx context.Context, key string, value []byte) (bool, error) // false if present
}

// DataKeyTx holds the vault's data keys, wrapped by the master key.
type DataKeyTx interface {
	DataKeys(ctx context.Context, owner string) ([]DataKey, error) // ordered by version
	InsertDataKey(ctx context.Context, k DataKey) (bool, error)    // false if (owner, version) exists
}

// RequestLogTx is the request log (sandbox diagnostics behind /admin/requests
// and the console).
type RequestLogTx interface {
	InsertRequestLog(ctx context.Context, e *RequestLogEntry) error
	InsertRequestLogs(ctx context.Context, es []*RequestLogEntry) error // a batch, fewer statements
	// RequestLog returns the page q selects (OidPartner "" = all; Limit <= 0
	// = 100), newest first, Detail not loaded.
	RequestLog(ctx context.Context, q ListQuery) ([]*RequestLogEntry, error)
	RequestLogByID(ctx context.Context, id int64) (*RequestLogEntry, error) // ErrNotFound; Detail loaded
	// RequestCodes counts the merchant's entries per path and ret_code,
	// with the newest time of each, ordered by path then ret_code.
	RequestCodes(ctx context.Context, oidPartner string) ([]CodeCount, error)
	PruneRequestLog(ctx context.Context, before time.Time) (int64, error)
}

// SMSTx is the SMS outbox (the sandbox inbox behind /admin/sms).
type SMSTx interface {
	InsertSMS(ctx context.Context, m *SMSMessage) error
	SMSMessages(ctx context.Context, mobileFP string, limit int) ([]*SMSMessage, error) // newest first
}

// NotificationTx is the durable outbox of notifications and their attempts.
type NotificationTx interface {
	InsertNotification(ctx context.Context, n *Notification) error
	Notification(ctx context.Context, id string) (*Notification, error) // ErrNotFound
	UpdateNotification(ctx context.Context, n *Notification) error      // ErrNotFound
	Notifications(ctx context.Context, f NotificationFilter) ([]*Notification, error)
	// ClaimNotifications leases up to limit notifications that are pending
	// with NextAttemptAt <= now and no live lease (LeaseUntil <= now), setting
	// LeaseUntil = leaseUntil. On PostgreSQL concurrent claimers never receive
	// the same row (FOR UPDATE SKIP LOCKED).
	ClaimNotifications(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*Notification, error)
	InsertAttempt(ctx context.Context, a *Attempt) error
	Attempts(ctx context.Context, notificationID string) ([]*Attempt, error) // oldest first
	// NotificationBacklog counts pending notifications and returns the
	// earliest NextAttemptAt among them (zero time when none).
	NotificationBacklog(ctx context.Context) (int64, time.Time, error)
}

// ReportTx holds the report files (sealed).
type ReportTx interface {
	PutReport(ctx context.Context, r *Report) error                    // upsert by Name
	Reports(ctx context.Context, oidPartner string) ([]*Report, error) // by name; Content not loaded
	Report(ctx context.Context, name string) (*Report, error)          // ErrNotFound
}

// UserTx holds users: one natural person per user_id and scope.
type UserTx interface {
	InsertUser(ctx context.Context, u *User) (bool, error)         // false if (scope, user_id) exists
	User(ctx context.Context, scope, userID string) (*User, error) // ErrNotFound; locks
	UpdateUser(ctx context.Context, u *User) error                 // ErrNotFound
}

// AgreementTx holds agreements. At most one active agreement per (scope, user_id, card):
// InsertAgreement returns ErrConflict for a second one or a taken no_agree.
type AgreementTx interface {
	InsertAgreement(ctx context.Context, a *Agreement) error
	Agreement(ctx context.Context, noAgree string) (*Agreement, error) // ErrNotFound; locks
	UpdateAgreement(ctx context.Context, a *Agreement) error           // ErrNotFound
	// Agreements returns the page the filter selects, newest first
	// (created_at, then no_agree, descending), and how many match in all.
	Agreements(ctx context.Context, f AgreementFilter) ([]*Agreement, int, error)
	// ListAgreements returns the page q selects across scopes (OidPartner:
	// the merchant that bound it, "" = all; UserID "" = any), newest first
	// (created_at, then no_agree, descending); no lock.
	ListAgreements(ctx context.Context, q ListQuery) ([]*Agreement, error)
}

// ChallengeTx holds challenges: tokens with a one-time code.
type ChallengeTx interface {
	InsertChallenge(ctx context.Context, c *Challenge) error         // ErrConflict on a taken token
	Challenge(ctx context.Context, token string) (*Challenge, error) // ErrNotFound; locks
	UpdateChallenge(ctx context.Context, c *Challenge) error         // ErrNotFound
	// LiveChallenge returns the newest live, unexpired (ExpiresAt > now)
	// challenge of that kind for merchant, user and ref; ErrNotFound if none.
	LiveChallenge(ctx context.Context, kind, oidPartner, userID, ref string, now time.Time) (*Challenge, error)
}

// CardholderTx is the simulated issuer's cardholder registry.
type CardholderTx interface {
	InsertCardholder(ctx context.Context, c *Cardholder) (bool, error)  // false if the card is known
	Cardholder(ctx context.Context, cardFP string) (*Cardholder, error) // ErrNotFound
}

// SMSSendTx counts the texts sent, for the SMS caps.
type SMSSendTx interface {
	InsertSMSSend(ctx context.Context, s *SMSSend) error
	CountSMSSends(ctx context.Context, kind, key string, since time.Time) (int, error) // At >= since
}

// VelocityTx holds the velocity counters, for the velocity caps: per counter and kind, at
// most one mark per fingerprint, holding the latest time it was seen
// and the merchant that marked it last, and their number (kept, not
// counted: a check costs the same whatever the cap). Each method takes
// all the marks or keys of a request at once and answers one value per
// mark or key, in order. TouchVelocity moves each mark the counter
// holds at or after since to at (and oid) and reports which it found;
// it changes no number and needs no lock. VelocitySeen reports the
// same without writing. LockVelocity deletes the keys' marks older than
// since, locks the keys until the transaction ends, in the order given
// (one order everywhere), and returns how many marks each holds.
// CountVelocity returns the same without writing or locking.
// AddVelocity inserts the marks the counters do not hold, counts them,
// and reports which it inserted. PruneVelocity deletes the counters
// whose every mark is older than before (on PostgreSQL passing over
// locked ones), marks and all, and returns how many went.
type VelocityTx interface {
	TouchVelocity(ctx context.Context, oid string, at, since time.Time, marks ...VelocityMark) ([]bool, error)
	VelocitySeen(ctx context.Context, since time.Time, marks ...VelocityMark) ([]bool, error)
	LockVelocity(ctx context.Context, since time.Time, keys ...VelocityKey) ([]int, error)
	CountVelocity(ctx context.Context, since time.Time, keys ...VelocityKey) ([]int, error)
	AddVelocity(ctx context.Context, oid string, at time.Time, marks ...VelocityMark) ([]bool, error)
	PruneVelocity(ctx context.Context, before time.Time) (int64, error)
}

// OrderTx holds orders. NoOrder is unique per merchant: InsertOrder returns
// ErrConflict for a taken (oid_partner, no_order) or oid_paybill.
type OrderTx interface {
	InsertOrder(ctx context.Context, o *Order) error
	Order(ctx context.Context, oidPaybill string) (*Order, error)              // ErrNotFound; locks
	OrderByNo(ctx context.Context, oidPartner, noOrder string) (*Order, error) // ErrNotFound; locks
	UpdateOrder(ctx context.Context, o *Order) error                           // ErrNotFound
	// Spent sums Amount over the person's orders with the merchant that
	// count against limits (PROCESSING, SUCCESS, REFUND) with CountedAt >=
	// since.
	Spent(ctx context.Context, oidPartner, personFP string, since time.Time) (Amount, error)
	// LockPerson serializes payments of one natural person with one
	// merchant until the transaction ends (limits are checked under it).
	LockPerson(ctx context.Context, oidPartner, personFP string) error
	// DueOrders returns up to limit orders whose time has come: WAITING with
	// ValidUntil <= now, or PROCESSING with SettleAt <= now; locked, and
	// skipped by concurrent callers on PostgreSQL (SKIP LOCKED).
	DueOrders(ctx context.Context, now time.Time, limit int) ([]*Order, error)
	// SettledOrders returns the merchant's orders that reached SUCCESS
	// (REFUND included: a refunded payment was a successful one) with PaidAt
	// in [from, to), ordered by PaidAt then oid_paybill (reports).
	SettledOrders(ctx context.Context, oidPartner string, from, to time.Time) ([]*Order, error)
	// ListOrders returns the page q selects (OidPartner "" = all, Status
	// "" = any), newest first (created_at, then oid_paybill, descending);
	// no lock.
	ListOrders(ctx context.Context, q ListQuery) ([]*Order, error)
	// InsertOrderEvent appends events to their orders' histories, in the
	// order given, in one statement. OrderEvents returns an order's
	// history, oldest first (insertion order). Events take no lock: they
	// are written under the lock of their order.
	InsertOrderEvent(ctx context.Context, es ...*OrderEvent) error
	OrderEvents(ctx context.Context, oidPaybill string) ([]OrderEvent, error)
}

// RefundTx holds refunds. NoRefund is unique per merchant.
type RefundTx interface {
	InsertRefund(ctx context.Context, r *Refund) error                            // ErrConflict
	Refund(ctx context.Context, oidRefundno string) (*Refund, error)              // ErrNotFound; locks
	RefundByNo(ctx context.Context, oidPartner, noRefund string) (*Refund, error) // ErrNotFound; locks
	UpdateRefund(ctx context.Context, r *Refund) error                            // ErrNotFound
	// RefundsOf returns every refund of a payment, oldest first.
	RefundsOf(ctx context.Context, oidPaybill string) ([]*Refund, error)
	// DueRefunds returns up to limit refunds in state 0 with SettleAt <=
	// now; locked and skipped by concurrent callers on PostgreSQL.
	DueRefunds(ctx context.Context, now time.Time, limit int) ([]*Refund, error)
	// SettledRefunds returns the merchant's refunds that reached state 2
	// with SettledAt in [from, to), ordered by SettledAt then oid_refundno.
	SettledRefunds(ctx context.Context, oidPartner string, from, to time.Time) ([]*Refund, error)
	// ListRefunds returns the page q selects (OidPartner "" = all), newest
	// first (created_at, then oid_refundno, descending); no lock.
	ListRefunds(ctx context.Context, q ListQuery) ([]*Refund, error)
}

// ResetTx: Reset deletes a merchant's data (everything but the merchant row: rows
// whose oid_partner is the merchant's), or, with oidPartner "", every
// merchant and all their data, the cardholder registry included.
// Settings and data keys stay.
type ResetTx interface {
	Reset(ctx context.Context, oidPartner string) error
}

// DataKey is a vault data key wrapped by the master key.
type DataKey struct {
	Owner     string
	Version   int
	Wrapped   []byte
	CreatedAt time.Time
}

// RequestLogEntry records one merchant API request for the sandbox request
// log. Reason and Detail are masked before they are stored.
type RequestLogEntry struct {
	ID         int64 // assigned by the store
	At         time.Time
	Path       string
	OidPartner string
	RetCode    string
	Reason     string
	LatencyMS  int64
	Detail     string // JSON of a RequestDetail, masked; "" when none was recorded
}

// SMSMessage is one text sent to a phone. MobileFP is the keyed fingerprint
// of the phone number; Sealed holds the phone, code and text, encrypted.
type SMSMessage struct {
	ID         string
	OidPartner string
	MobileFP   string
	Sealed     []byte
	SentAt     time.Time
}

// Notification states.
const (
	NotifyPending   = "pending"
	NotifyDelivered = "delivered"
	NotifyFailed    = "failed"
)

// Notification kinds.
const (
	NotifyPayment = "payment"
	NotifyRefund  = "refund"
)

// Notification is one asynchronous notification in the outbox. Body is the
// signed JSON, sealed by the vault; it is signed once and sent byte-identical
// on every attempt.
type Notification struct {
	ID            string
	OidPartner    string
	Kind          string
	NoOrder       string
	NoRefund      string
	URL           string
	Body          []byte // sealed
	Status        string
	AttemptCount  int
	NextAttemptAt time.Time
	LeaseUntil    time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// NotificationFilter selects notifications; empty fields match anything.
type NotificationFilter struct {
	OidPartner string
	NoOrder    string
	NoRefund   string
	Offset     int // rows to skip
	Limit      int // 0 = no limit
}

// Attempt is one delivery attempt of a notification.
type Attempt struct {
	NotificationID string
	At             time.Time
	HTTPStatus     int // 0 when no HTTP answer came
	LatencyMS      int64
	Answer         string // first bytes of the answer, or the transport error
}

// Report is a generated transaction report file. Content is sealed.
type Report struct {
	Name       string
	OidPartner string
	Size       int64 // plaintext size
	Content    []byte
	CreatedAt  time.Time
}
