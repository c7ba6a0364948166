package llgate

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"time"
)

// Checkout flavours: the entry route chooses the layout and the return
// (CONTRACT-easypay-payouts.md §4.1, Decision 14).
const (
	FlavourWEB = "WEB" // /payment/*.htm: wide page, the 11-field return
	FlavourH5  = "H5"  // the H5 routes: mobile page, the res_data return
)

// Checkout states, as /admin/checkouts shows them.
const (
	CheckoutOpen       = "open"       // the order has no card yet: card step
	CheckoutCodeSent   = "code_sent"  // the order has its card, its code sent
	CheckoutProcessing = "processing" // 2008: the clock settles it
	CheckoutSuccess    = "success"
	CheckoutFailure    = "failure"
	CheckoutExpired    = "expired" // valid_order passed unpaid
)

// TableCheckouts names sealed checkout secrets (owner: the merchant, row:
// the token).
const TableCheckouts = "checkouts"

// Checkout is one hosted-cashier session: the merchant's signed request,
// kept until the payer pays, and the order the entry made (card-less until
// the payer's first code request attaches the card). The token is the only
// capability (no cookie).
type Checkout struct {
	Token       string // 32 upper-case hex, 128 random bits
	OidPartner  string
	NoOrder     string
	Flavour     string // FlavourWEB or FlavourH5
	Route       string // the entry path
	UserID      string
	Scope       string
	DtOrder     string
	BusiPartner string
	Amount      Amount
	MoneyOrder  string // as sent, echoed
	NotifyURL   string
	URLReturn   string
	BackURL     string
	PayType     string // the request's after defaulting (absent: M)
	SignType    string // of the entry: the return is signed with it
	BgColor     string // H5 colours, 6 hex digits ("" = default)
	FontColor   string
	SyncNotify  bool   // syschnotify_flag 1: the H5 return submits itself
	FlagModify  bool   // flag_modify 1: preset identity locked
	NoAgree     string // the merchant's preset agreement
	RequestHash string // the entry's decoded fields but sign and timestamp
	ValidOrder  time.Duration
	OidPaybill  string    // the order, made at the entry ("": a checkout opened before entries made orders)
	FailCode    string    // the code the payment was declined with
	ReturnedAt  time.Time // the sync return's first rendering (zero: not yet)
	Sealed      []byte    // CheckoutSecret
	ExpiresAt   time.Time // created + valid_order
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// CheckoutSecret is what a checkout holds under its seal: the request's
// free text and preset card, and the card number the payer typed.
type CheckoutSecret struct {
	NameGoods string `json:"name_goods,omitempty"`
	InfoOrder string `json:"info_order,omitempty"`
	RiskItem  string `json:"risk_item,omitempty"`
	Preset    Card   `json:"preset"`             // card_no, acct_name, id_type, id_no as preset
	CardNo    string `json:"card_no,omitempty"`  // typed at the card step
	NoAgree   string `json:"no_agree,omitempty"` // a bound card picked at the card step
}

// Checkouts is the hosted cashier's use case: a signed entry opens a
// session; the payer picks or types a card, asks for a code (the pay apply
// of Payments) and pays (its verify). One engine with MPAY and the direct
// API: no payment rule lives here.
type Checkouts struct {
	Store    Store
	Vault    Vault
	Clock    Clock
	Payments *Payments
}

// CheckoutEntry is a verified, validated entry request.
type CheckoutEntry struct {
	Merchant *Merchant
	Checkout Checkout // every field but Token, OidPaybill, the times and Sealed
	Secret   CheckoutSecret
}

// CheckoutView is a checkout with what its page shows.
type CheckoutView struct {
	Checkout *Checkout
	Secret   *CheckoutSecret
	Order    *Order // card-less before the code step (nil: OidPaybill is "")
	State    string
}

// Open starts a checkout and creates its order (card-less, WAITING; a
// pre-authorisation reads 2003) in one transaction, or resumes the
// checkout with the same no_order and the same request (a refreshed
// merchant page signs again with a new timestamp). Codes: 3010 (no
// easypay), 1004 (pay_type), 1002 (no_order used by another request or
// another product), 2007 (paid), 2006 (closed by valid_order), 3003 (a
// preset no_agree that is not this user's active agreement).
func (c *Checkouts) Open(ctx context.Context, in *CheckoutEntry) (*Checkout, error) {
	co := in.Checkout
	if !in.Merchant.Allows(ProductEasypay) {
		return nil, Errorf(CodeNoProduct, "merchant lacks the %s product", ProductEasypay)
	}
	if co.NoAgree != "" {
		if _, err := c.AgreementOf(ctx, &co, co.NoAgree); err != nil {
			return nil, err
		}
	}
	now := c.Clock.Now()
	co.Token = NewToken()
	co.CreatedAt, co.UpdatedAt, co.ExpiresAt = now, now, now.Add(co.ValidOrder)
	plain, err := json.Marshal(in.Secret)
	if err != nil {
		return nil, err
	}
	if co.Sealed, err = c.Vault.Seal(ctx, co.OidPartner, TableCheckouts, co.Token, plain); err != nil {
		return nil, err
	}
	order, err := entryOrder(ctx, c.Vault, &PayApply{
		Merchant: in.Merchant, Scope: co.Scope, UserID: co.UserID, NoOrder: co.NoOrder, DtOrder: co.DtOrder,
		BusiPartner: co.BusiPartner, NameGoods: in.Secret.NameGoods, InfoOrder: in.Secret.InfoOrder,
		Amount: co.Amount, MoneyOrder: co.MoneyOrder, NotifyURL: co.NotifyURL, ValidOrder: co.ValidOrder,
		RiskItem: in.Secret.RiskItem, PayType: co.PayType, SignType: co.SignType,
		RequestHash: "checkout:" + co.Token, Product: PayProductEasypay,
	}, now)
	if err != nil {
		return nil, err
	}
	co.OidPaybill = order.OidPaybill
	for attempt := 0; attempt < 3; attempt++ {
		var out *Checkout
		err := c.Store.Update(ctx, func(tx Tx) error {
			out = nil
			old, err := tx.CheckoutByOrder(ctx, co.OidPartner, co.NoOrder)
			if err == nil {
				out = old
				return nil
			}
			if !errors.Is(err, ErrNotFound) {
				return err
			}
			if o, err := tx.OrderByNo(ctx, co.OidPartner, co.NoOrder); err == nil {
				if o.Status == OrderSuccess || o.Status == OrderRefund {
					return Errorf(CodePaid, "no_order %s is paid", co.NoOrder)
				}
				return Errorf(CodeDuplicateOrder, "no_order %s was used by another request", co.NoOrder)
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
			if err := insertEntryOrder(ctx, tx, order); err != nil {
				return err // ErrConflict: an apply or an entry took the no_order
			}
			return tx.InsertCheckout(ctx, &co)
		})
		if errors.Is(err, ErrConflict) {
			continue // a concurrent entry or apply took the no_order: answer as a repeat
		}
		if err != nil {
			return nil, err
		}
		if out == nil {
			return &co, nil
		}
		return c.resume(ctx, out, &co, now)
	}
	return nil, Errorf(CodeSystem, "checkout entry kept racing")
}

// resume answers an entry whose no_order has a checkout already.
func (c *Checkouts) resume(ctx context.Context, old, req *Checkout, now time.Time) (*Checkout, error) {
	if old.RequestHash != req.RequestHash {
		return nil, Errorf(CodeDuplicateOrder, "no_order %s was used for another request", req.NoOrder)
	}
	v, err := c.view(ctx, old)
	if err != nil {
		return nil, err
	}
	switch v.State {
	case CheckoutSuccess:
		return nil, Errorf(CodePaid, "no_order %s is paid", req.NoOrder)
	case CheckoutExpired:
		return nil, Errorf(CodeClosed, "no_order %s was closed by valid_order", req.NoOrder)
	}
	return old, nil
}

// Get returns the checkout of token with its order and state; 1000 when
// there is none. A PROCESSING order whose time has come is settled first,
// so the page never waits for the worker.
func (c *Checkouts) Get(ctx context.Context, token string) (*CheckoutView, error) {
	co, err := view(ctx, c.Store, func(tx Tx) (*Checkout, error) { return tx.Checkout(ctx, token) })
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeTokenInvalid, "no checkout for this token")
	}
	if err != nil {
		return nil, err
	}
	v, err := c.view(ctx, co)
	if err != nil {
		return nil, err
	}
	if v.State == CheckoutProcessing && !c.Clock.Now().Before(v.Order.SettleAt) && c.Payments != nil {
		if _, err := c.Payments.Settle(ctx); err != nil {
			return nil, err
		}
		return c.view(ctx, co)
	}
	return v, nil
}

func (c *Checkouts) view(ctx context.Context, co *Checkout) (*CheckoutView, error) {
	b, err := c.Vault.Open(ctx, co.OidPartner, TableCheckouts, co.Token, co.Sealed)
	if err != nil {
		return nil, err
	}
	v := &CheckoutView{Checkout: co, Secret: &CheckoutSecret{}}
	if err := json.Unmarshal(b, v.Secret); err != nil {
		return nil, err
	}
	if co.OidPaybill != "" {
		if v.Order, err = view(ctx, c.Store, func(tx Tx) (*Order, error) { return tx.Order(ctx, co.OidPaybill) }); err != nil {
			return nil, err
		}
	}
	v.State = checkoutState(co, v.Order, c.Clock.Now())
	return v, nil
}

func checkoutState(co *Checkout, o *Order, now time.Time) string {
	if o != nil {
		switch o.Status {
		case OrderSuccess, OrderRefund:
			return CheckoutSuccess
		case OrderFailure:
			return CheckoutFailure
		case OrderProcessing:
			return CheckoutProcessing
		case OrderClosed:
			return CheckoutExpired
		}
	}
	if !now.Before(co.ExpiresAt) {
		return CheckoutExpired
	}
	if o != nil && !o.CardLess() {
		return CheckoutCodeSent
	}
	return CheckoutOpen
}

// ready returns the view of a checkout the payer may still act on: 2006
// when it expired, 2007 when paid or processing, 1005 when declined.
func (c *Checkouts) ready(ctx context.Context, token string) (*CheckoutView, error) {
	v, err := c.Get(ctx, token)
	if err != nil {
		return nil, err
	}
	switch v.State {
	case CheckoutExpired:
		return nil, Errorf(CodeClosed, "the checkout expired")
	case CheckoutSuccess, CheckoutProcessing:
		return nil, Errorf(CodePaid, "the checkout is paid")
	case CheckoutFailure:
		return nil, Errorf(CodeFailed, "the payment failed")
	}
	return v, nil
}

// CheckoutFamily is the card family a checkout's pay_type accepts ("" =
// any), by the engine's Easy Payment rules.
func CheckoutFamily(payType string) string {
	_, family, _ := easypayTerms(payType)
	return family
}

// Card is the card step: the card number the payer typed is looked up by
// BIN (1100 Luhn, 1102 no issuer, 9912 prepaid, 5601 pay_type) and kept,
// sealed, for the code step; or the payer picked one of the user's bound
// cards (3003 if it is not one); or, with neither, the choice is undone.
func (c *Checkouts) Card(ctx context.Context, token, cardNo, noAgree string) (*CardInfo, error) {
	v, err := c.ready(ctx, token)
	if err != nil {
		return nil, err
	}
	if v.Order != nil && !v.Order.CardLess() {
		return nil, Errorf(CodeDuplicateOrder, "the card of this checkout is chosen")
	}
	var info CardInfo
	switch {
	case noAgree != "":
		a, err := c.AgreementOf(ctx, v.Checkout, noAgree)
		if err != nil {
			return nil, err
		}
		info = CardInfo{BankCode: a.BankCode, CardType: a.CardType}
	case cardNo != "":
		if info, err = c.CardInfo(cardNo, v.Checkout.PayType); err != nil {
			return nil, err
		}
	}
	v.Secret.CardNo, v.Secret.NoAgree = cardNo, noAgree
	return &info, c.reseal(ctx, v)
}

// AgreementOf returns the user's active agreement noAgree if the checkout
// may pay with it; 3003 otherwise (unknown, another user's, unbound, or of
// a family the pay_type refuses).
func (c *Checkouts) AgreementOf(ctx context.Context, co *Checkout, noAgree string) (*Agreement, error) {
	a, err := view(ctx, c.Store, func(tx Tx) (*Agreement, error) { return tx.Agreement(ctx, noAgree) })
	if errors.Is(err, ErrNotFound) || err == nil && (a.Scope != co.Scope || a.UserID != co.UserID ||
		a.Status != AgreementActive || checkFamily(CheckoutFamily(co.PayType), CardInfo{CardType: a.CardType}) != nil) {
		return nil, Errorf(CodeNoAgreement, "no active agreement %s for this user", noAgree)
	}
	return a, err
}

// CardInfo looks a card up for a checkout of payType.
func (c *Checkouts) CardInfo(cardNo, payType string) (CardInfo, error) {
	info, err := c.Payments.Binding.card(cardNo, CodeNoIssuer)
	if err != nil {
		return info, err
	}
	return info, checkFamily(CheckoutFamily(payType), info)
}

func (c *Checkouts) reseal(ctx context.Context, v *CheckoutView) error {
	plain, err := json.Marshal(v.Secret)
	if err != nil {
		return err
	}
	co := v.Checkout
	sealed, err := c.Vault.Seal(ctx, co.OidPartner, TableCheckouts, co.Token, plain)
	if err != nil {
		return err
	}
	now := c.Clock.Now()
	return c.Store.Update(ctx, func(tx Tx) error {
		cur, err := tx.Checkout(ctx, co.Token)
		if err != nil {
			return err
		}
		if cur.OidPaybill != "" {
			o, err := tx.Order(ctx, cur.OidPaybill)
			if err != nil {
				return err
			}
			if !o.CardLess() {
				return Errorf(CodeDuplicateOrder, "the card of this checkout is chosen")
			}
		}
		cur.Sealed, cur.UpdatedAt = sealed, now
		*co = *cur
		return tx.UpdateCheckout(ctx, cur)
	})
}

// CheckoutCode is the code step's input: the holder of the checkout's card (preset or typed; with flag_modify the
// preset identity wins over anything posted).
type CheckoutCode struct {
	Token  string
	Holder Card // acct_name, id_type, id_no, bind_mob, vali_date, cvv2 posted
	Addr   netip.Addr
}

// SendCode is the code step: the pay apply of Payments with the chosen card
// (its rules, codes and SMS). The first success attaches the card to the
// entry's order and issues its token (a failure leaves the order card-less
// and the checkout open); asking again is a resend while the token lives
// (a new code on the same token), else the apply's replay (a new token).
func (c *Checkouts) SendCode(ctx context.Context, m *Merchant, in *CheckoutCode) (*Order, error) {
	v, err := c.ready(ctx, in.Token)
	if err != nil {
		return nil, err
	}
	co, s := v.Checkout, v.Secret
	a := &PayApply{
		Merchant: m, Scope: co.Scope, UserID: co.UserID, NoOrder: co.NoOrder, DtOrder: co.DtOrder,
		BusiPartner: co.BusiPartner, NameGoods: s.NameGoods, InfoOrder: s.InfoOrder, Amount: co.Amount,
		MoneyOrder: co.MoneyOrder, NotifyURL: co.NotifyURL, ValidOrder: co.ExpiresAt.Sub(c.Clock.Now()),
		RiskItem: s.RiskItem, PayType: co.PayType, SignType: co.SignType, Addr: in.Addr,
		Product: PayProductEasypay,
	}
	if v.Order != nil && v.Order.CardLess() {
		a.Attach = v.Order.OidPaybill
	}
	switch {
	case v.Order != nil && a.Attach == "":
		// The order has its card: a resend while its token lives; else the same
		// apply again (its hash) replays it with a new token.
		if err := c.resend(ctx, m, v.Order, in.Addr); !errors.Is(err, errNoLiveToken) {
			return v.Order, err
		}
		a.RequestHash, a.NoAgree = v.Order.RequestHash, "-"
	case co.NoAgree != "" || s.NoAgree != "":
		a.NoAgree = co.NoAgree
		if a.NoAgree == "" {
			a.NoAgree = s.NoAgree
		}
		a.RequestHash = co.Token + ":agree:" + a.NoAgree
	default:
		card := in.Holder
		card.CardNo = s.CardNo
		if s.Preset.CardNo != "" {
			card.CardNo = s.Preset.CardNo
		}
		if card.CardNo == "" {
			return nil, FieldError("card_no", "missing")
		}
		if co.FlagModify {
			for _, p := range []struct {
				dst    *string
				preset string
			}{
				{&card.AcctName, s.Preset.AcctName}, {&card.IDType, s.Preset.IDType}, {&card.IDNo, s.Preset.IDNo},
			} {
				if p.preset != "" {
					*p.dst = p.preset
				}
			}
		}
		if card.IDType == "" {
			card.IDType = "0"
		}
		a.Card = &card
		a.RequestHash = co.Token + ":card:" + c.Vault.Fingerprint("card", card.CardNo)
	}
	o, err := c.Payments.Apply(ctx, a)
	if err != nil {
		return nil, err
	}
	if v.Order == nil {
		// A checkout opened before entries made orders: tie the apply's.
		err = c.Store.Update(ctx, func(tx Tx) error {
			cur, err := tx.Checkout(ctx, co.Token)
			if err != nil {
				return err
			}
			cur.OidPaybill, cur.UpdatedAt = o.OidPaybill, c.Clock.Now()
			return tx.UpdateCheckout(ctx, cur)
		})
	}
	return o, err
}

// Pay is the pay step: the verify of Payments with the order's newest
// token. A decline ends the order (the page shows the failure); a wrong
// code leaves it open.
func (c *Checkouts) Pay(ctx context.Context, m *Merchant, token, code string) (*Order, error) {
	v, err := c.ready(ctx, token)
	if err != nil {
		return nil, err
	}
	if v.Order == nil || v.Order.CardLess() {
		return nil, Errorf(CodeTokenInvalid, "no code was asked for")
	}
	o, err := c.Payments.Verify(ctx, &PayVerify{
		Merchant: m, Token: v.Order.Token, Code: code, NoOrder: v.Order.NoOrder, Amount: v.Order.Amount,
	})
	if err == nil || ErrorCode(err) == CodeProcessing {
		return o, err
	}
	// A decline ends the order: keep its code for the failure page.
	declined := ErrorCode(err)
	cur, verr := view(ctx, c.Store, func(tx Tx) (*Order, error) { return tx.Order(ctx, v.Order.OidPaybill) })
	if verr == nil && cur.Status == OrderFailure {
		if uerr := c.Store.Update(ctx, func(tx Tx) error {
			co, err := tx.Checkout(ctx, token)
			if err != nil {
				return err
			}
			co.FailCode, co.UpdatedAt = declined, c.Clock.Now()
			return tx.UpdateCheckout(ctx, co)
		}); uerr != nil {
			return nil, uerr
		}
	}
	return o, err
}

// Returned records the first rendering of the sync return and says
// whether this is it (the page auto-submits then only).
func (c *Checkouts) Returned(ctx context.Context, token string) (first bool, err error) {
	now := c.Clock.Now()
	err = c.Store.Update(ctx, func(tx Tx) error {
		first = false
		co, err := tx.Checkout(ctx, token)
		if err != nil {
			return err
		}
		if !co.ReturnedAt.IsZero() {
			return nil
		}
		first = true
		co.ReturnedAt, co.UpdatedAt = now, now
		return tx.UpdateCheckout(ctx, co)
	})
	return first, err
}

// List returns the checkouts q selects with their states (admin API).
func (c *Checkouts) List(ctx context.Context, q CheckoutQuery) ([]*CheckoutView, error) {
	cs, err := view(ctx, c.Store, func(tx Tx) ([]*Checkout, error) { return tx.Checkouts(ctx, q) })
	if err != nil {
		return nil, err
	}
	out := make([]*CheckoutView, 0, len(cs))
	now := c.Clock.Now()
	for _, co := range cs {
		v := &CheckoutView{Checkout: co}
		if co.OidPaybill != "" {
			if v.Order, err = view(ctx, c.Store, func(tx Tx) (*Order, error) { return tx.Order(ctx, co.OidPaybill) }); err != nil {
				return nil, err
			}
		}
		v.State = checkoutState(co, v.Order, now)
		out = append(out, v)
	}
	return out, nil
}

// Agreements lists the user's active agreements a checkout may pay with
// (its pay_type's family), newest first.
func (c *Checkouts) Agreements(ctx context.Context, co *Checkout) ([]*Agreement, error) {
	as, err := view(ctx, c.Store, func(tx Tx) ([]*Agreement, error) {
		as, _, err := tx.Agreements(ctx, AgreementFilter{Scope: co.Scope, UserID: co.UserID, ActiveOnly: true, Limit: 20})
		return as, err
	})
	if err != nil {
		return nil, err
	}
	fam := CheckoutFamily(co.PayType)
	out := as[:0]
	for _, a := range as {
		if checkFamily(fam, CardInfo{CardType: a.CardType}) == nil {
			out = append(out, a)
		}
	}
	return out, nil
}
