package e2e

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/protocol"
)

var orderSeq struct {
	sync.Mutex
	n int
}

func nextOrder(prefix string) string {
	orderSeq.Lock()
	defer orderSeq.Unlock()
	orderSeq.n++
	return prefix + "-" + strconv.Itoa(orderSeq.n)
}

func payFields(user, noOrder, money, notifyURL string) map[string]string {
	return map[string]string{
		"user_id": user, "busi_partner": "101001", "no_order": noOrder, "dt_order": "20261122100000",
		"name_goods": "点读机", "info_order": "order info 13800138000", "money_order": money, "notify_url": notifyURL,
		"pay_type": "2", "valid_order": "10080",
		"risk_item": `{"frms_ware_category":"4007","user_info_mercht_userno":"` + user + `","user_info_dt_register":"20250101120000","goods_name":"点读机"}`,
	}
}

// payWith applies with an agreement and returns the answer.
func payWithAgree(t *testing.T, c *client.Client, user, noAgree, money, url string) *client.Response {
	t.Helper()
	f := payFields(user, nextOrder("o"), money, url)
	f["no_agree"] = noAgree
	r, err := c.PayApply(context.Background(), f)
	return wantCode(t, "pay apply", r, err, "8888")
}

func verifyPay(c *client.Client, r *client.Response, code string) (*client.Response, error) {
	return c.PayVerify(context.Background(), map[string]string{
		"token": r.Get("token"), "verify_code": code, "no_order": r.Get("no_order"), "money_order": r.Get("money_order"),
	})
}

func query(t *testing.T, c *client.Client, f map[string]string) *client.Response {
	t.Helper()
	r, err := c.OrderQuery(context.Background(), f)
	return wantCode(t, "order query", r, err, "0000")
}

// paymentNoticeKeys are exactly the fields of CONTRACT.md §7.
var paymentNoticeKeys = "bank_code,dt_order,info_order,money_order,no_agree,no_order,oid_partner,oid_paybill,pay_type,result_pay,settle_date,sign,sign_type"

func keysOf(m map[string]string) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func TestPayFlow(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
		rcv := newReceiver(t)
		ctx := context.Background()
		na := e.bind(c, "buyer", zhang, card(t, 900, "0000"))

		t.Run("WithAgreement", func(t *testing.T) {
			r := payWithAgree(t, c, "buyer", na, "12.34", rcv.url())
			if len(r.Get("oid_paybill")) != 16 || len(r.Get("token")) != 32 || r.Get("money_order") != "12.34" || r.Get("info_order") == "" {
				t.Fatalf("apply answer: %v", r.Fields)
			}
			q := query(t, c, map[string]string{"no_order": r.Get("no_order"), "dt_order": r.Get("dt_order")})
			if q.Get("result_pay") != "WAITING" {
				t.Fatalf("before verify: %s", q.Get("result_pay"))
			}
			v, err := verifyPay(c, r, "123456")
			wantCode(t, "verify", v, err, "0000")
			if v.Get("no_agree") != na || len(v.Get("settle_date")) != 8 || v.Get("oid_paybill") != r.Get("oid_paybill") {
				t.Fatalf("verify answer: %v", v.Fields)
			}
			q = query(t, c, map[string]string{"oid_paybill": r.Get("oid_paybill"), "query_version": "1.1"})
			if q.Get("result_pay") != "SUCCESS" || q.Get("settle_date") != v.Get("settle_date") || q.Get("bank_code") != "01020000" ||
				q.Get("bank_name") != "中国工商银行" || !strings.HasPrefix(q.Get("card_no"), "622202") || !strings.Contains(q.Get("card_no"), "*****") {
				t.Fatalf("query: %v", q.Fields)
			}
			n := rcv.wait(1)[0]
			if got := keysOf(n); got != paymentNoticeKeys {
				t.Errorf("notification fields:\n got %s\nwant %s", got, paymentNoticeKeys)
			}
			if n["result_pay"] != "SUCCESS" || n["oid_paybill"] != r.Get("oid_paybill") || n["no_agree"] != na || n["money_order"] != "12.34" {
				t.Errorf("notification: %v", n)
			}
			body, ct := rcv.raw(0)
			if ct != "text/json;charset=utf-8" {
				t.Errorf("notification Content-Type %q", ct)
			}
			obj, _ := protocol.Decode(body)
			if err := protocol.Verify(&e.app.PlatformKey.PublicKey, obj.Get("sign_type"), protocol.SignSource(obj), obj.Get("sign")); err != nil {
				t.Errorf("notification signature: %v", err)
			}
			v, err = verifyPay(c, r, "123456")
			wantCode(t, "verify a paid order", v, err, "2007")
			q = query(t, c, map[string]string{"no_order": r.Get("no_order")})
			if q.Get("bank_name") != "" || q.Get("memo") != "" {
				t.Errorf("query_version 1.0 must not carry bank_name/memo: %v", q.Fields)
			}
		})
		t.Run("WithCardElements", func(t *testing.T) {
			cardNo := card(t, 901, "0000")
			f := payFields("buyer2", nextOrder("o"), "20.00", rcv.url())
			for k, v := range bindFields("buyer2", li, cardNo) {
				if k != "risk_item" {
					f[k] = v
				}
			}
			r, err := c.PayApply(ctx, f)
			wantCode(t, "apply with card elements", r, err, "8888")
			v, err := verifyPay(c, r, "123456")
			wantCode(t, "verify", v, err, "0000")
			if len(v.Get("no_agree")) != 16 {
				t.Fatalf("the payment must create an agreement: %v", v.Fields)
			}
			assertAgreements(t, c, "buyer2", 1)
		})
		t.Run("VerifyOnPrepayPath", func(t *testing.T) {
			r := payWithAgree(t, c, "buyer", na, "1.00", rcv.url())
			v, err := c.Call(ctx, "/v1/bankcardprepay", map[string]string{"token": r.Get("token"), "verify_code": "123456", "no_order": r.Get("no_order"), "money_order": "1.00"})
			wantCode(t, "verify on /v1/bankcardprepay", v, err, "0000")
		})
		t.Run("Mismatches", func(t *testing.T) {
			r := payWithAgree(t, c, "buyer", na, "2.00", rcv.url())
			v, err := c.PayVerify(ctx, map[string]string{"token": r.Get("token"), "verify_code": "123456", "money_order": "2.01"})
			wantCode(t, "other amount", v, err, "1000")
			v, err = c.PayVerify(ctx, map[string]string{"token": r.Get("token"), "verify_code": "123456", "no_order": "other"})
			wantCode(t, "other order", v, err, "1000")
			v, err = c.PayVerify(ctx, map[string]string{"token": r.Get("token"), "verify_code": "654321"})
			wantCode(t, "wrong code", v, err, "9700")
			b := e.merchant(oidB, nil)
			v, err = b.PayVerify(ctx, map[string]string{"token": r.Get("token"), "verify_code": "123456"})
			wantCode(t, "another merchant's token", v, err, "1000")
			q, err := b.OrderQuery(ctx, map[string]string{"oid_paybill": r.Get("oid_paybill")})
			wantCode(t, "another merchant's order", q, err, "8901")
			q, err = c.OrderQuery(ctx, map[string]string{"no_order": "nope"})
			wantCode(t, "unknown order", q, err, "8901")
		})
	})
}

func TestPayOutcomes(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
		rcv := newReceiver(t)
		for i, outcome := range []string{"6001", "1005", "1111", "9094", "9990", "9991"} {
			user := "out-" + outcome
			na := e.bind(c, user, zhang, card(t, uint64(950+i), outcome))
			r := payWithAgree(t, c, user, na, "1.00", rcv.url())
			v, err := verifyPay(c, r, "123456")
			wantCode(t, "outcome "+outcome, v, err, outcome)
			if q := query(t, c, map[string]string{"oid_paybill": r.Get("oid_paybill"), "query_version": "1.1"}); q.Get("result_pay") != "FAILURE" {
				t.Errorf("%s: result_pay %s", outcome, q.Get("result_pay"))
			}
			v, err = verifyPay(c, r, "123456")
			wantCode(t, "verify again after a decline", v, err, "1000")
		}

		t.Run("ProcessingSettlesByTheClock", func(t *testing.T) {
			na := e.bind(c, "proc", zhang, card(t, 960, "2008"))
			r := payWithAgree(t, c, "proc", na, "3.00", rcv.url())
			v, err := verifyPay(c, r, "123456")
			if wantCode(t, "2008", v, err, "2008"); v.Get("oid_paybill") != r.Get("oid_paybill") {
				t.Errorf("2008 answer: %v", v.Fields)
			}
			if q := query(t, c, map[string]string{"oid_paybill": r.Get("oid_paybill")}); q.Get("result_pay") != "PROCESSING" {
				t.Fatalf("after 2008: %s", q.Get("result_pay"))
			}
			if rcv.count() != 0 {
				t.Fatal("a PROCESSING payment was notified")
			}
			e.advance(5*time.Minute + time.Second)
			n := rcv.wait(1)[0] // no query: the clock alone settles and notifies
			if n["oid_paybill"] != r.Get("oid_paybill") || n["result_pay"] != "SUCCESS" {
				t.Fatalf("notification: %v", n)
			}
			if q := query(t, c, map[string]string{"oid_paybill": r.Get("oid_paybill")}); q.Get("result_pay") != "SUCCESS" || q.Get("settle_date") == "" {
				t.Fatalf("after the clock: %v", q.Fields)
			}
		})
	})
}

func TestPayOrderRules(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
		rcv := newReceiver(t)
		ctx := context.Background()
		na := e.bind(c, "rules", zhang, card(t, 970, "0000"))

		t.Run("Idempotent", func(t *testing.T) {
			f := payFields("rules", nextOrder("idem"), "5.00", rcv.url())
			f["no_agree"] = na
			r1, err := c.PayApply(ctx, f)
			wantCode(t, "first", r1, err, "8888")
			r2, err := c.PayApply(ctx, f)
			wantCode(t, "identical repeat", r2, err, "8888")
			if r1.Get("token") != r2.Get("token") || r1.Get("oid_paybill") != r2.Get("oid_paybill") {
				t.Fatalf("repeat gave another answer: %v vs %v", r1.Fields, r2.Fields)
			}
			f["money_order"] = "5.01"
			r3, err := c.PayApply(ctx, f)
			wantCode(t, "different request, same no_order", r3, err, "1002")
		})
		t.Run("NewTokenAfterExpiry", func(t *testing.T) {
			f := payFields("rules", nextOrder("exp"), "5.00", rcv.url())
			f["no_agree"] = na
			r1, err := c.PayApply(ctx, f)
			wantCode(t, "apply", r1, err, "8888")
			e.advance(31 * time.Minute)
			v, err := verifyPay(c, r1, "123456")
			wantCode(t, "expired token", v, err, "1000")
			r2, err := c.PayApply(ctx, f)
			wantCode(t, "repeat", r2, err, "8888")
			if r2.Get("token") == r1.Get("token") || r2.Get("oid_paybill") != r1.Get("oid_paybill") {
				t.Fatalf("repeat after expiry: %v", r2.Fields)
			}
			v, err = verifyPay(c, r2, "123456")
			wantCode(t, "new token", v, err, "0000")
		})
		t.Run("ValidOrder", func(t *testing.T) {
			f := payFields("rules", nextOrder("valid"), "5.00", rcv.url())
			f["no_agree"], f["valid_order"] = na, "1"
			r, err := c.PayApply(ctx, f)
			wantCode(t, "apply", r, err, "8888")
			e.advance(2 * time.Minute)
			v, err := verifyPay(c, r, "123456")
			wantCode(t, "verify after valid_order", v, err, "2006")
			if q := query(t, c, map[string]string{"oid_paybill": r.Get("oid_paybill")}); q.Get("result_pay") != "CLOSED" {
				t.Fatalf("closed order reads %s", q.Get("result_pay"))
			}
		})
		t.Run("Validation", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				edit func(map[string]string)
				want string
			}{
				{"NoRiskItem", func(f map[string]string) { delete(f, "risk_item") }, "1004"},
				{"RiskItemWithoutGoods", func(f map[string]string) {
					f["risk_item"] = `{"frms_ware_category":"4007","user_info_mercht_userno":"u","user_info_dt_register":"20250101120000"}`
				}, "1004"},
				{"BadMoney", func(f map[string]string) { f["money_order"] = "1.234" }, "1004"},
				{"ZeroMoney", func(f map[string]string) { f["money_order"] = "0.00" }, "1004"},
				{"BadBusiPartner", func(f map[string]string) { f["busi_partner"] = "1" }, "1004"},
				{"TopUpBusiPartner", func(f map[string]string) { f["busi_partner"] = "108001" }, "8888"}, // Decision 8
				{"NoNotifyURL", func(f map[string]string) { delete(f, "notify_url") }, "1004"},
				{"BadValidOrder", func(f map[string]string) { f["valid_order"] = "abc" }, "1004"},
				{"UnknownAgreement", func(f map[string]string) { f["no_agree"] = "1234567890123456" }, "3003"},
				{"CreditPayTypeOnDebit", func(f map[string]string) { f["pay_type"] = "3" }, "5601"},
				{"ShareingDataAccepted", func(f map[string]string) { f["shareing_data"] = "201408071000001539^101001^0.01^分账" }, "8888"},
			} {
				f := payFields("rules", nextOrder("v"), "1.00", rcv.url())
				f["no_agree"] = na
				tc.edit(f)
				r, err := c.PayApply(ctx, f)
				wantCode(t, tc.name, r, err, tc.want)
			}
		})
		t.Run("UnboundAgreement", func(t *testing.T) {
			na2 := e.bind(c, "rules", zhang, card(t, 971, "0000"))
			r := payWithAgree(t, c, "rules", na2, "1.00", rcv.url())
			u, err := c.Unbind(ctx, map[string]string{"user_id": "rules", "no_agree": na2})
			wantCode(t, "unbind", u, err, "0000")
			v, err := verifyPay(c, r, "123456")
			wantCode(t, "pay on an unbound agreement", v, err, "3003")
		})
	})
}

func TestPayLimits(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		ctx := context.Background()
		rcv := newReceiver(t)

		t.Run("NotLive", func(t *testing.T) {
			c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
			na := e.bind(c, "lim", zhang, card(t, 980, "0000"))
			f := payFields("lim", nextOrder("l"), "50.01", rcv.url())
			f["no_agree"] = na
			r, err := c.PayApply(ctx, f)
			wantCode(t, "over 50.00 per transaction", r, err, "1019")
			r1 := payWithAgree(t, c, "lim", na, "30.00", rcv.url())
			r2 := payWithAgree(t, c, "lim", na, "30.00", rcv.url()) // nothing counts until verified
			v, err := verifyPay(c, r1, "123456")
			wantCode(t, "first 30.00", v, err, "0000")
			v, err = verifyPay(c, r2, "123456")
			wantCode(t, "second 30.00 the same day", v, err, "1014")
		})
		t.Run("LiveMonth", func(t *testing.T) {
			c := e.merchant(oidB, map[string]any{"sms_code": "123456", "live": true,
				"limits": map[string]string{"per_txn": "100", "per_day": "100", "per_month": "150"}})
			na := e.bind(c, "lim2", li, card(t, 981, "0000"))
			// Start a fresh China month so a day later is the same month.
			now, _ := time.Parse(time.RFC3339, e.clockNow())
			next := time.Date(now.In(llgate.ChinaTime).Year(), now.In(llgate.ChinaTime).Month()+1, 1, 1, 0, 0, 0, llgate.ChinaTime)
			e.advance(next.Sub(now))
			v, err := verifyPay(c, payWithAgree(t, c, "lim2", na, "90.00", rcv.url()), "123456")
			wantCode(t, "90 on day 1", v, err, "0000")
			e.advance(24 * time.Hour)
			f := payFields("lim2", nextOrder("l"), "90.00", rcv.url())
			f["no_agree"] = na
			r, err := c.PayApply(ctx, f)
			wantCode(t, "90 more the same month (checked at apply)", r, err, "1016")
			v, err = verifyPay(c, payWithAgree(t, c, "lim2", na, "60.00", rcv.url()), "123456")
			wantCode(t, "60 more: exactly the month's 150", v, err, "0000")
			r, err = c.PayApply(ctx, func() map[string]string {
				f := payFields("lim2", nextOrder("l"), "100.01", rcv.url())
				f["no_agree"] = na
				return f
			}())
			wantCode(t, "over per_txn", r, err, "1019")
		})
	})
}

func TestPayConcurrency(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, nil)
		rcv := newReceiver(t)
		ctx := context.Background()
		na := e.bind(c, "conc", zhang, card(t, 990, "0000"))
		before := e.smsCount(zhang.mobile)

		f := payFields("conc", nextOrder("c"), "1.00", rcv.url())
		f["no_agree"] = na
		var wg sync.WaitGroup
		results := make(chan string, 100)
		for range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := c.PayApply(ctx, f)
				if code(t, r, err) == "8888" {
					results <- r.Get("oid_paybill") + "/" + r.Get("token")
				} else {
					results <- "error"
				}
			}()
		}
		wg.Wait()
		close(results)
		seen := map[string]int{}
		for r := range results {
			seen[r]++
		}
		if len(seen) != 1 || seen["error"] != 0 {
			t.Fatalf("100 identical applies: %v", seen)
		}
		if n := e.smsCount(zhang.mobile) - before; n != 1 {
			t.Fatalf("SMS sent: %d, want 1", n)
		}
	})
}

func (e *env) clockNow() string {
	var got map[string]string
	e.admin("GET", "/admin/clock", nil, 200, &got)
	return got["now"]
}
