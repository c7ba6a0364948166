package cashier_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/protocol"
)

// TestEntryCodes: every code of §4.14 the entry answers, each an error page
// (HTTP 200, <!doctype html>, the meta, #ret_code, #ret_msg,
// body[data-ret-code]) with the 「返回商户」 link only once the signature
// verified, and a request-log line with the reason.
func TestEntryCodes(t *testing.T) {
	h := newHarness(t)
	// An order of another line takes a no_order: the entry answers 1002.
	h.enter("/payment/bankgateway.htm", form(h.sign(entryFields("taken-1"), llgate.SignRSA)))
	big := entryFields("big-1")
	big["info_order"] = strings.Repeat("x", 70<<10)

	signedWith := func(no string, edit func(map[string]string)) url.Values {
		f := entryFields(no)
		edit(f)
		return form(h.sign(f, llgate.SignRSA))
	}
	tampered := form(h.sign(entryFields("tamper-1"), llgate.SignRSA))
	tampered.Set("money_order", "0.01")
	noEasy := entryFields("noeasy-1")
	noEasy["oid_partner"] = oidNoEasy

	for _, c := range []struct {
		name, method, body string
		code               string
		link               bool
		reason             string
	}{
		{"method", http.MethodPut, form(h.sign(entryFields("m-1"), llgate.SignRSA)).Encode(), "1012", false, "method PUT"},
		{"req_data not JSON", http.MethodPost, url.Values{"req_data": {"{not json"}}.Encode(), "1012", false, ""},
		{"req_data duplicate key", http.MethodPost, url.Values{"req_data": {`{"a":"1","a":"2"}`}}.Encode(), "9901", false, ""},
		{"over 64 KiB", http.MethodPost, form(h.sign(big, llgate.SignRSA)).Encode(), "9901", false, "over"},
		{"duplicate field", http.MethodPost, form(h.sign(entryFields("dup-1"), llgate.SignRSA)).Encode() + "&no_order=dup-2", "9901", false, "twice"},
		{"no oid_partner", http.MethodPost, "name_goods=x", "1004", false, "oid_partner"},
		{"unknown merchant", http.MethodPost, "oid_partner=201408071000000000&sign_type=RSA&sign=x", "3001", false, "no merchant"},
		{"bad signature", http.MethodPost, tampered.Encode(), "1001", false, "sign source"},
		{"sign_type unknown", http.MethodPost, strings.Replace(signedWith("st-1", func(map[string]string) {}).Encode(), "sign_type=RSA", "sign_type=DSA", 1), "1001", false, "sign_type"},
		{"no easypay", http.MethodPost, form(h.sign(noEasy, llgate.SignRSA)).Encode(), "3010", true, "easypay"},
		{"name_goods missing", http.MethodPost, signedWith("f-1", func(f map[string]string) { f["name_goods"] = "" }).Encode(), "1004", true, "name_goods"},
		{"risk_item not an object", http.MethodPost, signedWith("f-2", func(f map[string]string) { f["risk_item"] = "[1]" }).Encode(), "1004", true, "risk_item"},
		{"pay_type of online banking", http.MethodPost, signedWith("f-3", func(f map[string]string) { f["pay_type"] = "1" }).Encode(), "1004", true, "pay_type"},
		{"busi_partner", http.MethodPost, signedWith("f-4", func(f map[string]string) { f["busi_partner"] = "999999" }).Encode(), "1004", true, "busi_partner"},
		{"valid_order", http.MethodPost, signedWith("f-5", func(f map[string]string) { f["valid_order"] = "0" }).Encode(), "1004", true, "valid_order"},
		{"url_return not http", http.MethodPost, signedWith("f-6", func(f map[string]string) { f["url_return"] = "ftp://x/y" }).Encode(), "1004", false, "url_return"},
		{"platform", http.MethodPost, signedWith("f-7", func(f map[string]string) { f["platform"] = "other" }).Encode(), "1004", true, "platform"},
		{"no_agree unknown", http.MethodPost, signedWith("f-8", func(f map[string]string) { f["no_agree"] = "2026120600000001" }).Encode(), "3003", true, "agreement"},
		{"no_order reused", http.MethodPost, signedWith("taken-1", func(f map[string]string) { f["money_order"] = "0.2" }).Encode(), "1002", true, "another request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, h.srv.URL+"/payment/bankgateway.htm", strings.NewReader(c.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := h.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, resp)
			if got := errorCode(t, resp, body); got != c.code {
				t.Fatalf("got %s, want %s:\n%s", got, c.code, body)
			}
			if got := strings.Contains(body, `id="back_merchant" href="http://127.0.0.1:9/return"`); got != c.link {
				t.Errorf("「返回商户」 link: got %v, want %v", got, c.link)
			}
			if c.reason != "" && !h.logged("/payment/bankgateway.htm", c.code, c.reason) {
				t.Errorf("no request-log line with code %s and reason %q", c.code, c.reason)
			}
		})
	}
}

// logged says whether the request log has a line for path with code whose
// reason holds want.
func (h *harness) logged(path, code, want string) bool {
	h.t.Helper()
	h.app.Log.Sync()
	var out struct {
		Requests []map[string]any `json:"requests"`
	}
	h.admin("/admin/requests?limit=500", &out)
	for _, r := range out.Requests {
		if r["path"] == path && r["ret_code"] == code && strings.Contains(r["reason"].(string), want) {
			return true
		}
	}
	return false
}

// TestEntryShapes: the encodings real pages use all open a checkout: GET
// query, multipart, req_data, JSP's "null" values, a GB18030 form, an MD5
// merchant (whose return is MD5-signed), SHA256withRSA; and a refreshed
// page (new timestamp and sign) resumes the same checkout.
func TestEntryShapes(t *testing.T) {
	h := newHarness(t)
	t.Run("GET query", func(t *testing.T) {
		resp, body := h.get("/payment/bankgateway.htm?" + form(h.sign(entryFields("get-1"), llgate.SignRSA)).Encode())
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("got %d:\n%s", resp.StatusCode, body)
		}
	})
	t.Run("multipart", func(t *testing.T) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, v := range h.sign(entryFields("mp-1"), llgate.SignRSA) {
			_ = mw.WriteField(k, v)
		}
		_ = mw.Close()
		resp, err := h.client.Post(h.srv.URL+"/payment/authpay.htm", mw.FormDataContentType(), &b)
		if err != nil {
			t.Fatal(err)
		}
		if body := readBody(t, resp); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("got %d:\n%s", resp.StatusCode, body)
		}
	})
	t.Run("JSP null", func(t *testing.T) {
		nulls := []string{"id_type", "id_no", "acct_name", "flag_modify", "card_no", "no_agree", "back_url"}
		f := entryFields("null-1")
		for _, k := range nulls {
			delete(f, k) // the JSP signer skips them
		}
		v := form(h.sign(f, llgate.SignRSA))
		for _, k := range nulls {
			v.Set(k, "null")
		}
		v.Set("back_url", "NULL")
		h.enter("/payment/traveleasypay.htm", v)
	})
	t.Run("req_data null and numbers", func(t *testing.T) {
		f := h.sign(entryFields("h5-null"), llgate.SignRSA)
		b, _ := json.Marshal(f)
		raw := strings.Replace(string(b), `"bank_code":""`, `"bank_code":null,"client_chnl":"NULL"`, 1)
		h.enter("/llpayh5/authpay.htm", url.Values{"req_data": {raw}})
	})
	t.Run("GB18030", func(t *testing.T) {
		f := entryFields("gb-1")
		f["name_goods"], f["info_order"] = "羽毛球拍", "用户购买"
		f["sign_type"] = llgate.SignRSA
		src, _ := simplifiedchinese.GB18030.NewEncoder().String(protocol.SignSourceMap(f))
		sig, err := protocol.Sign(h.merchant, llgate.SignRSA, src)
		if err != nil {
			t.Fatal(err)
		}
		f["sign"] = sig
		var parts []string
		for k, v := range f {
			gb, _ := simplifiedchinese.GB18030.NewEncoder().String(v)
			parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(gb))
		}
		token := h.enter("/payment/bankgateway.htm", mustParse(t, strings.Join(parts, "&")))
		if body := h.page(token); !strings.Contains(body, "羽毛球拍") {
			t.Errorf("the page does not show the GB18030 name_goods decoded:\n%s", body)
		}
	})
	t.Run("MD5 merchant", func(t *testing.T) {
		f := entryFields("md5-1")
		f["oid_partner"] = oidMD5
		token := h.enter("/payment/bankgateway.htm", form(h.sign(f, llgate.SignMD5)))
		h.action(token, "card", url.Values{"card_no": {debitCard(t, 11, "0000")}})
		h.action(token, "sms", holder(false))
		h.action(token, "pay", url.Values{"verify_code": {smsCode}})
		_, fields, _ := returnForm(t, h.page(token))
		got, err := verifyWEBReturn(fields, &h.platform.PublicKey, md5Key)
		if err != nil || got["sign_type"] != llgate.SignMD5 {
			t.Fatalf("MD5 return: %v %v", err, got)
		}
	})
	t.Run("SHA256withRSA", func(t *testing.T) {
		f := entryFields("sha-1")
		f["url_return"] = "https://merchant.example/ret?x=1&y=2"
		token := h.enter("/authpay.htm", reqData(t, h.sign(f, llgate.SignSHA256)))
		h.action(token, "card", url.Values{"card_no": {debitCard(t, 12, "0000")}})
		h.action(token, "sms", holder(false))
		h.action(token, "pay", url.Values{"verify_code": {smsCode}})
		body := h.page(token)
		action, fields, auto := returnForm(t, body)
		if action != "https://merchant.example/ret?x=1&y=2" || auto { // H5 without syschnotify_flag: a button
			t.Errorf("action %q auto %v", action, auto)
		}
		if _, err := verifyH5Return(fields, &h.platform.PublicKey, ""); err != nil {
			t.Fatalf("SHA256withRSA H5 return: %v", err)
		}
	})
	t.Run("legacy sign source with empty fields", func(t *testing.T) {
		// A 2013 Java SDK signs empty values as "k=": the JSON API's
		// fallback verification accepts it here too.
		f := entryFields("legacy-1")
		f["sign_type"] = llgate.SignRSA
		var kv []string
		for k, v := range f {
			kv = append(kv, k+"="+v)
		}
		sort.Strings(kv)
		sig, err := protocol.Sign(h.merchant, llgate.SignRSA, strings.Join(kv, "&"))
		if err != nil {
			t.Fatal(err)
		}
		f["sign"] = sig
		h.enter("/payment/bankgateway.htm", form(f))
	})
	t.Run("pay_type F", func(t *testing.T) {
		f := entryFields("preauth-1")
		f["pay_type"] = "F"
		token := h.enter("/payment/bankgateway.htm", form(h.sign(f, llgate.SignRSA)))
		h.actionError(token, "card", url.Values{"card_no": {debitCard(t, 51, "0000")}}, llgate.CodePayTypeMismatch)
		h.action(token, "card", url.Values{"card_no": {creditCard(t, 52, "0000")}})
		h.action(token, "sms", holder(true))
		h.action(token, "pay", url.Values{"verify_code": {smsCode}})
		_, fields, _ := returnForm(t, h.page(token))
		got, err := verifyWEBReturn(fields, &h.platform.PublicKey, "")
		if err != nil || got["pay_type"] != "F" {
			t.Fatalf("pre-authorisation return: %v %v", err, got)
		}
	})
	t.Run("refresh resumes", func(t *testing.T) {
		f := entryFields("again-1")
		t1 := h.enter("/payment/bankgateway.htm", form(h.sign(f, llgate.SignRSA)))
		f["timestamp"] = "20261206111111"
		t2 := h.enter("/payment/bankgateway.htm", form(h.sign(f, llgate.SignRSA)))
		if t1 != t2 {
			t.Errorf("a refreshed page opened a second checkout")
		}
	})
}

func mustParse(t *testing.T, s string) url.Values {
	// url.Values re-encodes; the raw GB18030 bytes survive ParseQuery.
	v, err := url.ParseQuery(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVectors replays the captured browser posts of the PHP demo's WEB and
// H5 pages byte for byte (their timestamps are hours old: the sandbox does
// not enforce it) up to the 303 — never further: their notify_url is a
// private address (testdata/vectors/README.md).
func TestVectors(t *testing.T) {
	h := newHarness(t)
	for _, name := range []string{"01-bankgateway", "01-payment"} {
		t.Run(name, func(t *testing.T) {
			head, err := os.ReadFile(filepath.Join("testdata", "vectors", name+".head"))
			if err != nil {
				t.Fatal(err)
			}
			body, err := os.ReadFile(filepath.Join("testdata", "vectors", name+".body"))
			if err != nil {
				t.Fatal(err)
			}
			conn, err := net.Dial("tcp", h.srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write(append(head, body...)); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			page := readBody(t, resp)
			if resp.StatusCode != http.StatusSeeOther || !cashierURL.MatchString(resp.Header.Get("Location")) {
				t.Fatalf("got %d %q:\n%s", resp.StatusCode, resp.Header.Get("Location"), page)
			}
			token := cashierURL.FindStringSubmatch(resp.Header.Get("Location"))[1]
			if p := h.page(token); !strings.Contains(p, "羽毛球") || !strings.Contains(p, `id="card_no"`) {
				t.Errorf("the cashier of the vector:\n%s", p)
			}
		})
	}
}

// TestGatewayEntry: in gateway mode the entry enforces timestamp (±30
// minutes of China time) and refuses a notify_url the notifier would not
// call, as the JSON API does; the sandbox's admin calls are absent.
func TestGatewayEntry(t *testing.T) {
	h := newHarnessMode(t, llgate.ModeGateway)
	now := time.Now().In(llgate.ChinaTime)
	ok := func(no string) map[string]string {
		f := entryFields(no)
		f["timestamp"], f["notify_url"] = now.Format("20060102150405"), "https://merchant.example.com/notify"
		return f
	}
	h.enter("/payment/bankgateway.htm", form(h.sign(ok("gw-1"), llgate.SignRSA)))
	for _, c := range []struct {
		name, field string
		edit        func(map[string]string)
	}{
		{"old timestamp", "timestamp", func(f map[string]string) { f["timestamp"] = now.Add(-31 * time.Minute).Format("20060102150405") }},
		{"loopback notify_url", "notify_url", func(f map[string]string) { f["notify_url"] = "http://127.0.0.1:9/notify" }},
	} {
		f := ok("gw-" + c.field)
		c.edit(f)
		resp, body := h.postForm("/payment/bankgateway.htm", form(h.sign(f, llgate.SignRSA)).Encode())
		if code := errorCode(t, resp, body); code != llgate.CodeBadField || !strings.Contains(body, c.field) {
			t.Errorf("%s: got %s, want 1004 naming %s:\n%s", c.name, code, c.field, body)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/admin/checkouts", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/admin/checkouts in gateway mode: HTTP %d, want 404", resp.StatusCode)
	}
}

// TestH5ErrorPage: an H5 route's error page has the mobile layout.
func TestH5ErrorPage(t *testing.T) {
	h := newHarness(t)
	resp, body := h.postForm("/wap/payment.htm", url.Values{"req_data": {"{"}}.Encode())
	if code := errorCode(t, resp, body); code != llgate.CodeUnparseable || !strings.Contains(body, `class="h5"`) {
		t.Fatalf("got %s:\n%s", code, body)
	}
}

// TestEntryRateLimits: the JSON API's per-merchant and per-address limits
// apply to the entry (9903, an error page).
func TestEntryRateLimits(t *testing.T) {
	for _, c := range []struct {
		name string
		opt  func(*app.Options)
	}{
		{"merchant", func(o *app.Options) { o.MerchantRate = 0.001 }},
		{"address", func(o *app.Options) { o.AddrRate = 0.001 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarnessMode(t, llgate.ModeSandbox, c.opt)
			h.enter("/payment/bankgateway.htm", form(h.sign(entryFields("rl-1"), llgate.SignRSA)))
			resp, body := h.postForm("/payment/bankgateway.htm", form(h.sign(entryFields("rl-2"), llgate.SignRSA)).Encode())
			if code := errorCode(t, resp, body); code != llgate.CodeRateLimited {
				t.Fatalf("got %s, want 9903", code)
			}
		})
	}
}
