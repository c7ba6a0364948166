package cashier_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/internal/browsertest"
)

// phpWebOrder is the order of the 28 hidden inputs the PHP demo's
// buildRequestForm prints (CONTRACT-easypay-payouts.md §3.1 E1).
var phpWebOrder = []string{"version", "oid_partner", "user_id", "timestamp", "sign_type", "sign", "busi_partner",
	"no_order", "dt_order", "name_goods", "info_order", "money_order", "notify_url", "url_return", "userreq_ip",
	"url_order", "valid_order", "bank_code", "pay_type", "no_agree", "shareing_data", "risk_item", "id_type", "id_no",
	"acct_name", "flag_modify", "card_no", "back_url"}

// merchantSite is the merchant's own site on another origin: the pages
// whose forms the browser posts to llgate (as the PHP demo prints them:
// single-quoted attributes, nothing escaped, auto-submitted), the
// notify_url, and the url_return that records each return posted to it.
type merchantSite struct {
	srv     *httptest.Server
	pages   map[string]string
	returns chan url.Values
}

func newMerchantSite(t *testing.T) *merchantSite {
	m := &merchantSite{pages: map[string]string{}, returns: make(chan url.Values, 8)}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/notify":
			_, _ = io.WriteString(w, `{"ret_code":"0000","ret_msg":"交易成功"}`)
		case r.URL.Path == "/return":
			if r.Method == http.MethodPost {
				_ = r.ParseForm()
				m.returns <- r.PostForm
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, `<!doctype html><html><body data-page="merchant-return"><p>付款成功</p></body></html>`)
		default:
			page, ok := m.pages[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=UTF-8")
			_, _ = io.WriteString(w, page)
		}
	}))
	t.Cleanup(m.srv.Close)
	return m
}

// webPage prints fields as the PHP WEB demo does.
func (m *merchantSite) webPage(path, action string, fields map[string]string) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><title>连连支付WEB交易接口</title></head>`)
	fmt.Fprintf(&b, "<form id='llpaysubmit' name='llpaysubmit' action='%s' method='post'>", action)
	for _, k := range phpWebOrder {
		fmt.Fprintf(&b, "<input type='hidden' name='%s' value='%s'/>", k, fields[k])
	}
	b.WriteString("<input type='submit' value='确认' style='display:none;'></form><script>document.forms['llpaysubmit'].submit();</script></body></html>")
	m.pages[path] = b.String()
	return m.srv.URL + path
}

// h5Page prints the H5 demo's one-field form.
func (m *merchantSite) h5Page(path, action string, fields map[string]string) string {
	j, _ := json.Marshal(fields)
	m.pages[path] = fmt.Sprintf(`<!doctype html><html><head><meta charset="utf-8"><title>连连支付wap交易接口</title></head><body>`+
		"<form id='llpaysubmit' name='llpaysubmit' action='%s' method='post'><input type='hidden' name='req_data' value='%s'/></form>"+
		"<script>document.forms['llpaysubmit'].submit();</script></body></html>", action, string(j))
	return m.srv.URL + path
}

// browserOrder is an order for the browser tests, its addresses the
// merchant site's.
func (m *merchantSite) order(noOrder, oid string) map[string]string {
	f := entryFields(noOrder)
	f["oid_partner"], f["notify_url"], f["url_return"] = oid, m.srv.URL+"/notify", m.srv.URL+"/return"
	return f
}

// lastCode reads the newest code texted to mobile from the sandbox inbox.
func (h *harness) lastCode(mobile string) string {
	h.t.Helper()
	var out struct {
		Messages []struct {
			Code string `json:"code"`
		} `json:"messages"`
	}
	h.admin("/admin/sms?mobile="+mobile, &out)
	if len(out.Messages) == 0 {
		h.t.Fatalf("no SMS to %s", mobile)
	}
	return out.Messages[0].Code
}

// shot writes a screenshot to the test's temp dir, and to
// $LLGATE_SCREENSHOTS/name when that is set (the README's images).
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dirs := []string{t.TempDir()}
	if d := os.Getenv("LLGATE_SCREENSHOTS"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		body, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		t.Fatalf("%s: %v\npage:\n%s", what, err, body)
	}
}

// value runs one action that returns a value.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

const oidBrowser = "201408071000007777" // random SMS codes: the test reads the inbox

func browserHarness(t *testing.T) (*harness, *merchantSite, context.Context) {
	ctx := browsertest.New(t, 60*time.Second)
	h := newHarness(t)
	if _, err := h.app.Merchants.Create(t.Context(), &llgate.Merchant{OidPartner: oidBrowser, Name: "羽毛球商城",
		PublicKeys: []string{readKey(t, "merchant_public_spki.pem")}}, ""); err != nil {
		t.Fatal(err)
	}
	return h, newMerchantSite(t), ctx
}

// TestBrowserWEBCreditCard: the PHP WEB form posts from the merchant's
// origin; the payer types a new credit card, reads the code from the
// inbox, pays; the merchant's url_return receives the POST, and the
// contract's verifier accepts exactly the 11 fields + sign.
func TestBrowserWEBCreditCard(t *testing.T) {
	h, site, ctx := browserHarness(t)
	pageURL := site.webPage("/pay-web", h.srv.URL+"/payment/bankgateway.htm", h.sign(site.order("bw-1", oidBrowser), llgate.SignRSA))
	run(t, ctx, "entry", chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.CSS(`body[data-page="cashier"] #card_no`)))
	run(t, ctx, "card", chromedp.SendKeys(chromedp.CSS(`#card_no`), creditCard(t, 21, "0000")), chromedp.Click(chromedp.CSS(`#card_next`)),
		chromedp.WaitVisible(chromedp.CSS(`#send_sms`)))
	bank := value(t, ctx, "bank", chromedp.Text(chromedp.CSS(`#bank_name`)))
	run(t, ctx, "identity",
		chromedp.SendKeys(chromedp.CSS(`input[name="acct_name"]`), "张三"),
		chromedp.SendKeys(chromedp.CSS(`input[name="id_no"]`), "110105199003071239"),
		chromedp.SendKeys(chromedp.CSS(`input[name="bind_mob"]`), "13800138000"),
		chromedp.SendKeys(chromedp.CSS(`input[name="vali_date"]`), "12/30"),
		chromedp.SendKeys(chromedp.CSS(`input[name="cvv2"]`), "123"))
	if bank == "" {
		t.Errorf("the BIN lookup shows no bank")
	}
	shot(t, ctx, "cashier-web.png")
	run(t, ctx, "send code", chromedp.Click(chromedp.CSS(`#send_sms`)), chromedp.WaitVisible(chromedp.CSS(`#pay_card`)))
	run(t, ctx, "pay", chromedp.SendKeys(chromedp.CSS(`#verify_code`), h.lastCode("13800138000")), chromedp.Click(chromedp.CSS(`#pay_card`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-page="merchant-return"]`)))
	posted := <-site.returns
	var pairs [][2]string
	for k, vs := range posted {
		for _, v := range vs {
			pairs = append(pairs, [2]string{k, v})
		}
	}
	got, err := verifyWEBReturn(pairs, &h.platform.PublicKey, "")
	if err != nil {
		t.Fatalf("the merchant's verifier rejects the browser's return: %v (%v)", err, posted)
	}
	if got["no_order"] != "bw-1" || got["oid_partner"] != oidBrowser {
		t.Errorf("return: %v", got)
	}
	// Back in the cashier (history), the return is not submitted again.
	run(t, ctx, "back", chromedp.NavigateBack(), chromedp.WaitVisible(chromedp.CSS(`body[data-page="success"]`)))
	page := value(t, ctx, "page", chromedp.OuterHTML(chromedp.CSS("html")))
	if strings.Contains(page, "submit();") {
		t.Errorf("a later view submits the return again")
	}
}

// TestBrowserH5 is the H5 req_data form on a phone-sized screen, paid with
// a debit card; then the same user's bound card; a declined card (6001);
// the 2008 card; an expired checkout; an MD5 merchant.
func TestBrowserH5(t *testing.T) {
	h, site, ctx := browserHarness(t)
	run(t, ctx, "viewport", chromedp.EmulateViewport(390, 844))
	h5 := func(noOrder, oid string) map[string]string {
		f := site.order(noOrder, oid)
		for _, k := range []string{"version", "timestamp", "userreq_ip", "url_order", "bank_code", "pay_type", "no_agree",
			"shareing_data", "id_type", "id_no", "acct_name", "flag_modify", "card_no", "back_url"} {
			delete(f, k)
		}
		f["app_request"], f["user_id"], f["syschnotify_flag"], f["bg_color"] = "3", "h5-browser", "1", "0066cc"
		return f
	}
	newCard := func(what, noOrder, oid, signType, card string) {
		t.Helper()
		u := site.h5Page("/"+noOrder, h.srv.URL+"/payment.htm", h.sign(h5(noOrder, oid), signType))
		run(t, ctx, what+": entry", chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(`#card_no`)))
		run(t, ctx, what+": card", chromedp.SendKeys(chromedp.CSS(`#card_no`), card), chromedp.Click(chromedp.CSS(`#card_next`)), chromedp.WaitVisible(chromedp.CSS(`#send_sms`)),
			chromedp.SendKeys(chromedp.CSS(`input[name="acct_name"]`), "张三"),
			chromedp.SendKeys(chromedp.CSS(`input[name="id_no"]`), "110105199003071239"),
			chromedp.SendKeys(chromedp.CSS(`input[name="bind_mob"]`), "13800138000"))
		if noOrder == "h5-1" {
			shot(t, ctx, "cashier-h5.png")
		}
		run(t, ctx, what+": code", chromedp.Click(chromedp.CSS(`#send_sms`)), chromedp.WaitVisible(chromedp.CSS(`#pay_card`)))
		run(t, ctx, what+": pay", chromedp.SendKeys(chromedp.CSS(`#verify_code`), h.lastCode("13800138000")), chromedp.Click(chromedp.CSS(`#pay_card`)))
	}
	checkReturn := func(what, md5 string) {
		t.Helper()
		run(t, ctx, what+": return", chromedp.WaitVisible(chromedp.CSS(`body[data-page="merchant-return"]`)))
		posted := <-site.returns
		got, err := verifyH5Return([][2]string{{"res_data", posted.Get("res_data")}}, &h.platform.PublicKey, md5)
		if err != nil || len(posted) != 1 {
			t.Fatalf("%s: H5 return: %v (%v)", what, err, posted)
		}
		_ = got
	}

	newCard("new debit card", "h5-1", oidBrowser, llgate.SignRSA, debitCard(t, 31, "0000"))
	checkReturn("new debit card", "")

	u := site.h5Page("/h5-2", h.srv.URL+"/payment.htm", h.sign(h5("h5-2", oidBrowser), llgate.SignRSA))
	run(t, ctx, "bound card", chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(`#use_agree`)), chromedp.Click(chromedp.CSS(`#use_agree`)),
		chromedp.WaitVisible(chromedp.CSS(`#send_sms`)), chromedp.Click(chromedp.CSS(`#send_sms`)), chromedp.WaitVisible(chromedp.CSS(`#pay_card`)))
	run(t, ctx, "bound card: pay", chromedp.SendKeys(chromedp.CSS(`#verify_code`), h.lastCode("13800138000")), chromedp.Click(chromedp.CSS(`#pay_card`)))
	checkReturn("bound card", "")

	newCard("declined", "h5-3", oidBrowser, llgate.SignRSA, debitCard(t, 32, "6001"))
	run(t, ctx, "declined: page", chromedp.WaitVisible(chromedp.CSS(`body[data-page="failure"]`)))
	code := value(t, ctx, "declined: code", chromedp.Text(chromedp.CSS(`#ret_code`)))
	if code != "6001" {
		t.Errorf("declined: ret_code %q, want 6001", code)
	}

	newCard("2008", "h5-4", oidBrowser, llgate.SignRSA, debitCard(t, 33, "2008"))
	run(t, ctx, "2008: page", chromedp.WaitVisible(chromedp.CSS(`body[data-page="processing"] #reload`)))
	h.advance(5*time.Minute + time.Second)
	run(t, ctx, "2008: reload", chromedp.Click(chromedp.CSS(`#reload`)))
	checkReturn("2008", "")

	f := h5("h5-5", oidBrowser)
	f["valid_order"] = "1"
	u = site.h5Page("/h5-5", h.srv.URL+"/payment.htm", h.sign(f, llgate.SignRSA))
	run(t, ctx, "expired: entry", chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(`#card_no`)))
	h.advance(2 * time.Minute)
	run(t, ctx, "expired: card", chromedp.SendKeys(chromedp.CSS(`#card_no`), debitCard(t, 34, "0000")), chromedp.Click(chromedp.CSS(`#card_next`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-page="expired"]`)))

	newCard("MD5", "h5-6", oidMD5, llgate.SignMD5, debitCard(t, 35, "0000"))
	checkReturn("MD5", md5Key)
}
