package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/protocol"
)

func payoutFields(noOrder, money, cardNo, url string) map[string]string {
	return map[string]string{
		"no_order": noOrder, "dt_order": "20261206120000", "money_order": money, "card_no": cardNo,
		"acct_name": "张三", "flag_card": "0", "info_order": "测试付款", "memo": "代付", "notify_url": url,
		"api_version": "1.0",
	}
}

func payout(t *testing.T, c *client.Client, f map[string]string, want string) *client.Response {
	t.Helper()
	r, err := c.Do(context.Background(), protocol.EPPayout, f)
	return wantCode(t, "payout "+f["no_order"], answerOf(r, err), err, want)
}

// answerOf is the answer of a call, an error's included.
func answerOf(r *client.Response, err error) *client.Response {
	var apiErr *client.Error
	if r == nil && errors.As(err, &apiErr) {
		return &client.Response{Fields: apiErr.Answer}
	}
	return r
}

func confirm(t *testing.T, c *client.Client, noOrder, code, url, want string) *client.Response {
	t.Helper()
	r, err := c.Do(context.Background(), protocol.EPPayoutConfirm, map[string]string{"no_order": noOrder, "confirm_code": code, "notify_url": url, "api_version": "1.0"})
	return wantCode(t, "confirm "+noOrder, answerOf(r, err), err, want)
}

func payoutQuery(t *testing.T, c *client.Client, noOrder string) *client.Response {
	t.Helper()
	r, err := c.Do(context.Background(), protocol.EPPayoutQuery, map[string]string{"no_order": noOrder, "api_version": "1.0"})
	return wantCode(t, "payout query "+noOrder, r, err, "0000")
}

// javaNoticeBean is the 10 fields LLP-InstantPay-Java's receiver
// (BusinessNoticeBean) parses a payout notification into and re-serialises
// to verify it (client I2).
type javaNoticeBean struct {
	OidPartner string `json:"oid_partner,omitempty"`
	SignType   string `json:"sign_type,omitempty"`
	Sign       string `json:"sign,omitempty"`
	NoOrder    string `json:"no_order,omitempty"`
	DtOrder    string `json:"dt_order,omitempty"`
	MoneyOrder string `json:"money_order,omitempty"`
	OidPaybill string `json:"oid_paybill,omitempty"`
	InfoOrder  string `json:"info_order,omitempty"`
	ResultPay  string `json:"result_pay,omitempty"`
	SettleDate string `json:"settle_date,omitempty"`
}

// javaVerifies parses n as the Java receiver does, re-serialises the bean
// and verifies the signature over it.
func javaVerifies(t *testing.T, e *env, n map[string]string) {
	t.Helper()
	raw, _ := json.Marshal(n)
	var bean javaNoticeBean
	if err := json.Unmarshal(raw, &bean); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(bean)
	obj, err := protocol.Decode(again)
	if err != nil {
		t.Fatal(err)
	}
	if err := protocol.Verify(&e.app.PlatformKey.PublicKey, obj.Get("sign_type"), protocol.SignSource(obj), obj.Get("sign")); err != nil {
		t.Fatalf("the Java receiver's bean does not verify: %v (%v)", err, n)
	}
}

type adminPayout struct {
	NoOrder, OidPaybill, State, ConfirmCode, CardNo string
}

func (e *env) payouts(oid, noOrder string) []adminPayout {
	e.t.Helper()
	var out struct {
		Payouts []struct {
			NoOrder     string `json:"no_order"`
			OidPaybill  string `json:"oid_paybill"`
			State       string `json:"state"`
			ConfirmCode string `json:"confirm_code"`
			CardNo      string `json:"card_no"`
		} `json:"payouts"`
	}
	e.admin("GET", "/admin/payouts?oid_partner="+oid+"&no_order="+noOrder, nil, http.StatusOK, &out)
	var ps []adminPayout
	for _, p := range out.Payouts {
		ps = append(ps, adminPayout{p.NoOrder, p.OidPaybill, p.State, p.ConfirmCode, p.CardNo})
	}
	return ps
}

func (e *env) topUp(oid, amount string) {
	e.t.Helper()
	e.admin("POST", "/admin/merchants/"+oid+"/balance", map[string]string{"amount": amount}, http.StatusOK, nil)
}

func (e *env) amtBalance(oid string) string {
	e.t.Helper()
	return e.balance(oid).AmtBalance
}

// TestPayouts: the payout apply's checks and codes, acceptance with its
// debit, completion by the clock and the test digits, confirmation, the
// notifications' exact fields (re-verified as the Java receiver does),
// the signed query, and the money coming back on FAILURE and CANCEL
// (§4.8–4.14).
func TestPayouts(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, map[string]any{"live": true, "payout_limits": map[string]string{"per_txn": "100.00", "per_day": "", "per_month": ""}})
		rcv := newReceiver(t)
		ctx := context.Background()
		n := uint64(0)
		next := func(outcome string) string { n++; return card(t, 3000+n, outcome) }

		// Plain signed JSON: 4007 (Decision 7); no instantpay: 4005.
		r, err := c.Call(ctx, "/paymentapi/payment.htm", payoutFields(nextOrder("po"), "1.00", next("0000"), rcv.url()))
		wantCode(t, "plain payout", answerOf(r, err), err, "4007")
		r, err = c.Call(ctx, "/paymentapi/confirmPayment.htm", map[string]string{"no_order": "x", "confirm_code": "123456", "notify_url": rcv.url()})
		wantCode(t, "plain confirm", answerOf(r, err), err, "4007")
		cb := e.merchant(oidB, map[string]any{"products": []string{"mpay"}})
		payout(t, cb, payoutFields(nextOrder("po"), "1.00", next("0000"), rcv.url()), "4005")
		bad := payoutFields(nextOrder("po"), "1.00", next("0000"), rcv.url())
		bad["flag_card"] = "2"
		payout(t, cb, bad, "4005") // the product before the fields (§4.8)
		confirm(t, cb, "no-such-payout", "123456", rcv.url(), "4005")

		// Field and account checks; none creates anything.
		for _, tc := range []struct {
			name, want string
			edit       func(map[string]string)
		}{
			{"flag_card 2", "1004", func(f map[string]string) { f["flag_card"] = "2" }},
			{"business without bank_code", "1004", func(f map[string]string) { f["flag_card"] = "1"; f["card_no"] = "1234567890" }},
			{"unknown bank_code", "5505", func(f map[string]string) {
				f["flag_card"] = "1"
				f["card_no"] = "1234567890"
				f["bank_code"] = "99999999"
			}},
			{"long memo", "5506", func(f map[string]string) { f["memo"] = strings.Repeat("备", 25) }},
			{"credit card", "5502", func(f map[string]string) { f["card_no"] = creditCard(t, 77, "0000") }},
			{"prepaid card", "9912", func(f map[string]string) { f["card_no"] = prepaid(t) }},
			{"Luhn", "1100", func(f map[string]string) { f["card_no"] = f["card_no"][:18] + string('0'+(f["card_no"][18]-'0'+1)%10) }},
			{"per payout limit", "1019", func(f map[string]string) { f["money_order"] = "100.01" }},
			{"info_order from 50000.00", "1004", func(f map[string]string) { f["money_order"] = "50000.00"; delete(f, "info_order") }},
		} {
			f := payoutFields(nextOrder("po"), "1.00", next("0000"), rcv.url())
			tc.edit(f)
			if got := payout(t, c, f, tc.want); got.Get("no_order") != f["no_order"] {
				t.Fatalf("%s: the error answer lacks no_order: %v", tc.name, got.Fields)
			}
		}
		// A memo with characters the docs filter is accepted once they are gone.
		e.topUp(oidA, "1.00")
		f := payoutFields(nextOrder("po"), "1.00", next("0000"), rcv.url())
		f["memo"] = strings.Repeat("a!", 24)
		payout(t, c, f, "0000")

		// Balance short: 9104, nothing created, the same no_order works
		// after a top-up; the debit happens at acceptance.
		first := payoutFields(nextOrder("po"), "10.00", next("0000"), rcv.url())
		payout(t, c, first, "9104")
		if ps := e.payouts(oidA, first["no_order"]); len(ps) != 0 {
			t.Fatalf("9104 created %v", ps)
		}
		e.topUp(oidA, "100.00")
		ok := payout(t, c, first, "0000")
		if len(ok.Get("oid_paybill")) != 16 || keysOf(ok.Fields) != "no_order,oid_partner,oid_paybill,ret_code,ret_msg,sign,sign_type" {
			t.Fatalf("accepted answer: %v", ok.Fields)
		}
		if got := e.amtBalance(oidA); got != "90.00" {
			t.Fatalf("after the payout: amt_balance %s, want 90.00", got)
		}
		again := payout(t, c, first, "0000")
		if again.Get("oid_paybill") != ok.Get("oid_paybill") || e.amtBalance(oidA) != "90.00" {
			t.Fatalf("repeat: %v, balance %s", again.Fields, e.amtBalance(oidA))
		}
		other := maps(first)
		other["money_order"] = "10.01"
		payout(t, c, other, "1002")
		if q := payoutQuery(t, c, first["no_order"]); q.Get("result_pay") != "PROCESSING" || q.Get("settle_date") != "" {
			t.Fatalf("before the clock: %v", q.Fields)
		}

		// A minute later by the clock: SUCCESS, notified with exactly the
		// documented fields.
		e.advance(time.Minute + time.Second)
		e.settle()
		var nt map[string]string
		for _, n := range rcv.wait(2) { // the filtered-memo payout's and this one's
			if n["no_order"] == first["no_order"] {
				nt = n
			}
		}
		if keysOf(nt) != "dt_order,info_order,money_order,no_order,oid_partner,oid_paybill,result_pay,settle_date,sign,sign_type" ||
			nt["result_pay"] != "SUCCESS" || nt["money_order"] != "10.00" || nt["info_order"] != "测试付款" || nt["oid_paybill"] != ok.Get("oid_paybill") {
			t.Fatalf("notification: %v", nt)
		}
		javaVerifies(t, e, nt)
		q := payoutQuery(t, c, first["no_order"])
		if q.Get("result_pay") != "SUCCESS" || len(q.Get("settle_date")) != 8 || q.Get("memo") != "" || q.Get("info_order") != "测试付款" {
			t.Fatalf("after the clock: %v", q.Fields)
		}
		r, err = c.Do(ctx, protocol.EPPayoutQuery, map[string]string{"no_order": "no-such"})
		wantCode(t, "unknown payout", answerOf(r, err), err, "8901")
		r, err = cb.Do(ctx, protocol.EPPayoutQuery, map[string]string{"no_order": first["no_order"]})
		wantCode(t, "another merchant's payout", answerOf(r, err), err, "8901")

		// The same card and amount again: 4002 with a confirm code, nothing
		// debited; wrong codes 4011, the 6th 4008 (CLOSED); then 4001.
		dup := maps(first)
		dup["no_order"] = nextOrder("po")
		d := payout(t, c, dup, "4002")
		code := d.Get("confirm_code")
		if len(code) != 6 || d.Get("oid_paybill") != "" || e.amtBalance(oidA) != "90.00" {
			t.Fatalf("4002 answer: %v, balance %s", d.Fields, e.amtBalance(oidA))
		}
		if ps := e.payouts(oidA, dup["no_order"]); len(ps) != 1 || ps[0].State != "CHECK" || ps[0].ConfirmCode != code || strings.Contains(ps[0].CardNo, dup["card_no"][:6]) {
			t.Fatalf("admin payouts: %+v", ps)
		}
		if q := payoutQuery(t, c, dup["no_order"]); q.Get("result_pay") != "CHECK" || q.Get("oid_paybill") != "" {
			t.Fatalf("CHECK query: %v", q.Fields)
		}
		if rep := payout(t, c, dup, "4002"); rep.Get("confirm_code") != code {
			t.Fatalf("repeated 4002 lost its confirm_code: %v", rep.Fields)
		}
		wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
		for i := 1; i < llgate.MaxConfirmWrong; i++ {
			confirm(t, c, dup["no_order"], wrong, rcv.url(), "4011")
		}
		confirm(t, c, dup["no_order"], wrong, rcv.url(), "4008")
		confirm(t, c, dup["no_order"], code, rcv.url(), "4001")
		if q := payoutQuery(t, c, dup["no_order"]); q.Get("result_pay") != "CLOSED" {
			t.Fatalf("after 4008: %v", q.Fields)
		}
		confirm(t, c, "no-such-payout", code, rcv.url(), "4001")

		// The right code accepts it (debit, oid_paybill, PROCESSING), and a
		// repeat of that confirm gets the same answer.
		dup2 := maps(first)
		dup2["no_order"] = nextOrder("po")
		code = payout(t, c, dup2, "4002").Get("confirm_code")
		cf := confirm(t, c, dup2["no_order"], code, rcv.url(), "0000")
		if len(cf.Get("oid_paybill")) != 16 || e.amtBalance(oidA) != "80.00" {
			t.Fatalf("confirmed: %v, balance %s", cf.Fields, e.amtBalance(oidA))
		}
		if rep := confirm(t, c, dup2["no_order"], code, rcv.url(), "0000"); rep.Get("oid_paybill") != cf.Get("oid_paybill") {
			t.Fatalf("repeated confirm: %v", rep.Fields)
		}

		// 4003 digits, and 4003 with a duplicate: 4004.
		name := payoutFields(nextOrder("po"), "2.00", next("4003"), rcv.url())
		payout(t, c, name, "4003")
		both := maps(name)
		both["no_order"] = nextOrder("po")
		payout(t, c, both, "4004")

		// Failure digits: FAILURE a minute later, the money back, the
		// query's memo the reason; 2262: SUCCESS, then CANCEL 24 hours
		// later, the money back, memo 银行退票.
		fail := payoutFields(nextOrder("po"), "3.00", next("1101"), rcv.url())
		payout(t, c, fail, "0000")
		ret := payoutFields(nextOrder("po"), "4.00", next("2262"), rcv.url())
		payout(t, c, ret, "0000")
		if got := e.amtBalance(oidA); got != "73.00" {
			t.Fatalf("after two more payouts: %s", got)
		}
		e.advance(time.Minute + time.Second)
		e.settle()
		if got := e.amtBalance(oidA); got != "76.00" {
			t.Fatalf("after the failure: %s, want 76.00", got)
		}
		if q := payoutQuery(t, c, fail["no_order"]); q.Get("result_pay") != "FAILURE" || q.Get("memo") != protocol.RetMsg("1101", "") || q.Get("info_order") != "测试付款" {
			t.Fatalf("failed payout query: %v", q.Fields)
		}
		if q := payoutQuery(t, c, ret["no_order"]); q.Get("result_pay") != "SUCCESS" {
			t.Fatalf("2262 after a minute: %v", q.Fields)
		}
		e.advance(24 * time.Hour)
		e.settle()
		if q := payoutQuery(t, c, ret["no_order"]); q.Get("result_pay") != "CANCEL" || q.Get("memo") != "银行退票" || len(q.Get("settle_date")) != 8 {
			t.Fatalf("2262 after 24 hours: %v", q.Fields)
		}
		if got := e.amtBalance(oidA); got != "80.00" {
			t.Fatalf("after the bank return: %s, want 80.00", got)
		}
		byState := map[string]map[string]string{}
		for _, n := range rcv.wait(6) {
			byState[n["no_order"]+" "+n["result_pay"]] = n
		}
		for _, k := range []string{fail["no_order"] + " FAILURE", ret["no_order"] + " SUCCESS", ret["no_order"] + " CANCEL", dup2["no_order"] + " SUCCESS"} {
			n, ok := byState[k]
			if !ok {
				t.Fatalf("no notification %s among %v", k, byState)
			}
			if _, has := n["settle_date"]; has != strings.HasSuffix(k, " SUCCESS") {
				t.Fatalf("%s: settle_date presence wrong: %v", k, n)
			}
			javaVerifies(t, e, n)
		}

		// The confirm window: the CHECK payouts closed by the clock (no
		// notification), and a confirm after 24 hours answers 4010.
		if q := payoutQuery(t, c, name["no_order"]); q.Get("result_pay") != "CLOSED" || q.Get("oid_paybill") != "" {
			t.Fatalf("unconfirmed after 24 hours: %v", q.Fields)
		}
		confirm(t, c, both["no_order"], "000000", rcv.url(), "4010")
		if b := e.balance(oidA); !strings.Contains(b.kinds(), "payout_reversal 4.00") || !strings.Contains(b.kinds(), "payout_reversal 3.00") {
			t.Fatalf("ledger: %s", b.kinds())
		}
	})
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestPayoutConcurrency: 50 concurrent payouts against a balance that
// covers 20 accept exactly 20 and leave the balance exact; 20 identical
// requests make one payout (both engines).
func TestPayoutConcurrency(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, map[string]any{"live": true})
		rcv := newReceiver(t)
		e.topUp(oidA, "20.00")
		var mu sync.Mutex
		codes := map[string]int{}
		var wg sync.WaitGroup
		for i := range 50 {
			f := payoutFields(nextOrder("pc"), "1.00", card(t, 5000+uint64(i), "0000"), rcv.url())
			wg.Go(func() {
				r, err := c.Do(context.Background(), protocol.EPPayout, f)
				mu.Lock()
				defer mu.Unlock()
				codes[code(t, answerOf(r, err), err)]++
			})
		}
		wg.Wait()
		if codes["0000"] != 20 || codes["9104"] != 30 {
			t.Fatalf("50 payouts against 20.00: %v", codes)
		}
		if got := e.amtBalance(oidA); got != "0.00" {
			t.Fatalf("balance: %s", got)
		}

		e.topUp(oidA, "5.00")
		f := payoutFields(nextOrder("pi"), "1.00", card(t, 6000, "0000"), rcv.url())
		paybills := map[string]int{}
		for range 20 {
			wg.Go(func() {
				r, err := c.Do(context.Background(), protocol.EPPayout, f)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("identical payout: %v", err)
					return
				}
				paybills[r.Get("oid_paybill")]++
			})
		}
		wg.Wait()
		if len(paybills) != 1 || len(e.payouts(oidA, f["no_order"])) != 1 || e.amtBalance(oidA) != "4.00" {
			t.Fatalf("20 identical payouts: %v, balance %s", paybills, e.amtBalance(oidA))
		}
	})
}

// TestPayoutVectors replays the payouts and payout queries the official
// PHP and Java demos sent (§3.2): a payout short of balance answers 9104
// and may be sent again after a top-up; each is accepted (0000), an
// identical replay gets the same answer, and each query finds its payout.
// No background work runs and the clock never moves: the vectors'
// notify_url is not loopback, so no payout may complete and notify.
func TestPayoutVectors(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := startEnv(t, open(t), false)
		var merchants []map[string]any
		raw, _ := os.ReadFile(filepath.Join("..", "testdata", "clients", "keys", "merchants.json"))
		if err := json.Unmarshal(raw, &merchants); err != nil {
			t.Fatal(err)
		}
		e.admin("POST", "/admin/merchants", merchants[0], http.StatusCreated, nil)
		oid := merchants[0]["oid_partner"].(string)
		dir := filepath.Join("..", "testdata", "clients-wave2")
		send := func(v string) string {
			head, err := os.ReadFile(filepath.Join(dir, v+".head"))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := os.ReadFile(filepath.Join(dir, v+".body"))
			return e.raw(t, append(head, body...))
		}
		if got := send("instantpay-php/01-payment"); got != "9104" {
			t.Fatalf("PHP payout with no balance: %s, want 9104", got)
		}
		e.topUp(oid, "100.00")
		for _, v := range []string{"instantpay-php/01-payment", "java-lf/01-payment", "java-crlf/01-payment"} {
			for range 2 { // the replay gets the original answer
				if got := send(v); got != "0000" {
					t.Fatalf("%s: ret_code %s, want 0000", v, got)
				}
			}
		}
		if got := e.amtBalance(oid); got != "64.20" {
			t.Fatalf("amt_balance %s, want 100.00 - 0.01 - 12.34 - 23.45 = 64.20", got)
		}
		for _, v := range []string{"java-lf/02-querypayment", "java-crlf/02-querypayment"} {
			if got := send(v); got != "0000" {
				t.Errorf("%s: ret_code %s, want 0000", v, got)
			}
		}
		for _, p := range e.payouts(oid, "") {
			if p.State != llgate.PayoutProcessing {
				t.Errorf("%s: %s", p.NoOrder, p.State)
			}
		}
	})
}
