package cashier_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	llgate "github.com/llgate/llgate"
)

// TestConsoleCheckouts: the console's Checkouts page lists the sessions
// with their states and the returns sent.
func TestConsoleCheckouts(t *testing.T) {
	h := newHarness(t)
	paid := h.enter("/payment/bankgateway.htm", form(h.sign(entryFields("console-1"), llgate.SignRSA)))
	h.action(paid, "card", url.Values{"card_no": {debitCard(t, 71, "0000")}})
	h.action(paid, "sms", holder(false))
	h.action(paid, "pay", url.Values{"verify_code": {smsCode}})
	h.page(paid) // renders the return
	open := h.enter("/payment.htm", reqData(t, h.sign(entryFields("console-2"), llgate.SignRSA)))

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
	resp, err = c.Get(h.srv.URL + "/console/checkouts?oid_partner=" + oidRSA)
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d:\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{`data-page="checkouts"`, `href="/console/checkouts"`, `<tr data-state="success">`, `<tr data-state="open">`,
		"console-1", "console-2", "token=" + paid, "token=" + open, `<table id="returns">`, "http://127.0.0.1:9/return"} {
		if !strings.Contains(body, want) {
			t.Errorf("the Checkouts page lacks %s", want)
		}
	}
	if strings.Count(body, "http://127.0.0.1:9/return") != 1 {
		t.Errorf("want one return listed (console-2 is unpaid):\n%s", body)
	}
}
