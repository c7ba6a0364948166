package faulttest

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/issuer"
	"github.com/llgate/llgate/protocol"
)

// Checkout is one hosted checkout payment (Easy Payment WEB or H5), driven
// as a browser drives it with plain HTTP: the merchant page's signed entry
// form, the 303 to the cashier, the card, code and pay steps, each
// followed by the cashier page. What counts is what the payer's pages
// showed after the pay step; when the checkout makes its order does not.
type Checkout struct {
	NoOrder, DtOrder, Money string
	Amount                  int64 // fen
	UserID                  string
	Flavour, Route          string // WEB or H5; the entry path
	PayType                 string // as the order records it: the entry's, M when absent
	CardNo, Outcome         string // a new card; its digits choose the payment's outcome
	Credit                  bool   // the card is a credit card
	Token                   string
	OidPaybill              string // from the success page's return (WEB) or the order query

	Opened     bool   // the entry answered 303 to the cashier
	Lost       bool   // an answer of this checkout was lost
	PayUnknown bool   // the pay step's answer was lost and no page showed an outcome since
	Paid       bool   // a page after the pay step showed success
	Processing bool   // it showed processing (2008)
	Failed     string // it showed the failure page with this code

	// From the last order query.
	Exists int
	State  string
}

// CheckoutSnapshot returns the checkout payments as they are now.
func (l *Ledger) CheckoutSnapshot() []*Checkout {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	return append([]*Checkout(nil), l.Checkouts...)
}

// CheckoutCounts sums the checkouts by how far the payer got.
func (l *Ledger) CheckoutCounts() map[string]int {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	m := map[string]int{}
	for _, c := range l.Checkouts {
		m["started"]++
		switch {
		case c.Paid:
			m["paid"]++
		case c.Processing:
			m["processing"]++
		case c.Failed != "":
			m["declined"]++
		case c.PayUnknown:
			m["pay_answer_lost"]++
		case c.Lost:
			m["ended_by_a_lost_answer"]++
		default:
			m["ended_otherwise"]++
		}
		if c.Opened {
			m["opened"]++
		}
		if c.Flavour == "H5" {
			m["h5"]++
		}
	}
	return m
}

// CheckoutPage is the cashier's address; its steps post to it + "/card",
// "/sms" and "/pay".
const CheckoutPage = "/paymentweb/payinit"

var (
	cashierLocation = regexp.MustCompile(`^/paymentweb/payinit\?token=([0-9A-Za-z]+)$`)
	dataPage        = regexp.MustCompile(`<body[^>]* data-page="([a-z0-9_-]+)"`)
	retCodeMeta     = regexp.MustCompile(`<meta name="llgate-ret-code" content="([0-9A-Za-z]+)">`)
	inlineError     = regexp.MustCompile(`<div id="error" data-ret-code="([0-9A-Za-z]+)"`)
	returnPaybill   = regexp.MustCompile(`<input type="hidden" name="oid_paybill" value="([^"]*)">`)
)

// webAnswer is what a browser received.
type webAnswer struct {
	Status   int
	Location string
	Page     string // body[data-page]
	Code     string // the error page's code, or the inline error's
	Body     string
}

func (a *webAnswer) label() string {
	switch {
	case a.Status == http.StatusSeeOther:
		return "303"
	case a.Code != "":
		return a.Page + " " + a.Code
	}
	return a.Page
}

// fetch makes one browser request; an error is a lost answer (the body
// included: a page cut short by the kill was not seen).
func (t *Target) fetch(method, u string, form url.Values) (*webAnswer, error) {
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, body)
	if err != nil {
		return nil, err
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := t.browser.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	a := &webAnswer{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(b)}
	if m := dataPage.FindStringSubmatch(a.Body); m != nil {
		a.Page = m[1]
	}
	if m := retCodeMeta.FindStringSubmatch(a.Body); m != nil {
		a.Code = m[1]
	} else if m := inlineError.FindStringSubmatch(a.Body); m != nil {
		a.Code = m[1]
	}
	return a, nil
}

// browse makes one browser request through the gate, again while its
// answer is lost (up to retries more times). record sees every attempt's
// answer, nil when lost, under the ledger's lock before the call counts as
// done. An answer that is neither a 303 nor an HTML page of HTTP 200, and
// a 9999, are violations (and count as lost).
func (w *Worker) browse(name string, retries int, method, path string, form url.Values, record func(a *webAnswer)) (*webAnswer, error) {
	for attempt := 0; ; attempt++ {
		_, base, done, err := w.ld.T.Begin()
		if err != nil {
			return nil, err
		}
		a, err := w.ld.T.fetch(method, base+path, form)
		switch {
		case err != nil:
			a = nil
		case a.Status != http.StatusSeeOther && (a.Status != http.StatusOK || !strings.HasPrefix(a.Body, "<!doctype html>") || a.Page == ""):
			w.ld.V.Add("%s %s: HTTP %d, page %q: %.200s", name, path, a.Status, a.Page, a.Body)
			a = nil
		case a.Code == "9999":
			w.ld.V.Add("%s %s answered the %s page 9999", name, path, a.Page)
			a = nil
		}
		if a == nil {
			w.ld.L.Unknown.Add(name, 1)
			w.ld.Calls.Add(name+" ?", 1)
		} else {
			w.ld.Calls.Add(name+" "+a.label(), 1)
		}
		if record != nil {
			w.ld.L.Mu.Lock()
			record(a)
			w.ld.L.Mu.Unlock()
		}
		done()
		if a != nil || attempt >= retries {
			return a, nil
		}
		time.Sleep(time.Duration(20+w.rng.IntN(80)) * time.Millisecond)
	}
}

// checkoutOutcome picks the new card's digits: mostly success, some
// payments that settle by the clock, some declines.
func (w *Worker) checkoutOutcome() string {
	switch r := w.rng.IntN(100); {
	case r < 15:
		return issuer.OutcomeProcessing
	case r < 25:
		return "6001"
	default:
		return "0000"
	}
}

var (
	checkoutWEBRoutes = []string{"/payment/bankgateway.htm", "/payment/traveleasypay.htm"}
	checkoutH5Routes  = []string{"/payment.htm", "/wap/payment.htm", "/travlepay.htm", "/wap/travlepay.htm"}
	checkoutPayTypes  = []string{"", "", "M", "D", "P", "2", "3"}
)

// checkout pays through the hosted cashier with a new card: a signed WEB
// form post (or an H5 req_data) → 303 → the cashier → the card → the
// holder and 获取验证码 → the merchant's fixed code → the result page. A
// lost answer ends the checkout, except the pay step's: the page is read
// again, as a payer reloads it, for the outcome. The checkouts' user ids
// are not the ledger's users (whose agreements the bind list checks).
func (w *Worker) checkout(u *User) error {
	payType := checkoutPayTypes[w.rng.IntN(len(checkoutPayTypes))]
	credit := payType == "3" || payType != "2" && w.rng.IntN(2) == 0
	outcome := w.checkoutOutcome()
	prefix, digits := "622202", 19
	if credit {
		prefix, digits = "622148", 16
	}
	no, err := issuer.TestCard(prefix, digits, w.ld.cardSeq.Add(1), outcome)
	if err != nil {
		return err
	}
	fen := int64(100 + w.rng.IntN(50000))
	co := &Checkout{
		NoOrder: w.next("c"), DtOrder: time.Now().In(china).Format("20060102150405"), Money: FormatFen(fen, w.rng.IntN(3)),
		Amount: fen, UserID: u.ID + "-c", Flavour: "WEB", PayType: payType, CardNo: no, Outcome: outcome, Credit: credit,
	}
	if co.PayType == "" {
		co.PayType = "M"
	}
	h5 := w.rng.IntN(3) == 0
	if h5 {
		co.Flavour, co.Route = "H5", checkoutH5Routes[w.rng.IntN(len(checkoutH5Routes))]
	} else {
		co.Route = checkoutWEBRoutes[w.rng.IntN(len(checkoutWEBRoutes))]
	}
	w.ld.L.Mu.Lock()
	w.ld.L.Checkouts = append(w.ld.L.Checkouts, co)
	w.ld.L.Mu.Unlock()

	body, err := w.entryForm(co, h5)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("checkout payment %s (%s %s)", co.NoOrder, co.Flavour, co.Route)
	token, lost := "", false
	_, err = w.browse("checkout_entry", 3, http.MethodPost, co.Route, body, func(a *webAnswer) {
		if a == nil {
			co.Lost, lost = true, true
			return
		}
		m := cashierLocation.FindStringSubmatch(a.Location)
		if a.Status != http.StatusSeeOther || m == nil {
			w.ld.V.Add("%s: the entry answered %s %q", what, a.label(), a.Location)
			return
		}
		if co.Token != "" && co.Token != m[1] {
			w.ld.V.Add("%s: the entry opened token %s, then resumed as %s", what, co.Token, m[1])
		}
		co.Token, co.Opened, token = m[1], true, m[1]
	})
	if err != nil || token == "" {
		return err
	}
	page := CheckoutPage + "?token=" + token

	// view reads the cashier as the browser does after each 303.
	view := func(after string) (string, error) {
		got := ""
		_, err := w.browse("checkout_page", 3, http.MethodGet, page, nil, func(a *webAnswer) {
			if a == nil {
				co.Lost, lost = true, true
				return
			}
			got = a.Page
			if a.Page != "cashier" && !lost {
				w.ld.V.Add("%s: after the %s step the cashier shows the %s page %s", what, after, a.Page, a.Code)
			}
		})
		return got, err
	}
	// step posts one action; it must answer 303 back to the cashier.
	step := func(name string, form url.Values) (bool, error) {
		ok := false
		_, err := w.browse("checkout_"+name, 2, http.MethodPost, CheckoutPage+"/"+name+"?token="+token, form, func(a *webAnswer) {
			switch {
			case a == nil:
				co.Lost, lost = true, true
			case a.Status == http.StatusSeeOther && a.Location == page:
				ok = true
			case !lost: // after a lost answer a step may be refused: it may have been done
				w.ld.V.Add("%s: the %s step answered %s %q", what, name, a.label(), a.Location)
			}
		})
		return ok, err
	}
	for _, s := range []struct {
		name string
		form url.Values
	}{
		{"card", url.Values{"card_no": {no}}},
		{"sms", w.holderForm(u, credit)},
	} {
		if p, err := view(s.name); err != nil || p != "cashier" {
			return err
		}
		if ok, err := step(s.name, s.form); err != nil || !ok {
			return err
		}
	}
	if p, err := view("sms"); err != nil || p != "cashier" {
		return err
	}

	// The pay step: its 303 leads to the result page. After a lost answer
	// the page is read again: what it shows is the payment's outcome.
	payLost := false
	_, err = w.browse("checkout_pay", 0, http.MethodPost, CheckoutPage+"/pay?token="+token, url.Values{"verify_code": {SMSCode}}, func(a *webAnswer) {
		switch {
		case a == nil:
			co.Lost, co.PayUnknown, payLost = true, true, true
		case a.Status != http.StatusSeeOther || a.Location != page:
			w.ld.V.Add("%s: the pay step answered %s %q", what, a.label(), a.Location)
		}
	})
	if err != nil {
		return err
	}
	_, err = w.browse("checkout_result", 4, http.MethodGet, page, nil, func(a *webAnswer) {
		if a == nil {
			co.Lost = true
			return
		}
		switch a.Page {
		case "success":
			if !co.Paid {
				w.ld.L.Acked.Add("checkout", 1)
			}
			co.Paid, co.PayUnknown = true, false
			if m := returnPaybill.FindStringSubmatch(a.Body); m != nil {
				if co.OidPaybill != "" && co.OidPaybill != html.UnescapeString(m[1]) {
					w.ld.V.Add("%s: the return names oid_paybill %s, known as %s", what, m[1], co.OidPaybill)
				}
				co.OidPaybill = html.UnescapeString(m[1])
			}
		case "processing":
			if !co.Processing {
				w.ld.L.Acked.Add("checkout_processing", 1)
			}
			co.Processing, co.PayUnknown = true, false
		case "failure":
			co.Failed, co.PayUnknown = a.Code, false
			// The checkout keeps the decline's code in a transaction of its
			// own after the payment's: a kill between the two (the pay
			// answer lost) leaves the page the generic 1005.
			if co.Outcome != "6001" || a.Code != "6001" && (!payLost || a.Code != "1005") {
				w.ld.V.Add("%s: card outcome %s, the failure page shows %s (pay answer lost: %v)", what, co.Outcome, a.Code, payLost)
			}
		case "cashier":
			if !payLost {
				w.ld.V.Add("%s: the pay step answered 303, the cashier still shows the code step %s", what, a.Code)
			}
		default:
			w.ld.V.Add("%s: after the pay step the cashier shows the %s page %s", what, a.Page, a.Code)
		}
	})
	return err
}

// entryForm is the merchant page's signed form: the WEB fields, or the H5
// req_data (one field, the signed JSON object).
func (w *Worker) entryForm(co *Checkout, h5 bool) (url.Values, error) {
	f := map[string]string{
		"oid_partner": OidPartner, "user_id": co.UserID, "busi_partner": "101001", "no_order": co.NoOrder,
		"dt_order": co.DtOrder, "name_goods": "收银台商品", "info_order": "faulttest checkout", "money_order": co.Money,
		"notify_url": w.ld.NotifyURL, "url_return": "http://127.0.0.1:9/return", "valid_order": "10080",
		"risk_item": `{"frms_ware_category":"4007","user_info_mercht_userno":"` + co.UserID + `","user_info_dt_register":"20250101120000"}`,
	}
	if co.PayType != "M" || w.rng.IntN(2) == 0 {
		f["pay_type"] = co.PayType
	}
	if h5 {
		f["app_request"], f["syschnotify_flag"] = "3", "1"
	} else {
		f["version"], f["timestamp"], f["userreq_ip"] = "1.0", co.DtOrder, "10_10_246_110"
	}
	f["sign_type"] = "RSA"
	sig, err := protocol.Sign(w.ld.T.key, "RSA", protocol.SignSourceMap(f))
	if err != nil {
		return nil, err
	}
	f["sign"] = sig
	if h5 {
		b, err := json.Marshal(f)
		if err != nil {
			return nil, err
		}
		return url.Values{"req_data": {string(b)}}, nil
	}
	v := url.Values{}
	for k, x := range f {
		v.Set(k, x)
	}
	return v, nil
}

// holderForm is what the payer types at the code step.
func (w *Worker) holderForm(u *User, credit bool) url.Values {
	p := u.Person
	v := url.Values{"acct_name": {p.Name}, "id_type": {p.IDType}, "id_no": {p.IDNo}, "bind_mob": {p.Mobile}}
	if credit {
		v.Set("vali_date", "12/30")
		v.Set("cvv2", "123")
	}
	return v
}

// checkout checks an order query answer for a checkout payment against
// what its pages showed, and returns how many acknowledged payments it
// re-verified.
func (ch *checker) checkout(co *Checkout, res *client.Response, code string) int {
	n := 0
	shown := ""
	switch {
	case co.Paid:
		n, shown = 1, "success"
	case co.Processing:
		n, shown = 1, "processing"
	case co.Failed != "":
		shown = "failure " + co.Failed
	}
	what := fmt.Sprintf("checkout payment %s (%s %s, oid_paybill %s, %s, pay_type %s, card outcome %s)",
		co.NoOrder, co.Flavour, co.Route, co.OidPaybill, co.Money, co.PayType, co.Outcome)
	if code == "8901" {
		if shown != "" {
			ch.v.Add("%s: the pay step showed %s and the order is gone: order query answers 8901", what, shown)
		}
		if !ch.live {
			co.Exists, co.State = -1, ""
		}
		return n
	}
	if code != "0000" {
		ch.v.Add("order query of checkout payment %s answered %s", co.NoOrder, code)
		return n
	}
	st := res.Get("result_pay")
	if !ch.live {
		co.Exists, co.State = 1, st
	}
	if co.OidPaybill == "" {
		co.OidPaybill = res.Get("oid_paybill")
	}
	if res.Get("oid_paybill") != co.OidPaybill {
		ch.v.Add("%s: order query answers oid_paybill %s", what, res.Get("oid_paybill"))
	}
	if ParseFen(res.Get("money_order")) != co.Amount {
		ch.v.Add("%s: order query answers money_order %s", what, res.Get("money_order"))
	}
	// An Easy Payment order reports D as sent, else M or N by its card
	// (MPAY's would report the pay_type as sent); the card is the order's
	// once the payment ran.
	if want := co.queryPayType(); (st == "SUCCESS" || st == "PROCESSING" || st == "FAILURE") && res.Get("pay_type") != want {
		ch.v.Add("%s: order query answers pay_type %s, want %s (an Easy Payment order)", what, res.Get("pay_type"), want)
	}
	if !orderStates[st] {
		ch.v.Add("%s: result_pay %q is not a state", what, st)
	}
	// A processing page after a lost pay answer may be a verify the kill
	// cut between its two transactions: the clock finishes it either way.
	switch {
	case co.Paid && st != "SUCCESS":
		ch.v.Add("%s: the pay step showed success, order query answers %s", what, st)
	case co.Processing && st != "PROCESSING" && st != "SUCCESS" && (st != "FAILURE" || co.Outcome != "6001"):
		ch.v.Add("%s: the pay step showed processing, order query answers %s", what, st)
	case co.Processing && ch.final && st == "PROCESSING":
		ch.v.Add("%s: the pay step showed processing and it never completed", what)
	case co.Failed != "" && st != "FAILURE":
		ch.v.Add("%s: the pay step showed failure %s, order query answers %s", what, co.Failed, st)
	case co.Outcome == "6001" && (st == "SUCCESS" || st == "REFUND"):
		ch.v.Add("%s: a declining card's payment reads %s", what, st)
	case co.Outcome != "6001" && st == "FAILURE":
		ch.v.Add("%s: a card that pays reads %s", what, st)
	case st == "REFUND":
		ch.v.Add("%s: nothing refunded it, it reads %s", what, st)
	}
	return n
}

// queryPayType is the pay_type the order query reports for the payment.
func (co *Checkout) queryPayType() string {
	switch {
	case co.PayType == "D":
		return "D"
	case co.Credit:
		return "N"
	}
	return "M"
}

// reverifyCheckouts queries every checkout payment whose entry was sent:
// the acknowledged ones must hold; the others are read for the
// notifications they may owe.
func (vf *Verifier) reverifyCheckouts(ctx context.Context, c *client.Client, ch *checker, cos []*Checkout, add func(int)) error {
	var tasks []func() error
	for _, co := range cos {
		tasks = append(tasks, func() error {
			res, code, err := vf.query("order_query", func() (*client.Response, error) {
				return c.OrderQuery(ctx, map[string]string{"no_order": co.NoOrder, "dt_order": co.DtOrder})
			})
			if err == nil {
				vf.L.Mu.Lock()
				add(ch.checkout(co, res, code))
				vf.L.Mu.Unlock()
			}
			return err
		})
	}
	return vf.run(ctx, tasks)
}

// unsettledCheckouts are the checkout payments still processing.
func unsettledCheckouts(l *Ledger, cos []*Checkout) []*Checkout {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	var out []*Checkout
	for _, co := range cos {
		if co.State == "PROCESSING" {
			out = append(out, co)
		}
	}
	return out
}

// expectedCheckouts are the checkout payments that must be notified (they
// read SUCCESS at the last Reverify), by oid_paybill.
func expectedCheckouts(l *Ledger) map[string]*Checkout {
	cos := l.CheckoutSnapshot()
	l.Mu.Lock()
	defer l.Mu.Unlock()
	out := map[string]*Checkout{}
	for _, co := range cos {
		if co.Exists == 1 && co.State == "SUCCESS" {
			out[co.OidPaybill] = co
		}
	}
	return out
}
