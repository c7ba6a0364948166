package cashier_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
)

// TestWEBNewCreditCard: the PHP demo's WEB form (27 fields, empties
// included) → 303 → card → identity (credit) → code → pay → the success
// page's return verifies with the contract's verifier; the first view
// submits it, the next ones show the same form without script.
func TestWEBNewCreditCard(t *testing.T) {
	h := newHarness(t)
	token := h.enter("/payment/bankgateway.htm", form(h.sign(entryFields("web-1"), llgate.SignRSA)))

	body := h.page(token)
	for _, want := range []string{`data-page="cashier"`, `id="card_no"`, "羽毛球商城", "羽毛球", `<span id="money_order">0.10</span>`, "web-1"} {
		if !strings.Contains(body, want) {
			t.Fatalf("card step lacks %s:\n%s", want, body)
		}
	}
	card := creditCard(t, 1, "0000")
	h.action(token, "card", url.Values{"card_no": {card}})
	body = h.page(token)
	for _, want := range []string{`id="send_sms"`, `name="vali_date"`, `name="cvv2"`, "信用卡", `name="acct_name"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("identity step lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, card) {
		t.Fatalf("the page shows the card number in clear")
	}
	h.action(token, "sms", holder(true))
	body = h.page(token)
	if !strings.Contains(body, `id="pay_card"`) || !strings.Contains(body, `name="verify_code"`) {
		t.Fatalf("code step:\n%s", body)
	}
	h.action(token, "pay", url.Values{"verify_code": {smsCode}})

	first := h.page(token)
	if !strings.Contains(first, `data-page="success"`) {
		t.Fatalf("want the success page:\n%s", first)
	}
	action, fields, auto := returnForm(t, first)
	if action != "http://127.0.0.1:9/return" || !auto {
		t.Fatalf("return: action %q auto %v", action, auto)
	}
	got, err := verifyWEBReturn(fields, &h.platform.PublicKey, "")
	if err != nil {
		t.Fatalf("the merchant's verifier rejects the return: %v\n%v", err, fields)
	}
	if got["no_order"] != "web-1" || got["money_order"] != "0.1" || got["pay_type"] != "M" || got["info_order"] != "用户购买羽毛球3桶" {
		t.Errorf("return fields: %v", got)
	}
	if len(fields) != 12 { // the 11 fields (all set here) + sign
		t.Errorf("return posts %d fields, want 12: %v", len(fields), fields)
	}
	second := h.page(token)
	_, fields2, auto2 := returnForm(t, second)
	if auto2 {
		t.Errorf("the second view submits the return again")
	}
	if !equalPairs(fields, fields2) {
		t.Errorf("the second view's form differs:\n%v\n%v", fields, fields2)
	}

	var cs struct {
		Checkouts []map[string]string `json:"checkouts"`
	}
	h.admin("/admin/checkouts?oid_partner="+oidRSA+"&no_order=web-1", &cs)
	if len(cs.Checkouts) != 1 || cs.Checkouts[0]["state"] != llgate.CheckoutSuccess || cs.Checkouts[0]["sid"] != token ||
		cs.Checkouts[0]["flavour"] != "WEB" || cs.Checkouts[0]["url"] != "/paymentweb/payinit?token="+token {
		t.Errorf("/admin/checkouts: %v", cs.Checkouts)
	}
	var rs struct {
		Returns []map[string]string `json:"returns"`
	}
	h.admin("/admin/returns?oid_partner="+oidRSA, &rs)
	if len(rs.Returns) != 1 || rs.Returns[0]["no_order"] != "web-1" || rs.Returns[0]["url"] != "http://127.0.0.1:9/return" {
		t.Errorf("/admin/returns: %v", rs.Returns)
	}

	// The payment is notified as any other (CONTRACT §7 fields).
	var ns struct {
		Notifications []map[string]any `json:"notifications"`
	}
	h.admin("/admin/notifications?oid_partner="+oidRSA+"&no_order=web-1", &ns)
	if len(ns.Notifications) != 1 || ns.Notifications[0]["kind"] != "payment" || ns.Notifications[0]["url"] != "http://127.0.0.1:9/notify" {
		t.Errorf("notifications: %v", ns.Notifications)
	}
	// The order is the engine's: the order query sees it paid.
	o, _, err := h.app.Payments.Query(t.Context(), oidRSA, "web-1", "", "")
	if err != nil || o.Status != llgate.OrderSuccess || o.Product != llgate.PayProductEasypay || o.PayType != "M" {
		t.Fatalf("order: %+v %v", o, err)
	}
	// A new entry of the paid no_order answers 2007.
	resp, page := h.postForm("/payment/bankgateway.htm", form(h.sign(entryFields("web-1"), llgate.SignRSA)).Encode())
	if code := errorCode(t, resp, page); code != llgate.CodePaid {
		t.Errorf("entry of a paid order: got %s, want 2007", code)
	}
}

func equalPairs(a, b [][2]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (h *harness) admin(path string, out any) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	body := readBody(h.t, resp)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("%s: HTTP %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal([]byte(body), out); err != nil {
		h.t.Fatalf("%s: %v", path, err)
	}
}

// TestH5ReqDataBoundCard: an H5 req_data entry (the PHP H5 demo's keys)
// pays with the user's bound card (an agreement made by an earlier checkout
// payment); the return is one res_data field.
func TestH5ReqDataBoundCard(t *testing.T) {
	h := newHarness(t)
	user := "h5-user"
	h5 := func(noOrder string) map[string]string {
		f := entryFields(noOrder)
		for _, k := range []string{"version", "timestamp", "userreq_ip", "url_order", "bank_code", "pay_type", "no_agree",
			"shareing_data", "id_type", "id_no", "acct_name", "flag_modify", "card_no", "back_url"} {
			delete(f, k)
		}
		f["app_request"], f["user_id"], f["valid_order"], f["syschnotify_flag"] = "3", user, "30", "1"
		f["bg_color"] = "0066cc"
		return f
	}
	// First payment with a new debit card makes the agreement.
	token := h.enter("/payment.htm", reqData(t, h.sign(h5("h5-1"), llgate.SignRSA)))
	h.action(token, "card", url.Values{"card_no": {debitCard(t, 2, "0000")}})
	h.action(token, "sms", holder(false))
	h.action(token, "pay", url.Values{"verify_code": {smsCode}})
	body := h.page(token)
	_, fields, auto := returnForm(t, body)
	if !auto {
		t.Errorf("syschnotify_flag=1: the first view submits the return")
	}
	got, err := verifyH5Return(fields, &h.platform.PublicKey, "")
	if err != nil {
		t.Fatalf("H5 return: %v (%v)", err, fields)
	}
	if got["no_order"] != "h5-1" || got["result_pay"] != "SUCCESS" {
		t.Errorf("H5 return: %v", got)
	}
	if !strings.Contains(body, `class="h5"`) || !strings.Contains(body, "theme.css?bg=0066cc") {
		t.Errorf("H5 layout and colours missing")
	}

	// Second checkout: the bound card is offered.
	token = h.enter("/travlepay.htm", reqData(t, h.sign(h5("h5-2"), llgate.SignRSA)))
	body = h.page(token)
	if !strings.Contains(body, `name="no_agree"`) {
		t.Fatalf("no bound card offered:\n%s", body)
	}
	noAgree := between(body, `name="no_agree" value="`, `"`)
	h.action(token, "card", url.Values{"no_agree": {noAgree}})
	body = h.page(token)
	if !strings.Contains(body, `id="send_sms"`) || strings.Contains(body, `name="acct_name"`) {
		t.Fatalf("a bound card goes straight to the code:\n%s", body)
	}
	h.action(token, "sms", url.Values{})
	h.action(token, "pay", url.Values{"verify_code": {smsCode}})
	if body = h.page(token); !strings.Contains(body, `data-page="success"`) {
		t.Fatalf("want success:\n%s", body)
	}
	// Another user's agreement is refused.
	f := h5("h5-3")
	f["user_id"] = "someone-else"
	token = h.enter("/payment.htm", reqData(t, h.sign(f, llgate.SignRSA)))
	h.actionError(token, "card", url.Values{"no_agree": {noAgree}}, llgate.CodeNoAgreement)
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	j := strings.Index(s, end)
	if j < 0 {
		return ""
	}
	return s[:j]
}

// TestDeclineProcessingExpired: 6001 ends on the failure page; 2008 shows
// processing, then success once the clock passes verify + 5 minutes; an
// unpaid checkout past valid_order shows the expired page.
func TestDeclineProcessingExpired(t *testing.T) {
	h := newHarness(t)
	pay := func(noOrder, card string) string {
		token := h.enter("/payment/bankgateway.htm", form(h.sign(entryFields(noOrder), llgate.SignRSA)))
		h.action(token, "card", url.Values{"card_no": {card}})
		h.action(token, "sms", holder(false))
		h.action(token, "pay", url.Values{"verify_code": {smsCode}})
		return token
	}
	token := pay("decline-1", debitCard(t, 3, "6001"))
	resp, body := h.get("/paymentweb/payinit?token=" + token)
	if code := errorCode(t, resp, body); code != "6001" || !strings.Contains(body, `data-page="failure"`) {
		t.Fatalf("decline: code %s:\n%s", code, body)
	}
	if !strings.Contains(body, `href="http://127.0.0.1:9/return"`) {
		t.Errorf("the failure page links back to the merchant")
	}

	token = pay("slow-1", debitCard(t, 4, "2008"))
	resp, body = h.get("/paymentweb/payinit?token=" + token)
	if code := errorCode(t, resp, body); code != llgate.CodeProcessing || !strings.Contains(body, `id="reload"`) {
		t.Fatalf("2008: code %s:\n%s", code, body)
	}
	h.advance(5*time.Minute + time.Second)
	if body = h.page(token); !strings.Contains(body, `data-page="success"`) {
		t.Fatalf("2008 after 5 minutes: want success:\n%s", body)
	}

	f := entryFields("late-1")
	f["valid_order"] = "1"
	token = h.enter("/payment/bankgateway.htm", form(h.sign(f, llgate.SignRSA)))
	h.advance(61 * time.Second)
	resp, body = h.get("/paymentweb/payinit?token=" + token)
	if code := errorCode(t, resp, body); code != llgate.CodeClosed || !strings.Contains(body, `data-page="expired"`) {
		t.Fatalf("expired: code %s:\n%s", code, body)
	}
	resp, body = h.postForm("/payment/bankgateway.htm", form(h.sign(f, llgate.SignRSA)).Encode())
	if code := errorCode(t, resp, body); code != llgate.CodeClosed {
		t.Errorf("entry of an expired checkout: got %s, want 2006", code)
	}
}

// TestStepErrors: the card and code steps answer inline with their codes,
// and the session stays.
func TestStepErrors(t *testing.T) {
	h := newHarness(t)
	f := entryFields("steps-1")
	f["pay_type"] = "2" // debit only
	token := h.enter("/payment/bankgateway.htm", form(h.sign(f, llgate.SignRSA)))
	h.actionError(token, "card", url.Values{"card_no": {creditCard(t, 5, "0000")}}, llgate.CodePayTypeMismatch)
	h.actionError(token, "card", url.Values{"card_no": {"6222020000000000001"}}, llgate.CodeCardInvalid)
	h.actionError(token, "card", url.Values{"card_no": {"1234567890123452"}}, llgate.CodeNoIssuer)
	h.actionError(token, "card", url.Values{"card_no": {"12ab"}}, llgate.CodeBadField)
	h.action(token, "card", url.Values{"card_no": {debitCard(t, 6, "1101")}})
	h.actionError(token, "sms", holder(false), "1101")
	bad := holder(false)
	bad.Set("bind_mob", "123")
	h.actionError(token, "sms", bad, llgate.CodeBadField)
	// Another card: change, then pay; a wrong code first.
	h.action(token, "card", url.Values{})
	h.action(token, "card", url.Values{"card_no": {debitCard(t, 7, "0000")}})
	h.action(token, "sms", holder(false))
	h.actionError(token, "pay", url.Values{"verify_code": {"000000"}}, llgate.CodeWrongSMSCode)
	h.action(token, "pay", url.Values{"verify_code": {smsCode}})
	if body := h.page(token); !strings.Contains(body, `data-page="success"`) {
		t.Fatalf("want success:\n%s", body)
	}
	// Unknown and malformed tokens.
	for _, tok := range []string{"00000000000000000000000000000000", "junk"} {
		resp, body := h.get("/paymentweb/payinit?token=" + tok)
		if code := errorCode(t, resp, body); code != llgate.CodeTokenInvalid {
			t.Errorf("token %s: got %s, want 1000", tok, code)
		}
	}
}

// TestPreset: a preset card with flag_modify=1 shows the identity masked
// and fixed (posted changes ignored: the payment is the preset holder's),
// 「更换银行卡」 goes to back_url; a preset no_agree goes straight to the code.
func TestPreset(t *testing.T) {
	h := newHarness(t)
	card := debitCard(t, 41, "0000")
	f := entryFields("preset-1")
	f["card_no"], f["acct_name"], f["id_type"], f["id_no"], f["flag_modify"] = card, "李四", "0", "11010519491231002X", "1"
	f["back_url"] = "http://127.0.0.1:9/cards"
	token := h.enter("/payment/authpay.htm", form(h.sign(f, llgate.SignRSA)))
	body := h.page(token)
	for _, want := range []string{`id="send_sms"`, `<span id="acct_name">`, `href="http://127.0.0.1:9/cards"`, `id="change_card"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("preset page lacks %s:\n%s", want, body)
		}
	}
	for _, never := range []string{card, "李四", "11010519491231002X", `name="acct_name"`, `name="id_no"`} {
		if strings.Contains(body, never) {
			t.Fatalf("preset page shows %q (in clear, or as an input)", never)
		}
	}
	posted := holder(false) // 张三's identity: ignored under flag_modify
	posted.Set("bind_mob", "13900139000")
	h.action(token, "sms", posted)
	h.action(token, "pay", url.Values{"verify_code": {smsCode}})
	if body = h.page(token); !strings.Contains(body, `data-page="success"`) {
		t.Fatalf("want success:\n%s", body)
	}
	// The holder the issuer recorded is the preset one: a bind of that card
	// with 张三's ID number is a cardholder mismatch (1109).
	o, _, err := h.app.Payments.Query(t.Context(), oidRSA, "preset-1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	sec, err := llgate.OpenOrderSecret(t.Context(), h.app.Vault, o)
	if err != nil || sec.Card == nil || sec.Card.AcctName != "李四" || sec.Card.IDNo != "11010519491231002X" {
		t.Fatalf("the order's holder: %+v %v", sec.Card, err)
	}

	// A preset no_agree (the agreement the payment made) skips the card.
	g := entryFields("preset-2")
	g["user_id"], g["no_agree"] = f["user_id"], o.NoAgree
	token = h.enter("/payment/bankgateway.htm", form(h.sign(g, llgate.SignRSA)))
	body = h.page(token)
	if !strings.Contains(body, `id="send_sms"`) || strings.Contains(body, `id="card_no"`) || strings.Contains(body, `name="bind_mob"`) {
		t.Fatalf("preset no_agree page:\n%s", body)
	}
	h.action(token, "sms", url.Values{})
	h.action(token, "pay", url.Values{"verify_code": {smsCode}})
	if body = h.page(token); !strings.Contains(body, `data-page="success"`) {
		t.Fatalf("want success:\n%s", body)
	}
}

// TestResend: 「获取验证码」 pressed again while the token lives texts a new
// code for the same order: the old code answers 9700, the new one pays.
// After the token's 30 minutes a press gets a new token and code.
func TestResend(t *testing.T) {
	h := newHarness(t)
	const oid = "201408071000006666" // random codes: read from the inbox
	if _, err := h.app.Merchants.Create(t.Context(), &llgate.Merchant{OidPartner: oid, Name: "resend",
		PublicKeys: []string{readKey(t, "merchant_public_spki.pem")}}, ""); err != nil {
		t.Fatal(err)
	}
	inbox := func() []string {
		var out struct {
			Messages []struct {
				Code string `json:"code"`
			} `json:"messages"`
		}
		h.admin("/admin/sms?mobile=13800138000", &out)
		var codes []string
		for _, m := range out.Messages {
			codes = append(codes, m.Code)
		}
		return codes
	}
	f := entryFields("resend-1")
	f["oid_partner"] = oid
	token := h.enter("/payment/bankgateway.htm", form(h.sign(f, llgate.SignRSA)))
	h.action(token, "card", url.Values{"card_no": {debitCard(t, 61, "0000")}})
	h.action(token, "sms", holder(false))
	first := inbox()
	h.action(token, "sms", url.Values{})
	second := inbox()
	if len(first) != 1 || len(second) != 2 {
		t.Fatalf("texts: %v then %v, want 1 then 2", first, second)
	}
	if old, cur := second[1], second[0]; old != cur {
		h.actionError(token, "pay", url.Values{"verify_code": {old}}, llgate.CodeWrongSMSCode)
	}
	// The token dies after 30 minutes: a press gets a new token and code.
	h.advance(31 * time.Minute)
	h.actionError(token, "pay", url.Values{"verify_code": {second[0]}}, llgate.CodeTokenInvalid)
	h.action(token, "sms", url.Values{})
	third := inbox()
	if len(third) != 3 {
		t.Fatalf("texts after the token died: %v", third)
	}
	h.action(token, "pay", url.Values{"verify_code": {third[0]}})
	if body := h.page(token); !strings.Contains(body, `data-page="success"`) {
		t.Fatalf("want success:\n%s", body)
	}
}
