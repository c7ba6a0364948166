package cashier_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/postgres/pgtest"
	"github.com/llgate/llgate/protocol"
)

// stores runs fn on a harness over SQLite and one over PostgreSQL (skipped,
// saying so, without LLGATE_TEST_POSTGRES), in parallel.
func stores(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, newHarness(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		st := pgtest.Open(t)
		fn(t, newHarnessMode(t, llgate.ModeSandbox, func(o *app.Options) { o.Store = st }))
	})
}

// call runs a JSON API endpoint as the test merchant and returns the
// verified answer's fields and ret_code.
func (h *harness) call(t *testing.T, name string, fields map[string]string) (map[string]string, string) {
	t.Helper()
	c := client.New(h.srv.URL, oidRSA, h.merchant, &h.platform.PublicKey)
	r, err := c.Do(context.Background(), name, fields)
	var apiErr *client.Error
	switch {
	case err == nil:
		return r.Fields, r.Get("ret_code")
	case errors.As(err, &apiErr):
		return apiErr.Answer, apiErr.RetCode
	}
	t.Fatalf("%s: %v", name, err)
	return nil, ""
}

// orderQuery asks /orderquery.htm for no_order and wants 0000.
func (h *harness) orderQuery(t *testing.T, noOrder string) map[string]string {
	t.Helper()
	a, code := h.call(t, protocol.EPOrderQuery, map[string]string{"no_order": noOrder, "query_version": "1.1"})
	if code != llgate.CodeOK {
		t.Fatalf("order query %s: %s %v", noOrder, code, a)
	}
	return a
}

// checkout returns /admin/checkouts' row of no_order.
func (h *harness) checkout(t *testing.T, noOrder string) map[string]string {
	t.Helper()
	var cs struct {
		Checkouts []map[string]string `json:"checkouts"`
	}
	h.admin("/admin/checkouts?oid_partner="+oidRSA+"&no_order="+noOrder, &cs)
	if len(cs.Checkouts) != 1 {
		t.Fatalf("/admin/checkouts %s: %v", noOrder, cs.Checkouts)
	}
	return cs.Checkouts[0]
}

// TestEntryCreatesOrder (CONTRACT-easypay-payouts.md §4.2, §4.6): a valid
// entry creates the order, WAITING (a pre-authorisation 2003), before any
// code; the JSON API cannot take its no_order; a failed code step leaves it
// card-less; the code step fills that same order, which then pays; an
// abandoned one is closed by the clock; reset removes it.
func TestEntryCreatesOrder(t *testing.T) {
	stores(t, func(t *testing.T, h *harness) {
		t.Run("waiting before any code, then paid", func(t *testing.T) { entryWaitingThenPaid(t, h) })
		t.Run("pre-authorisation 2003", func(t *testing.T) { entryPreauth(t, h) })
		t.Run("abandoned entry closed by the clock", func(t *testing.T) { entryAbandoned(t, h) })
		t.Run("reset", func(t *testing.T) { entryReset(t, h) })
	})
}

func entryWaitingThenPaid(t *testing.T, h *harness) {
	token := h.enter("/payment/bankgateway.htm", form(h.sign(entryFields("eo-1"), llgate.SignRSA)))
	q := h.orderQuery(t, "eo-1")
	if q["result_pay"] != llgate.OrderWaiting || q["pay_type"] != "M" || q["money_order"] != "0.1" ||
		q["dt_order"] != "20261206101000" || q["info_order"] != "用户购买羽毛球3桶" || len(q["oid_paybill"]) != 16 {
		t.Fatalf("order query before any code: %v", q)
	}
	if _, ok := q["card_no"]; ok || q["bank_code"] != "" || q["settle_date"] != "" {
		t.Errorf("a card-less order names a card or a settle date: %v", q)
	}
	oid := q["oid_paybill"]
	if co := h.checkout(t, "eo-1"); co["state"] != llgate.CheckoutOpen || co["oid_paybill"] != oid {
		t.Fatalf("/admin/checkouts: %v, want open with %s", co, oid)
	}

	// The no_order is the checkout's: the JSON APIs answer 1002.
	mpay := map[string]string{
		"user_id": "user-eo-1", "busi_partner": "101001", "no_order": "eo-1", "dt_order": "20261206101000",
		"name_goods": "羽毛球", "money_order": "0.1", "notify_url": "http://127.0.0.1:9/notify", "pay_type": "2",
		"risk_item": `{"frms_ware_category":"1009","user_info_mercht_userno":"user-eo-1","user_info_dt_register":"20250101120000","goods_name":"羽毛球"}`,
		"id_type":   "0", "id_no": "110105199003071239", "acct_name": "张三", "card_no": debitCard(t, 81, "0000"),
		"bind_mob": "13800138000",
	}
	if a, code := h.call(t, protocol.EPPayApply, mpay); code != llgate.CodeDuplicateOrder {
		t.Errorf("MPAY pay apply of the entry's no_order: %s %s, want 1002", code, a["ret_msg"])
	}
	easy := map[string]string{}
	for k, v := range mpay {
		easy[k] = v
	}
	easy["pay_type"] = "M"
	if a, code := h.call(t, protocol.EPEasypayApply, easy); code != llgate.CodeDuplicateOrder {
		t.Errorf("easypay apply of the entry's no_order: %s %s, want 1002", code, a["ret_msg"])
	}

	// A failed code step leaves the order card-less and the session open.
	h.action(token, "card", url.Values{"card_no": {debitCard(t, 82, "1101")}})
	h.actionError(token, "sms", holder(false), "1101")
	if q := h.orderQuery(t, "eo-1"); q["result_pay"] != llgate.OrderWaiting || q["oid_paybill"] != oid || q["card_no"] != "" {
		t.Fatalf("order query after a failed code step: %v", q)
	}
	if co := h.checkout(t, "eo-1"); co["state"] != llgate.CheckoutOpen {
		t.Fatalf("checkout after a failed code step: %v", co)
	}

	// The console shows the card-less order, and its history.
	body := h.console(t, "/console/payments/"+oid)
	for _, want := range []string{`id="no_card"`, "eo-1", "WAITING", "opened at the checkout entry"} {
		if !strings.Contains(body, want) {
			t.Errorf("console payment page lacks %s:\n%s", want, body)
		}
	}

	// The console's request pages show the cashier's log lines (which keep
	// no form) too.
	requests := h.console(t, "/console/requests")
	links := regexp.MustCompile(`href="(/console/requests/[0-9]+)"`).FindAllStringSubmatch(requests, -1)
	if len(links) == 0 {
		t.Fatalf("no request lines in the console:\n%s", requests)
	}
	for _, l := range links {
		h.console(t, l[1])
	}

	// Another card: the code step fills the same order, which pays.
	h.action(token, "card", url.Values{})
	card := debitCard(t, 83, "0000")
	h.action(token, "card", url.Values{"card_no": {card}})
	h.action(token, "sms", holder(false))
	q = h.orderQuery(t, "eo-1")
	if q["result_pay"] != llgate.OrderWaiting || q["oid_paybill"] != oid || q["pay_type"] != "M" ||
		!strings.HasSuffix(q["card_no"], card[len(card)-4:]) || strings.Contains(q["card_no"], card) || q["bank_code"] == "" {
		t.Fatalf("order query after the code: %v", q)
	}
	if co := h.checkout(t, "eo-1"); co["state"] != llgate.CheckoutCodeSent {
		t.Fatalf("checkout after the code: %v", co)
	}
	h.action(token, "pay", url.Values{"verify_code": {smsCode}})
	if body := h.page(token); !strings.Contains(body, `data-page="success"`) {
		t.Fatalf("want success:\n%s", body)
	}
	if q := h.orderQuery(t, "eo-1"); q["result_pay"] != llgate.OrderSuccess || q["oid_paybill"] != oid || q["settle_date"] == "" {
		t.Fatalf("order query after paying: %v", q)
	}
	body = h.console(t, "/console/payments/"+oid)
	for _, want := range []string{"opened at the checkout entry", "applied", "SUCCESS"} {
		if !strings.Contains(body, want) {
			t.Errorf("console payment page lacks %s", want)
		}
	}
	if strings.Contains(body, card) {
		t.Errorf("the console shows the card number")
	}
}

func entryPreauth(t *testing.T, h *harness) {
	f := entryFields("eo-f1")
	f["pay_type"] = "F"
	token := h.enter("/payment/bankgateway.htm", form(h.sign(f, llgate.SignRSA)))
	pq := map[string]string{"no_order": "eo-f1", "pay_type": "F"}
	if a, code := h.call(t, protocol.EPPreauthQuery, pq); code != llgate.PreauthCreated || a["money_order"] != "0.1" {
		t.Fatalf("preauthquery before any code: %s %v, want 2003", code, a)
	}
	if q := h.orderQuery(t, "eo-f1"); q["result_pay"] != llgate.OrderWaiting || q["pay_type"] != "F" {
		t.Fatalf("order query of the F entry: %v", q)
	}
	capture := map[string]string{"user_id": "user-eo-f1", "pay_type": "F", "no_order": "eo-f1", "money_order": "0.1"}
	if _, code := h.call(t, protocol.EPPreauthCapture, capture); code != llgate.CodeNotPaid {
		t.Errorf("capture before any code: %s, want 5008", code)
	}
	h.action(token, "card", url.Values{"card_no": {creditCard(t, 84, "0000")}})
	h.action(token, "sms", holder(true))
	if _, code := h.call(t, protocol.EPPreauthQuery, pq); code != llgate.PreauthSMS {
		t.Errorf("preauthquery after the code: %s, want PR08", code)
	}
	h.action(token, "pay", url.Values{"verify_code": {smsCode}})
	if _, code := h.call(t, protocol.EPPreauthQuery, pq); code != llgate.PreauthOK {
		t.Errorf("preauthquery after paying: %s, want PR07", code)
	}
}

func entryAbandoned(t *testing.T, h *harness) {
	f := entryFields("eo-late")
	f["pay_type"], f["valid_order"] = "F", "1"
	token := h.enter("/payment/bankgateway.htm", form(h.sign(f, llgate.SignRSA)))
	q := h.orderQuery(t, "eo-late")
	if q["result_pay"] != llgate.OrderWaiting {
		t.Fatalf("order query: %v", q)
	}
	// The sandbox's clock step settles what came due: the order is closed.
	if _, err := h.app.Sandbox.Advance(t.Context(), 61*time.Second); err != nil {
		t.Fatal(err)
	}
	if q := h.orderQuery(t, "eo-late"); q["result_pay"] != llgate.OrderClosed || q["pay_type"] != "F" {
		t.Fatalf("order query past valid_order: %v", q)
	}
	if _, code := h.call(t, protocol.EPPreauthQuery, map[string]string{"no_order": "eo-late", "pay_type": "F"}); code != llgate.PreauthExpired {
		t.Errorf("preauthquery past valid_order: %s, want 2006", code)
	}
	if body := h.console(t, "/console/payments/"+q["oid_paybill"]); !strings.Contains(body, "closed by valid_order") {
		t.Errorf("the clock did not close the order:\n%s", body)
	}
	resp, body := h.get("/paymentweb/payinit?token=" + token)
	if code := errorCode(t, resp, body); code != llgate.CodeClosed || !strings.Contains(body, `data-page="expired"`) {
		t.Fatalf("cashier past valid_order: %s:\n%s", code, body)
	}
	// The code step past valid_order goes back to the expired page.
	h.action(token, "sms", holder(true))
	if body := h.page(token); !strings.Contains(body, `data-page="expired"`) {
		t.Errorf("code step past valid_order:\n%s", body)
	}
	resp, body = h.postForm("/payment/bankgateway.htm", form(h.sign(f, llgate.SignRSA)).Encode())
	if code := errorCode(t, resp, body); code != llgate.CodeClosed {
		t.Errorf("entry again past valid_order: %s, want 2006", code)
	}
	// No JYMX row for an order that was never paid.
	detail, _, err := h.app.Reports.Build(t.Context(), oidRSA, h.app.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(detail), "eo-late") {
		t.Errorf("the report has a row for the closed entry:\n%s", detail)
	}
}

func entryReset(t *testing.T, h *harness) {
	f := entryFields("eo-reset")
	token := h.enter("/payment/bankgateway.htm", form(h.sign(f, llgate.SignRSA)))
	h.orderQuery(t, "eo-reset")
	if err := h.app.Sandbox.Reset(t.Context(), oidRSA); err != nil {
		t.Fatal(err)
	}
	if _, code := h.call(t, protocol.EPOrderQuery, map[string]string{"no_order": "eo-reset"}); code != llgate.CodeNoRecord {
		t.Errorf("order query after reset: %s, want 8901", code)
	}
	resp, body := h.get("/paymentweb/payinit?token=" + token)
	if code := errorCode(t, resp, body); code != llgate.CodeTokenInvalid {
		t.Errorf("cashier after reset: %s, want 1000", code)
	}
	if again := h.enter("/payment/bankgateway.htm", form(h.sign(f, llgate.SignRSA))); again == token {
		t.Errorf("the entry after reset resumed the old checkout")
	}
	if q := h.orderQuery(t, "eo-reset"); q["result_pay"] != llgate.OrderWaiting {
		t.Errorf("order query of the new entry: %v", q)
	}
}

// console logs in to the console and returns the page at path.
func (h *harness) console(t *testing.T, path string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/console/login", strings.NewReader(url.Values{"token": {adminToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", h.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Get(h.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d:\n%s", path, resp.StatusCode, body)
	}
	return body
}
