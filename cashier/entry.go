package cashier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// entryResult is what an entry found, for its page and its log line.
type entryResult struct {
	oid      string
	noOrder  string
	verified bool   // the signature verified
	urlBack  string // url_return, once verified and valid
}

// entry serves one entry route: every check of §4.2 in its order, then 303
// to the cashier; a failure is the error page (HTTP 200) and a request-log
// line with the reason.
func (c *Cashier) entry(path, flavour string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var res entryResult
		token, err := c.open(r.Context(), r, path, flavour, &res)
		took := time.Since(start).Milliseconds()
		if err != nil {
			var e *llgate.Error
			if !errors.As(err, &e) {
				c.cfg.Logger.Error("checkout entry failed", "route", path, "err", err.Error())
				e = &llgate.Error{Code: llgate.CodeSystem, Detail: "internal error"}
			}
			c.log(path, res.oid, e.Code, protocol.Reason(e), took)
			c.errorPage(w, r, e, res.noOrder, res.urlBack, flavour)
			return
		}
		c.log(path, res.oid, llgate.CodeOK, "", took)
		http.Redirect(w, r, PayPath+"?token="+token, http.StatusSeeOther)
	})
}

func (c *Cashier) open(ctx context.Context, r *http.Request, path, flavour string, res *entryResult) (string, error) {
	addr := c.cfg.ClientAddr(r)
	if c.cfg.AllowAddr != nil && !c.cfg.AllowAddr(addr) {
		return "", llgate.Errorf(llgate.CodeRateLimited, "rate limited: address %s", addr)
	}
	p, err := readParams(r, c.cfg.BodyCap)
	if err != nil {
		return "", err
	}
	f := p.fields
	if v := f.Get("no_order"); protocol.ValidateOrderNo("no_order", v) == nil {
		res.noOrder = v
	}
	oid := f.Get("oid_partner")
	if oid == "" {
		return "", llgate.FieldError("oid_partner", "missing")
	}
	if !llgate.ValidOidPartner(oid) {
		return "", llgate.Errorf(llgate.CodeMerchant, "oid_partner is not 18 digits")
	}
	res.oid = oid
	auth, err := c.cfg.Merchants.Auth(ctx, oid)
	if errors.Is(err, llgate.ErrNotFound) {
		return "", llgate.Errorf(llgate.CodeMerchant, "no merchant %s", oid)
	}
	if err != nil {
		return "", err
	}
	// No ip_allowlist: the caller is the payer's browser (§4.2).
	if c.cfg.AllowMerchant != nil && !c.cfg.AllowMerchant(oid) {
		return "", llgate.Errorf(llgate.CodeRateLimited, "rate limited: merchant")
	}
	if _, err := protocol.VerifyRequest(auth, f, p.encode()); err != nil {
		return "", err
	}
	res.verified = true
	if u := f.Get("url_return"); protocol.CheckReturnURL("url_return", u) == nil {
		res.urlBack = u
	}
	m := auth.Merchant
	if !m.Allows(llgate.ProductEasypay) {
		return "", llgate.Errorf(llgate.CodeNoProduct, "the merchant lacks the easypay product")
	}
	if err := protocol.Validate(protocol.CheckoutEntry, f); err != nil {
		return "", err
	}
	if err := c.checkTimestamp(f.Get("timestamp")); err != nil {
		return "", err
	}
	if c.cfg.CheckNotifyURL != nil {
		if err := c.cfg.CheckNotifyURL(ctx, f); err != nil {
			return "", err
		}
	}
	entry, err := checkoutOf(m, f, path, flavour)
	if err != nil {
		return "", err
	}
	co, err := c.cfg.Checkouts.Open(ctx, entry)
	if err != nil {
		return "", err
	}
	return co.Token, nil
}

// checkTimestamp: never enforced in the sandbox (merchant pages stamp
// server-local time, and no H5 demo sends one); in gateway mode 14 digits
// within 30 minutes of China time ("Where parts 2 and 3 meet" 3).
func (c *Cashier) checkTimestamp(ts string) error {
	if c.cfg.Mode == llgate.ModeSandbox || ts == "" {
		return nil
	}
	t, err := protocol.ParseTime("timestamp", ts)
	if err != nil {
		return err
	}
	if d := c.cfg.Clock.Now().Sub(t); d > 30*time.Minute || d < -30*time.Minute {
		return llgate.FieldError("timestamp", "more than 30 minutes from China time")
	}
	return nil
}

// checkoutOf builds the checkout a valid entry opens.
func checkoutOf(m *llgate.Merchant, f *protocol.Object, path, flavour string) (*llgate.CheckoutEntry, error) {
	amount, err := protocol.ParseAmount("money_order", f.Get("money_order"))
	if err != nil {
		return nil, err
	}
	valid := llgate.DefaultValidOrder
	if v := f.Get("valid_order"); v != "" {
		n, err := protocol.ParseValidOrder("valid_order", v)
		if err != nil {
			return nil, err
		}
		valid = time.Duration(n) * time.Minute
	}
	platform := f.Get("platform")
	if platform != "" && platform != m.Platform {
		return nil, llgate.FieldError("platform", "not this merchant's platform")
	}
	payType := f.Get("pay_type")
	if payType == "" {
		payType = "M"
	}
	co := llgate.Checkout{
		OidPartner: m.OidPartner, NoOrder: f.Get("no_order"), Flavour: flavour, Route: path,
		UserID: f.Get("user_id"), Scope: llgate.Scope(m, platform), DtOrder: f.Get("dt_order"),
		BusiPartner: f.Get("busi_partner"), Amount: amount, MoneyOrder: f.Get("money_order"),
		NotifyURL: f.Get("notify_url"), URLReturn: f.Get("url_return"), BackURL: f.Get("back_url"),
		PayType: payType, SignType: f.Get("sign_type"), BgColor: color(f.Get("bg_color")),
		FontColor: color(f.Get("font_color")), SyncNotify: f.Get("syschnotify_flag") == "1",
		FlagModify: f.Get("flag_modify") == "1", NoAgree: f.Get("no_agree"),
		RequestHash: entryHash(f), ValidOrder: valid,
	}
	s := llgate.CheckoutSecret{NameGoods: f.Get("name_goods"), InfoOrder: f.Get("info_order"), RiskItem: f.Get("risk_item")}
	if co.NoAgree == "" {
		s.Preset = llgate.Card{CardNo: f.Get("card_no"), AcctName: f.Get("acct_name"), IDType: f.Get("id_type"), IDNo: f.Get("id_no")}
	}
	return &llgate.CheckoutEntry{Merchant: m, Checkout: co, Secret: s}, nil
}

// color keeps 6 hex digits, lower case; anything else is ignored.
func color(v string) string {
	if len(v) != 6 {
		return ""
	}
	if _, err := hex.DecodeString(v); err != nil {
		return ""
	}
	return strings.ToLower(v)
}

// entryHash identifies an entry for a resume: every decoded field but sign
// and timestamp (a refreshed merchant page signs again with a new one).
func entryHash(f *protocol.Object) string {
	sum := sha256.Sum256([]byte(protocol.SignSource(f, "timestamp", "time_stamp")))
	return hex.EncodeToString(sum[:])
}

// errorPage is every failure of an entry or of a cashier page: HTTP 200,
// the code in <meta name="llgate-ret-code">, #ret_code, #ret_msg and
// body[data-ret-code], and a 「返回商户」 link (GET url_return, no parameters)
// when the signature verified and url_return is valid (Decision 13).
func (c *Cashier) errorPage(w http.ResponseWriter, r *http.Request, e *llgate.Error, noOrder, back, flavour string) {
	if back != "" {
		if u, err := url.Parse(back); err != nil || u.Host == "" {
			back = ""
		}
	}
	c.render(w, r, "error", &page{
		Page: "error", Flavour: strings.ToLower(flavour), RetCode: e.Code, RetMsg: protocol.RetMsg(e.Code, e.Field),
		NoOrder: noOrder, BackURL: back,
	})
}

// render writes a page; a template error is logged (the page answers 500).
func (c *Cashier) render(w http.ResponseWriter, r *http.Request, name string, p *page) {
	p.Nonce = nonceOf(r)
	if p.Flavour == "" {
		p.Flavour = "web"
	}
	if err := c.pages.Render(w, http.StatusOK, name, p); err != nil {
		c.cfg.Logger.Error("cashier page", "page", name, "err", fmt.Sprint(err))
	}
}
