package cashier_test

import (
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/issuer"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/sqlite/sqlitetest"
	"github.com/llgate/llgate/vault"
)

const (
	oidRSA     = "201408071000001539" // the test merchant of the captured vectors
	oidMD5     = "201408071000009999"
	oidNoEasy  = "201408071000008888"
	md5Key     = "md5-test-key-201408071000009999"
	adminToken = "test-admin-token"
	smsCode    = "123456"
)

func readKey(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "clients", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func privateKey(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	k, err := protocol.ParsePrivateKey(readKey(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// harness is a real llgate (internal/app over SQLite) on loopback, with an
// HTTP client that does not follow redirects, so tests see each 303.
type harness struct {
	t        testing.TB
	app      *app.App
	srv      *httptest.Server
	client   *http.Client
	merchant *rsa.PrivateKey
	platform *rsa.PrivateKey
}

func newHarness(t testing.TB) *harness { return newHarnessMode(t, llgate.ModeSandbox) }

func newHarnessMode(t testing.TB, mode llgate.Mode, opts ...func(*app.Options)) *harness {
	t.Helper()
	h := &harness{t: t, merchant: privateKey(t, "merchant_private_pkcs8.pem"), platform: privateKey(t, "platform_private_pkcs8.pem")}
	o := app.Options{
		Mode: mode, MasterKey: vault.GenerateMasterKey(), PlatformKey: h.platform,
		AdminToken: adminToken, Limits: true, Logger: slog.New(slog.DiscardHandler),
	}
	for _, f := range opts {
		f(&o)
	}
	if o.Store == nil {
		o.Store = sqlitetest.Open(t)
	}
	a, err := app.New(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	h.app = a
	h.srv = httptest.NewServer(a.Server)
	t.Cleanup(func() { h.srv.Close(); a.Close() })
	h.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	pub := readKey(t, "merchant_public_spki.pem")
	for _, m := range []*llgate.Merchant{
		{OidPartner: oidRSA, Name: "羽毛球商城", PublicKeys: []string{pub}, SMSCode: smsCode},
		{OidPartner: oidMD5, Name: "MD5 商户", PublicKeys: []string{pub}, SMSCode: smsCode, SignTypes: []string{llgate.SignRSA, llgate.SignMD5}},
		{OidPartner: oidNoEasy, Name: "MPAY only", PublicKeys: []string{pub}, Products: []string{llgate.ProductMPAY}},
	} {
		key := ""
		if m.OidPartner == oidMD5 {
			key = md5Key
		}
		if _, err := a.Merchants.Create(t.Context(), m, key); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// entryFields are a WEB order's fields, unsigned, as the PHP demo's form
// carries them (empty ones included).
func entryFields(noOrder string) map[string]string {
	return map[string]string{
		"version": "1.0", "oid_partner": oidRSA, "user_id": "user-" + noOrder, "timestamp": "20261206101000",
		"busi_partner": "101001", "no_order": noOrder, "dt_order": "20261206101000", "name_goods": "羽毛球",
		"info_order": "用户购买羽毛球3桶", "money_order": "0.1", "notify_url": "http://127.0.0.1:9/notify",
		"url_return": "http://127.0.0.1:9/return", "userreq_ip": "10_10_246_110", "url_order": "",
		"valid_order": "10080", "bank_code": "", "pay_type": "", "no_agree": "", "shareing_data": "",
		"risk_item": `{"user_info_bind_phone":"13958069593","user_info_dt_register":"20131030122130","risk_state":"1","frms_ware_category":"1009"}`,
		"id_type":   "0", "id_no": "", "acct_name": "", "flag_modify": "0", "card_no": "", "back_url": "",
	}
}

// sign signs fields as a merchant page does (empty values left out of the
// sign source) with sign_type t: RSA and SHA256withRSA with the test
// merchant key, MD5 with md5Key.
func (h *harness) sign(fields map[string]string, t string) map[string]string {
	h.t.Helper()
	fields["sign_type"] = t
	delete(fields, "sign")
	src := protocol.SignSourceMap(fields)
	if t == llgate.SignMD5 {
		fields["sign"] = protocol.SignMD5(src, md5Key)
		return fields
	}
	sig, err := protocol.Sign(h.merchant, t, src)
	if err != nil {
		h.t.Fatal(err)
	}
	fields["sign"] = sig
	return fields
}

func form(fields map[string]string) url.Values {
	v := url.Values{}
	for k, x := range fields {
		v.Set(k, x)
	}
	return v
}

// reqData is the H5 form: one field req_data, the signed JSON.
func reqData(t testing.TB, fields map[string]string) url.Values {
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return url.Values{"req_data": {string(b)}}
}

// postForm posts an urlencoded body and returns the response and its body.
func (h *harness) postForm(path string, body string) (*http.Response, string) {
	h.t.Helper()
	resp, err := h.client.Post(h.srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	return resp, readBody(h.t, resp)
}

func (h *harness) get(path string) (*http.Response, string) {
	h.t.Helper()
	resp, err := h.client.Get(h.srv.URL + path)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp, readBody(h.t, resp)
}

func readBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var cashierURL = regexp.MustCompile(`^/paymentweb/payinit\?token=([0-9A-F]{32})$`)

// enter posts an entry and returns the cashier's token from the 303.
func (h *harness) enter(path string, body url.Values) string {
	h.t.Helper()
	resp, page := h.postForm(path, body.Encode())
	if resp.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("entry %s: got HTTP %d, want 303; page:\n%s", path, resp.StatusCode, page)
	}
	m := cashierURL.FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil {
		h.t.Fatalf("entry %s: Location %q is not the cashier", path, resp.Header.Get("Location"))
	}
	return m[1]
}

// page fetches the cashier of token and checks what every page carries.
func (h *harness) page(token string) string {
	h.t.Helper()
	resp, body := h.get("/paymentweb/payinit?token=" + token)
	checkPage(h.t, resp, body)
	return body
}

func checkPage(t testing.TB, resp *http.Response, body string) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d, want 200:\n%s", resp.StatusCode, body)
	}
	if !strings.HasPrefix(body, "<!doctype html>") {
		t.Fatalf("page does not start with <!doctype html>:\n%.200s", body)
	}
	for k, want := range map[string]string{"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: got %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'nonce-") {
		t.Errorf("no CSP with a nonce: %q", resp.Header.Get("Content-Security-Policy"))
	}
}

// action posts a cashier action and expects the 303 back to the cashier.
func (h *harness) action(token, step string, fields url.Values) {
	h.t.Helper()
	resp, body := h.postForm("/paymentweb/payinit/"+step+"?token="+token, fields.Encode())
	if resp.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("%s: got HTTP %d, want 303:\n%s", step, resp.StatusCode, body)
	}
}

// actionError posts a cashier action and expects the cashier with an
// inline error of code.
func (h *harness) actionError(token, step string, fields url.Values, code string) string {
	h.t.Helper()
	resp, body := h.postForm("/paymentweb/payinit/"+step+"?token="+token, fields.Encode())
	checkPage(h.t, resp, body)
	if !strings.Contains(body, `<div id="error" data-ret-code="`+code+`"`) {
		h.t.Fatalf("%s: want the inline error %s; page:\n%s", step, code, body)
	}
	return body
}

var retCodeMeta = regexp.MustCompile(`<meta name="llgate-ret-code" content="([0-9A-Z]+)">`)

// errorCode checks an error page and returns its code.
func errorCode(t testing.TB, resp *http.Response, body string) string {
	t.Helper()
	checkPage(t, resp, body)
	m := retCodeMeta.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no llgate-ret-code meta:\n%s", body)
	}
	for _, want := range []string{`<span id="ret_code">` + m[1] + `</span>`, `data-ret-code="` + m[1] + `"`, `id="ret_msg"`} {
		if !strings.Contains(body, want) {
			t.Errorf("error page lacks %s:\n%s", want, body)
		}
	}
	return m[1]
}

func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	if _, err := h.app.SandboxClock.Advance(h.t.Context(), d); err != nil {
		h.t.Fatal(err)
	}
}

// test cards: Luhn-valid, outcome digits chosen.
func debitCard(t testing.TB, seed uint64, outcome string) string {
	c, err := issuer.TestCard("622202", 19, seed, outcome)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func creditCard(t testing.TB, seed uint64, outcome string) string {
	c, err := issuer.TestCard("622148", 16, seed, outcome)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// holder is what the identity step posts.
func holder(credit bool) url.Values {
	v := url.Values{"acct_name": {"张三"}, "id_type": {"0"}, "id_no": {"110105199003071239"}, "bind_mob": {"13800138000"}}
	if credit {
		v.Set("vali_date", "12/30") // shown MM/YY
		v.Set("cvv2", "123")
	}
	return v
}

// returnForm reads the sync-return form of a success page: its action,
// fields in order, and whether the page submits it by script.
func returnForm(t testing.TB, body string) (action string, fields [][2]string, auto bool) {
	t.Helper()
	m := regexp.MustCompile(`<form id="return_form" method="post" action="([^"]*)" accept-charset="UTF-8">`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no return form:\n%s", body)
	}
	for _, in := range regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`).FindAllStringSubmatch(body, -1) {
		fields = append(fields, [2]string{unescape(in[1]), unescape(in[2])})
	}
	return unescape(m[1]), fields, strings.Contains(body, `document.getElementById("return_form").submit()`)
}

func unescape(s string) string {
	r := strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&#43;", "+", "&amp;", "&")
	return r.Replace(s)
}
