package cashier

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/web"
)

var funcs = template.FuncMap{}

func nonceOf(r *http.Request) string { return web.Nonce(r) }

// page is what every cashier template reads.
type page struct {
	Page    string // body[data-page]
	Flavour string // "web" or "h5": the layout
	Nonce   string
	Theme   string // the H5 colours' stylesheet, "" for the default

	// The header: merchant, goods, amount, order.
	Merchant, NameGoods, Money, NoOrder string
	Token                               string

	// Error pages and inline errors.
	RetCode, RetMsg string
	BackURL         string // 「返回商户」: GET url_return, no parameters

	// The steps.
	Step       string // choose, identity, agree, code
	Agreements []agreementRow
	Card       *cardRow
	Holder     holderRow
	Locked     bool   // flag_modify: the preset identity is shown masked and fixed
	Credit     bool   // the card is a credit card: vali_date and cvv2
	ChangeURL  string // 「更换银行卡」: back_url of a preset card, else the card step
	CanChange  bool   // the payer may pick another card here
	Inline     *inlineError
	ReloadURL  string
	Return     *syncReturn
	SettleDate string
}

type inlineError struct{ Code, Msg string }

type agreementRow struct {
	NoAgree, Bank, Type, Last4, Mobile string
}

type cardRow struct {
	Bank, Type, Mask, Mobile string
}

type holderRow struct {
	AcctName, IDType, IDNo, Mobile string
}

func cardType(t string) string {
	if t == "3" {
		return "信用卡"
	}
	return "储蓄卡"
}

// token reads the capability; malformed and unknown tokens answer alike.
func tokenOf(r *http.Request) string {
	t := r.URL.Query().Get("token")
	if protocol.ValidateToken("token", t) != nil {
		return ""
	}
	return t
}

func (c *Cashier) handlePage(w http.ResponseWriter, r *http.Request) {
	c.show(w, r, tokenOf(r), nil)
}

// show renders the cashier for token in its state, with an inline error
// from the action that just failed.
func (c *Cashier) show(w http.ResponseWriter, r *http.Request, token string, inline *llgate.Error) {
	ctx := r.Context()
	if token == "" {
		c.errorPage(w, r, llgate.Errorf(llgate.CodeTokenInvalid, "no checkout"), "", "", "")
		return
	}
	v, err := c.cfg.Checkouts.Get(ctx, token)
	if err != nil {
		c.failPage(w, r, err, "")
		return
	}
	p, err := c.pageOf(ctx, v)
	if err != nil {
		c.failPage(w, r, err, v.Checkout.NoOrder)
		return
	}
	if inline != nil {
		p.Inline = &inlineError{Code: inline.Code, Msg: protocol.RetMsg(inline.Code, inline.Field)}
	}
	switch v.State {
	case llgate.CheckoutSuccess:
		if err := c.successPage(ctx, w, r, v, p); err != nil {
			c.failPage(w, r, err, v.Checkout.NoOrder)
		}
		return
	case llgate.CheckoutFailure:
		p.Page, p.RetCode = "failure", v.Checkout.FailCode
		if p.RetCode == "" {
			p.RetCode = llgate.CodeFailed
		}
		p.RetMsg = protocol.RetMsg(p.RetCode, "")
		p.BackURL = v.Checkout.URLReturn
		c.render(w, r, "failure", p)
		return
	case llgate.CheckoutProcessing:
		p.Page, p.RetCode, p.RetMsg = "processing", llgate.CodeProcessing, protocol.RetMsg(llgate.CodeProcessing, "")
		p.ReloadURL = PayPath + "?token=" + token
		c.render(w, r, "processing", p)
		return
	case llgate.CheckoutExpired:
		p.Page, p.RetCode, p.RetMsg = "expired", llgate.CodeClosed, protocol.RetMsg(llgate.CodeClosed, "")
		p.BackURL = v.Checkout.URLReturn
		c.render(w, r, "expired", p)
		return
	}
	if err := c.steps(ctx, v, p); err != nil {
		c.failPage(w, r, err, v.Checkout.NoOrder)
		return
	}
	c.render(w, r, "cashier", p)
}

// failPage answers an error that ends the page: the error page.
func (c *Cashier) failPage(w http.ResponseWriter, r *http.Request, err error, noOrder string) {
	var e *llgate.Error
	if !errors.As(err, &e) {
		c.cfg.Logger.Error("cashier failed", "path", r.URL.Path, "err", err.Error())
		e = &llgate.Error{Code: llgate.CodeSystem}
	}
	c.errorPage(w, r, e, noOrder, "", "")
}

// pageOf fills the header.
func (c *Cashier) pageOf(ctx context.Context, v *llgate.CheckoutView) (*page, error) {
	co := v.Checkout
	m, err := c.cfg.Merchants.Get(ctx, co.OidPartner)
	if err != nil {
		return nil, err
	}
	name := m.Name
	if name == "" {
		name = m.OidPartner
	}
	p := &page{
		Page: "cashier", Flavour: strings.ToLower(co.Flavour), Merchant: name, NameGoods: v.Secret.NameGoods,
		Money: protocol.FormatAmount(co.Amount), NoOrder: co.NoOrder, Token: co.Token,
	}
	if co.BgColor != "" || co.FontColor != "" {
		p.Theme = PayPath + "/theme.css?bg=" + co.BgColor + "&fg=" + co.FontColor
	}
	return p, nil
}

// steps fills the card and code steps.
func (c *Cashier) steps(ctx context.Context, v *llgate.CheckoutView, p *page) error {
	co, s := v.Checkout, v.Secret
	issuer := c.cfg.Checkouts.Payments.Issuer
	preset := co.NoAgree != "" || s.Preset.CardNo != ""
	p.CanChange = !preset
	if preset && co.BackURL != "" {
		p.ChangeURL = co.BackURL
	}
	if v.Order != nil {
		o := v.Order
		p.Step = "code"
		p.Card = &cardRow{Bank: issuer.BankName(o.BankCode), Type: cardType(o.CardType), Mask: "**** " + last4(o.CardMask)}
		p.CanChange, p.ChangeURL = false, ""
		return nil
	}
	noAgree := co.NoAgree
	if noAgree == "" {
		noAgree = s.NoAgree
	}
	if noAgree != "" {
		a, err := c.cfg.Checkouts.AgreementOf(ctx, co, noAgree)
		if err != nil {
			return err
		}
		p.Step = "agree"
		p.Card = &cardRow{Bank: issuer.BankName(a.BankCode), Type: cardType(a.CardType), Mask: "**** " + a.CardLast4, Mobile: a.MobileMask}
		return nil
	}
	cardNo := s.Preset.CardNo
	if cardNo == "" {
		cardNo = s.CardNo
	}
	if cardNo == "" {
		p.Step = "choose"
		as, err := c.cfg.Checkouts.Agreements(ctx, co)
		if err != nil {
			return err
		}
		for _, a := range as {
			p.Agreements = append(p.Agreements, agreementRow{NoAgree: a.NoAgree, Bank: issuer.BankName(a.BankCode),
				Type: cardType(a.CardType), Last4: a.CardLast4, Mobile: a.MobileMask})
		}
		return nil
	}
	p.Step = "identity"
	info, err := c.cfg.Checkouts.CardInfo(cardNo, co.PayType)
	p.Card = &cardRow{Bank: issuer.BankName(info.BankCode), Type: cardType(info.CardType), Mask: llgate.MaskCard(cardNo)}
	if err != nil && p.Inline == nil {
		var e *llgate.Error
		if errors.As(err, &e) {
			p.Inline = &inlineError{Code: e.Code, Msg: protocol.RetMsg(e.Code, e.Field)}
		}
	}
	p.Credit = info.CardType == "3"
	p.Locked = co.FlagModify
	p.Holder = holderRow{AcctName: s.Preset.AcctName, IDType: s.Preset.IDType, IDNo: s.Preset.IDNo}
	if p.Holder.IDType == "" {
		p.Holder.IDType = "0"
	}
	if p.Locked {
		p.Holder.AcctName, p.Holder.IDNo = llgate.MaskName(p.Holder.AcctName), llgate.MaskID(p.Holder.IDNo)
	}
	return nil
}

func last4(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[len(s)-4:]
}

// action runs one step's use case and answers 303 to the cashier, or the
// cashier with the error inline; an error that ends the checkout (expired,
// paid, unknown) is its page.
func (c *Cashier) action(w http.ResponseWriter, r *http.Request, name string, run func(ctx context.Context, token string) error) {
	start := time.Now()
	token := tokenOf(r)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		c.show(w, r, token, llgate.Errorf(llgate.CodeUnparseable, "bad form"))
		return
	}
	var err error
	if token == "" {
		err = llgate.Errorf(llgate.CodeTokenInvalid, "no checkout")
	} else {
		err = run(r.Context(), token)
	}
	code, reason := llgate.CodeOK, ""
	var e *llgate.Error
	if err != nil {
		if !errors.As(err, &e) {
			c.cfg.Logger.Error("cashier action failed", "action", name, "err", err.Error())
			e = &llgate.Error{Code: llgate.CodeSystem, Detail: "internal error"}
		}
		code, reason = e.Code, protocol.Reason(e)
	}
	var v *llgate.CheckoutView
	if token != "" {
		v, _ = c.cfg.Checkouts.Get(r.Context(), token)
	}
	oid := ""
	if v != nil {
		oid = v.Checkout.OidPartner
	}
	c.log(PayPath+"/"+name, oid, code, reason, time.Since(start).Milliseconds())
	// Success, and an error that ended the checkout (a decline, 2008, the
	// time passing), show the cashier's page for its new state.
	if e == nil || v != nil && v.State != llgate.CheckoutOpen && v.State != llgate.CheckoutCodeSent {
		http.Redirect(w, r, PayPath+"?token="+token, http.StatusSeeOther)
		return
	}
	c.show(w, r, token, e)
}

func (c *Cashier) merchant(ctx context.Context, token string) (*llgate.Merchant, error) {
	v, err := c.cfg.Checkouts.Get(ctx, token)
	if err != nil {
		return nil, err
	}
	return c.cfg.Merchants.Get(ctx, v.Checkout.OidPartner)
}

func (c *Cashier) handleCard(w http.ResponseWriter, r *http.Request) {
	c.action(w, r, "card", func(ctx context.Context, token string) error {
		cardNo := strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("card_no")), " ", "")
		if cardNo != "" {
			if err := protocol.ValidateCardNo("card_no", cardNo); err != nil {
				return err
			}
		}
		_, err := c.cfg.Checkouts.Card(ctx, token, cardNo, r.PostFormValue("no_agree"))
		return err
	})
}

func (c *Cashier) handleSMS(w http.ResponseWriter, r *http.Request) {
	c.action(w, r, "sms", func(ctx context.Context, token string) error {
		m, err := c.merchant(ctx, token)
		if err != nil {
			return err
		}
		f := r.PostForm
		h := llgate.Card{AcctName: strings.TrimSpace(f.Get("acct_name")), IDType: f.Get("id_type"),
			IDNo: strings.TrimSpace(f.Get("id_no")), Mobile: strings.TrimSpace(f.Get("bind_mob")),
			ValiDate: valiDate(f.Get("vali_date")), CVV2: strings.TrimSpace(f.Get("cvv2"))}
		if err := checkHolder(h); err != nil {
			return err
		}
		_, err = c.cfg.Checkouts.SendCode(ctx, m, &llgate.CheckoutCode{Token: token, Holder: h, Addr: c.cfg.ClientAddr(r)})
		return err
	})
}

// checkHolder checks what the payer typed, as the JSON API checks the same
// fields (1004 naming the field); empty fields are the preset's or the
// agreement's to fill.
func checkHolder(h llgate.Card) error {
	if h.AcctName != "" {
		if err := protocol.ValidateName("acct_name", h.AcctName); err != nil {
			return err
		}
	}
	if h.IDNo != "" {
		t := h.IDType
		if t == "" {
			t = "0"
		}
		if err := protocol.ValidateIDNo(t, h.IDNo); err != nil {
			return err
		}
	}
	if h.Mobile != "" {
		if err := protocol.ValidateMobile("bind_mob", h.Mobile); err != nil {
			return err
		}
	}
	return nil
}

// valiDate takes the expiry as shown (MM/YY) or as posted by script or
// client (YYMM) and gives YYMM.
func valiDate(v string) string {
	v = strings.TrimSpace(v)
	if mm, yy, ok := strings.Cut(v, "/"); ok && len(mm) == 2 && len(yy) == 2 {
		return yy + mm
	}
	return v
}

func (c *Cashier) handlePay(w http.ResponseWriter, r *http.Request) {
	c.action(w, r, "pay", func(ctx context.Context, token string) error {
		m, err := c.merchant(ctx, token)
		if err != nil {
			return err
		}
		code := strings.TrimSpace(r.PostFormValue("verify_code"))
		if code == "" {
			return llgate.FieldError("verify_code", "missing")
		}
		_, err = c.cfg.Checkouts.Pay(ctx, m, token, code)
		return err
	})
}

// handleTheme serves the H5 colours as a stylesheet (the CSP allows no
// inline style).
func (c *Cashier) handleTheme(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var b strings.Builder
	if bg := color(q.Get("bg")); bg != "" {
		b.WriteString(".bar{background:#" + bg + "}button.primary{background:#" + bg + ";border-color:#" + bg + "}\n")
	}
	if fg := color(q.Get("fg")); fg != "" {
		b.WriteString(".bar,.bar *{color:#" + fg + "}\n")
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write([]byte(b.String()))
}
