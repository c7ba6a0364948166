package llgate

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Notices signs notification bodies (package notify, by the endpoint
// table's field sets: the root never names the fields): with the platform
// key, or, for a payment or refund requested with sign_type MD5, with the
// merchant's MD5 key (md5Key, its plaintext), as LianLian signs them for
// MD5 merchants, whose verifiers know nothing else.
type Notices interface {
	SignPayment(n *PaymentNotice, signType, md5Key string) ([]byte, error)
	SignRefund(f *Refund, o *Order, signType, md5Key string) ([]byte, error)
}

// PaymentNotice is what a payment's notification tells: the order, as paid
// (its agreement and settle date), and, for merchants with
// notify_extra_fields, the holder.
type PaymentNotice struct {
	Order      *Order
	InfoOrder  string
	NoAgree    string
	SettleDate string
	Holder     *Card // nil: no extra fields
}

// Payments owns quick pay: apply, verify, settlement by the clock, query.
type Payments struct {
	Store   Store
	Vault   Vault
	Clock   Clock
	Issuer  Issuer
	SMS     SMSSender
	Notices Notices
	Binding *Binding // card checks and agreements shared with binding
	Mode    Mode
	Caps    Caps
	Wake    func() // tells the notification worker something is due
	// OnResult, when set, is told each state an order reaches (metrics).
	OnResult func(status string)
	// Pending, when set, keeps what recent applies wrote, so that their
	// verifies need not read it again. Nil: every verify reads.
	Pending *PendingPays

	atOnce bool // set by NewPayments: verifyAtOnce first
}

func (p *Payments) observe(status string) {
	if p.OnResult != nil {
		p.OnResult(status)
	}
}

// TestLimit is what a merchant that is not live allows each customer per
// transaction, day and month (prepartion.md): 50.00.
const TestLimit Amount = 5000

// DefaultValidOrder is how long an order stays open without valid_order.
const DefaultValidOrder = 10080 * time.Minute

// limits returns the merchant's caps: the test caps until it is live.
func limits(m *Merchant) Limits {
	if !m.Live {
		return Limits{PerTxn: TestLimit, PerDay: TestLimit, PerMonth: TestLimit}
	}
	return m.Limits
}

// checkLimits refuses an amount over the person's caps with the merchant:
// per transaction, day, month, in that order (1019, 1014, 1016). Inside a
// transaction it runs under LockPerson, so concurrent payments cannot pass a
// limit together.
func checkLimits(ctx context.Context, tx Tx, m *Merchant, personFP string, amount Amount, now time.Time) error {
	l := limits(m)
	if l.PerTxn > 0 && amount > l.PerTxn {
		return Errorf(CodeLimitTxn, "amount over the per-transaction limit")
	}
	for _, c := range []struct {
		max   Amount
		since time.Time
		code  string
	}{{l.PerDay, ChinaDay(now), CodeLimitDay}, {l.PerMonth, ChinaMonth(now), CodeLimitMonth}} {
		if c.max <= 0 {
			continue
		}
		spent, err := tx.Spent(ctx, m.OidPartner, personFP, c.since)
		if err != nil {
			return err
		}
		if spent+amount > c.max {
			return Errorf(c.code, "amount over the customer's limit")
		}
	}
	return nil
}

// openOrder opens an order's sealed secret.
func (p *Payments) openOrder(ctx context.Context, o *Order) (*OrderSecret, error) {
	return OpenOrderSecret(ctx, p.Vault, o)
}

// OpenOrderSecret opens an order's sealed secret (info_order, card
// elements) with the vault.
func OpenOrderSecret(ctx context.Context, v Vault, o *Order) (*OrderSecret, error) {
	var s OrderSecret
	if len(o.Sealed) == 0 {
		return &s, nil
	}
	b, err := v.Open(ctx, o.OidPartner, TableOrders, o.OidPaybill, o.Sealed)
	if err != nil {
		return nil, err
	}
	return &s, json.Unmarshal(b, &s)
}

// cardOf returns the card an order pays with: its own card elements, or
// its agreement's.
func (p *Payments) cardOf(ctx context.Context, o *Order, s *OrderSecret) (*Card, error) {
	if s.Card != nil {
		return s.Card, nil
	}
	var a *Agreement
	err := p.Store.View(ctx, func(tx Tx) error {
		var err error
		a, err = tx.Agreement(ctx, o.NoAgree)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p.openAgreement(ctx, a)
}

func (p *Payments) openAgreement(ctx context.Context, a *Agreement) (*Card, error) {
	b, err := p.Vault.Open(ctx, ScopeOwner(a.Scope), TableAgreements, a.NoAgree, a.Sealed)
	if err != nil {
		return nil, err
	}
	var c CardSecret
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	return &c.Card, nil
}

// view runs a read-only transaction returning one value.
func view[T any](ctx context.Context, s Store, fn func(tx Tx) (T, error)) (T, error) {
	var out T
	err := s.View(ctx, func(tx Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}

var errRetry = errors.New("state moved; retry")

func (p *Payments) wake() {
	if p.Wake != nil {
		p.Wake()
	}
}

// md5KeyOf is the plaintext MD5 key that signs the notification of a
// request made with signType: "" unless signType is MD5. m is the merchant
// if at hand (nil: read), its key sealed as stored.
func (p *Payments) md5KeyOf(ctx context.Context, m *Merchant, signType, oid string) (string, error) {
	if signType != SignMD5 {
		return "", nil
	}
	if m == nil || m.OidPartner != oid {
		var err error
		if m, err = view(ctx, p.Store, func(tx Tx) (*Merchant, error) { return tx.Merchant(ctx, oid) }); err != nil {
			return "", err
		}
	}
	if len(m.MD5Key) == 0 {
		return "", nil // the key was removed since: the platform key signs
	}
	b, err := p.Vault.Open(ctx, oid, TableMerchants, oid, m.MD5Key)
	return string(b), err
}
