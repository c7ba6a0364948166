package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/protocol"
)

// easyFields is an Easy Payment direct apply with card elements.
func easyFields(user, noOrder, money, notifyURL, payType string, p person, cardNo string) map[string]string {
	f := payFields(user, noOrder, money, notifyURL)
	f["pay_type"] = payType
	f["id_type"], f["id_no"], f["acct_name"], f["card_no"], f["bind_mob"] = p.idType, p.idNo, p.name, cardNo, p.mobile
	f["client_chnl"], f["time_stamp"], f["bank_code"] = "13", "20261122100000", "01020000" // accepted, ignored
	return f
}

// withCredit adds the credit-card fields.
func withCredit(f map[string]string) map[string]string {
	f["vali_date"], f["cvv2"] = "3012", "123"
	return f
}

func easyApply(t *testing.T, c *client.Client, f map[string]string, want string) *client.Response {
	t.Helper()
	r, err := c.Do(context.Background(), protocol.EPEasypayApply, f)
	return wantCode(t, "easypay apply "+f["no_order"], r, err, want)
}

func easyVerify(t *testing.T, c *client.Client, f map[string]string, want string) *client.Response {
	t.Helper()
	r, err := c.Do(context.Background(), protocol.EPEasypayVerify, f)
	return wantCode(t, "easypay verify", r, err, want)
}

// TestEasypayDirect: the direct apply and verify (§4.5) run the MPAY rules
// through the same engine, answering 0000 with the Easy Payment fields.
func TestEasypayDirect(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, map[string]any{"sms_code": "123456", "notify_content_type": llgate.NotifyJSONApplication})
		rcv := newReceiver(t)

		// A debit card, pay_type M, then the verify: 0000 with the table's
		// fields; dt_order, when sent, must be the order's.
		debit := card(t, 7001, "0000")
		a := easyApply(t, c, easyFields("eu", nextOrder("ep"), "12.34", rcv.url(), "M", zhang, debit), "0000")
		if a.Get("token") == "" || a.Get("pay_type") != "M" || a.Get("name_goods") != "点读机" || a.Get("bank_code") == "" ||
			a.Get("oid_paybill") == "" || a.Get("result_pay") != "" {
			t.Fatalf("apply answer: %v", a.Fields)
		}
		v := map[string]string{"token": a.Get("token"), "verify_code": "123456", "no_order": a.Get("no_order"),
			"money_order": "12.34", "dt_order": "20261122100001"}
		easyVerify(t, c, v, "1000")
		v["dt_order"] = "20261122100000"
		ok := easyVerify(t, c, v, "0000")
		for k, want := range map[string]string{"result_pay": "SUCCESS", "currency_order": "CNY", "pay_type": "M",
			"name_goods": "点读机", "info_order": "order info 13800138000", "money_order": "12.34"} {
			if ok.Get(k) != want {
				t.Errorf("verify %s = %q, want %q", k, ok.Get(k), want)
			}
		}
		if ok.Get("settle_date") == "" || ok.Get("no_agree") == "" || ok.Get("bank_code") == "" {
			t.Fatalf("verify answer: %v", ok.Fields)
		}
		n := rcv.wait(1)[0]
		if n["no_order"] != a.Get("no_order") || n["pay_type"] != "M" || n["result_pay"] != "SUCCESS" || n["no_agree"] != ok.Get("no_agree") {
			t.Fatalf("notification: %v", n)
		}
		if _, ct := rcv.raw(0); ct != llgate.NotifyJSONApplication {
			t.Fatalf("notification Content-Type %q, want the merchant's %q", ct, llgate.NotifyJSONApplication)
		}
		easyVerify(t, c, v, "2007")

		// The trader host prefix, and an envelope (tolerated).
		r, err := c.Call(context.Background(), "/traderapi/easypay.htm", easyFields("eu", nextOrder("ep"), "1.00", rcv.url(), "M", zhang, debit))
		wantCode(t, "prefixed easypay apply", r, err, "0000")
		r, err = c.CallEncrypted(context.Background(), "/easypay.htm", easyFields("eu", nextOrder("ep"), "1.00", rcv.url(), "M", zhang, debit))
		wantCode(t, "enveloped easypay apply", r, err, "0000")

		// pay_type: F takes credit cards only; anything but M and F is 1004.
		easyApply(t, c, easyFields("eu", nextOrder("ep"), "1.00", rcv.url(), "F", zhang, debit), "5601")
		easyApply(t, c, easyFields("eu", nextOrder("ep"), "1.00", rcv.url(), "2", zhang, debit), "1004")
		credit := creditCard(t, 7002, "0000")
		easyApply(t, c, easyFields("eu", nextOrder("ep"), "1.00", rcv.url(), "M", zhang, credit), "1004") // no vali_date
		easyApply(t, c, withCredit(easyFields("eu", nextOrder("ep"), "1.00", rcv.url(), "M", zhang, credit)), "0000")

		// With an agreement the card elements are not needed.
		f := payFields("eu", nextOrder("ep"), "2.00", rcv.url())
		f["pay_type"], f["no_agree"] = "M", ok.Get("no_agree")
		a2 := easyApply(t, c, f, "0000")
		easyVerify(t, c, map[string]string{"token": a2.Get("token"), "verify_code": "123456"}, "0000")

		// An MPAY token is not an Easy Payment one, and no_order is one
		// per merchant across both.
		mp := payFields("eu", nextOrder("mp"), "1.00", rcv.url())
		mp["no_agree"] = ok.Get("no_agree")
		m, err := c.PayApply(context.Background(), mp)
		wantCode(t, "mpay apply", m, err, "8888")
		easyVerify(t, c, map[string]string{"token": m.Get("token"), "verify_code": "123456"}, "1000")
		mp["pay_type"] = "M"
		easyApply(t, c, mp, "1002")

		// A merchant without the product: 3010.
		other := e.merchant(oidB, map[string]any{"products": []string{"mpay"}})
		r, err = other.Do(context.Background(), protocol.EPEasypayApply, easyFields("eu", nextOrder("ep"), "1.00", rcv.url(), "M", zhang, debit))
		wantCode(t, "easypay without the product", r, err, "3010")
	})
}

// TestEasypayNoSMS: a merchant with easypay_no_sms is paid at the apply
// (SUCCESS, settle_date, no_agree, no token; Decision 17: the 2008 card
// answers 2008 PROCESSING and the clock pays it); no text is sent.
func TestEasypayNoSMS(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, map[string]any{"easypay_no_sms": true})
		rcv := newReceiver(t)
		p := person{"王五", "0", "110105199003071239", "13700137000"}

		f := easyFields("nu", nextOrder("ns"), "3.00", rcv.url(), "M", p, card(t, 7101, "0000"))
		a := easyApply(t, c, f, "0000")
		if a.Get("result_pay") != "SUCCESS" || a.Get("settle_date") == "" || a.Get("no_agree") == "" || a.Get("token") != "" {
			t.Fatalf("no-SMS apply: %v", a.Fields)
		}
		if n := e.smsCount(p.mobile); n != 0 {
			t.Fatalf("%d texts sent, want none", n)
		}
		again := easyApply(t, c, f, "0000") // a repeat: the same payment
		if again.Get("oid_paybill") != a.Get("oid_paybill") || again.Get("result_pay") != "SUCCESS" {
			t.Fatalf("repeated no-SMS apply: %v", again.Fields)
		}
		rcv.wait(1)

		slow := easyApply(t, c, easyFields("nu", nextOrder("ns"), "3.00", rcv.url(), "M", p, card(t, 7102, "2008")), "2008")
		if slow.Get("result_pay") != "PROCESSING" || slow.Get("token") != "" {
			t.Fatalf("2008 no-SMS apply: %v", slow.Fields)
		}
		e.advance(6 * time.Minute)
		e.settle()
		q := query(t, c, map[string]string{"no_order": slow.Get("no_order")})
		if q.Get("result_pay") != "SUCCESS" {
			t.Fatalf("after the clock: %s", q.Get("result_pay"))
		}
		easyApply(t, c, easyFields("nu", nextOrder("ns"), "3.00", rcv.url(), "M", p, card(t, 7103, "6001")), "6001")
	})
}

// TestEasypayAround: what an Easy Payment payment leaves around it (§4.7):
// the order query's pay_type by card (M debit, N credit), its agreements
// in the bind list with the card's family (credit ones under F too), and
// JYMX rows with pay_product EASYPAY.
func TestEasypayAround(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
		rcv := newReceiver(t)
		day := e.app.Clock.Now()
		pay := func(f map[string]string) *client.Response {
			a := easyApply(t, c, f, "0000")
			easyVerify(t, c, map[string]string{"token": a.Get("token"), "verify_code": "123456"}, "0000")
			return a
		}
		debit := pay(easyFields("au", nextOrder("ar"), "1.00", rcv.url(), "M", zhang, card(t, 7201, "0000")))
		credit := pay(withCredit(easyFields("au", nextOrder("ar"), "2.00", rcv.url(), "M", zhang, creditCard(t, 7202, "0000"))))
		for _, tc := range []struct {
			a    *client.Response
			want string
		}{{debit, "M"}, {credit, "N"}} {
			if q := query(t, c, map[string]string{"no_order": tc.a.Get("no_order")}); q.Get("pay_type") != tc.want || q.Get("result_pay") != "SUCCESS" {
				t.Fatalf("order query: pay_type %s (%s), want %s", q.Get("pay_type"), q.Get("result_pay"), tc.want)
			}
		}
		for payType, want := range map[string]string{"": "2", "2": "1", "M": "1", "3": "1", "N": "1", "F": "1", "P": "0"} {
			f := map[string]string{"user_id": "au", "offset": "0"}
			if payType != "" {
				f["pay_type"] = payType
			}
			r, err := c.BindList(context.Background(), f)
			got := code(t, r, err)
			if want == "0" {
				if got != "8901" {
					t.Fatalf("bind list %q: %s, want 8901", payType, got)
				}
				continue
			}
			if got != "0000" || r.Get("count") != want {
				t.Fatalf("bind list %q: %s count %s, want %s", payType, got, r.Get("count"), want)
			}
		}
		detail, _, err := e.app.Reports.Build(context.Background(), oidA, day)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []*client.Response{debit, credit} {
			found := false
			for _, line := range strings.Split(string(detail), "\n") {
				if strings.HasPrefix(line, a.Get("no_order")+"|") {
					found = strings.Contains(line, "|EASYPAY|M|")
				}
			}
			if !found {
				t.Fatalf("no EASYPAY row for %s:\n%s", a.Get("no_order"), detail)
			}
		}
	})
}

// TestEasypayCodes: the codes of §4.14 the direct API answers beyond the
// flows above, through the shared engine.
func TestEasypayCodes(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
		rcv := newReceiver(t)

		// 108001 is accepted; pay_type is required.
		f := easyFields("cu", nextOrder("ec"), "1.00", rcv.url(), "M", zhang, card(t, 7301, "0000"))
		f["busi_partner"] = "108001"
		a := easyApply(t, c, f, "0000")
		g := easyFields("cu", nextOrder("ec"), "1.00", rcv.url(), "M", zhang, card(t, 7301, "0000"))
		delete(g, "pay_type")
		easyApply(t, c, g, "1004")

		// The verify's code rules are MPAY's: 9700, then the right code.
		easyVerify(t, c, map[string]string{"token": a.Get("token"), "verify_code": "654321"}, "9700")
		ok := easyVerify(t, c, map[string]string{"token": a.Get("token"), "verify_code": "123456"}, "0000")

		// F with an agreement of a debit card: 5601.
		h := payFields("cu", nextOrder("ec"), "1.00", rcv.url())
		h["pay_type"], h["no_agree"] = "F", ok.Get("no_agree")
		easyApply(t, c, h, "5601")

		// valid_order ran out: 2006.
		v := easyFields("cu", nextOrder("ec"), "1.00", rcv.url(), "M", zhang, card(t, 7302, "0000"))
		v["valid_order"] = "1"
		late := easyApply(t, c, v, "0000")
		e.advance(2 * time.Minute)
		easyVerify(t, c, map[string]string{"token": late.Get("token"), "verify_code": "123456"}, "2006")

		// A decline at the verify: the issuer's code, the order FAILURE.
		d := easyApply(t, c, easyFields("cu", nextOrder("ec"), "1.00", rcv.url(), "M", zhang, card(t, 7303, "6001")), "0000")
		easyVerify(t, c, map[string]string{"token": d.Get("token"), "verify_code": "123456"}, "6001")
		if q := query(t, c, map[string]string{"no_order": d.Get("no_order")}); q.Get("result_pay") != "FAILURE" {
			t.Fatalf("declined easypay: %s", q.Get("result_pay"))
		}

		// A merchant with only easypay cannot use MPAY quick pay: 3010.
		only := e.merchant(oidB, map[string]any{"products": []string{"easypay"}, "sms_code": "123456"})
		mp := payFields("cu", nextOrder("mp"), "1.00", rcv.url())
		mp["id_type"], mp["id_no"], mp["acct_name"], mp["card_no"], mp["bind_mob"] = zhang.idType, zhang.idNo, zhang.name, card(t, 7304, "0000"), zhang.mobile
		r, err := only.PayApply(context.Background(), mp)
		wantCode(t, "mpay without the product", r, err, "3010")
	})
}
