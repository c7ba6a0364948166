package e2e

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
)

var refundNoticeKeys = "dt_refund,exchange_bankcode,money_foreign_refund,money_refund,no_refund,oid_partner,oid_refundno,rate,rate_id,settle_date,sign,sign_type,sta_refund"

// paid makes a successful payment and returns the apply answer.
func paid(t *testing.T, e *env, c *client.Client, user, noAgree, money, url string) *client.Response {
	t.Helper()
	r := payWithAgree(t, c, user, noAgree, money, url)
	v, err := verifyPay(c, r, "123456")
	wantCode(t, "verify", v, err, "0000")
	return r
}

func refundFields(r *client.Response, noRefund, money, url string) map[string]string {
	return map[string]string{
		"no_refund": noRefund, "dt_refund": "20261122110000", "money_refund": money,
		"no_order": r.Get("no_order"), "dt_order": r.Get("dt_order"), "notify_url": url,
	}
}

func TestRefunds(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
		rcv := newReceiver(t)
		ctx := context.Background()
		na := e.bind(c, "rf", zhang, card(t, 1100, "0000"))

		t.Run("PartialThenFull", func(t *testing.T) {
			p := paid(t, e, c, "rf", na, "10.00", rcv.url())
			rcv.wait(1) // the payment's own notification
			r, err := c.Refund(ctx, refundFields(p, nextOrder("rf"), "3.00", rcv.url()))
			wantCode(t, "refund 3.00", r, err, "0000")
			if r.Get("sta_refund") != "0" || r.Get("money_foreign_refund") != "3.00" || r.Get("rate") != "1.00" || r.Get("rate_id") != "1" ||
				r.Get("exchange_bankcode") != "01020000" || len(r.Get("oid_refundno")) != 16 || r.Get("settle_date") != "" {
				t.Fatalf("refund answer: %v", r.Fields)
			}
			q, err := c.RefundQuery(ctx, map[string]string{"no_refund": r.Get("no_refund"), "dt_refund": "20261122110000"})
			if wantCode(t, "query", q, err, "0000"); q.Get("sta_refund") != "0" {
				t.Fatalf("before the clock: %v", q.Fields)
			}
			e.advance(5*time.Minute + time.Second)
			n := rcv.wait(2)[1] // the clock alone settles the refund and notifies
			if keysOf(n) != refundNoticeKeys || n["sta_refund"] != "2" || n["oid_refundno"] != r.Get("oid_refundno") || n["money_refund"] != "3.00" {
				t.Fatalf("refund notification: %v", n)
			}
			q, err = c.RefundQuery(ctx, map[string]string{"no_refund": r.Get("no_refund")})
			if wantCode(t, "query after", q, err, "0000"); q.Get("sta_refund") != "2" || len(q.Get("settle_date")) != 8 {
				t.Fatalf("after the clock: %v", q.Fields)
			}
			if o := query(t, c, map[string]string{"oid_paybill": p.Get("oid_paybill")}); o.Get("result_pay") != "SUCCESS" {
				t.Fatalf("partly refunded payment reads %s", o.Get("result_pay"))
			}
			f := refundFields(p, nextOrder("rf"), "7.00", rcv.url())
			delete(f, "no_order")
			f["oid_paybill"] = p.Get("oid_paybill")
			r2, err := c.Refund(ctx, f)
			wantCode(t, "refund the rest by oid_paybill", r2, err, "0000")
			r3, err := c.Refund(ctx, refundFields(p, nextOrder("rf"), "0.01", rcv.url()))
			wantCode(t, "one fen more", r3, err, "5007")
			e.advance(5*time.Minute + time.Second)
			rcv.wait(3)
			if o := query(t, c, map[string]string{"oid_paybill": p.Get("oid_paybill")}); o.Get("result_pay") != "REFUND" {
				t.Fatalf("fully refunded payment reads %s", o.Get("result_pay"))
			}
		})
		t.Run("PendingCounts", func(t *testing.T) {
			p := paid(t, e, c, "rf", na, "10.00", rcv.url())
			r, err := c.Refund(ctx, refundFields(p, nextOrder("rf"), "6.00", rcv.url()))
			wantCode(t, "6.00", r, err, "0000")
			r, err = c.Refund(ctx, refundFields(p, nextOrder("rf"), "6.00", rcv.url()))
			wantCode(t, "6.00 more while the first is pending", r, err, "5007")
		})
		t.Run("Idempotent", func(t *testing.T) {
			p := paid(t, e, c, "rf", na, "4.00", rcv.url())
			f := refundFields(p, nextOrder("rf"), "1.00", rcv.url())
			r1, err := c.Refund(ctx, f)
			wantCode(t, "first", r1, err, "0000")
			r2, err := c.Refund(ctx, f)
			if wantCode(t, "identical repeat", r2, err, "0000"); r2.Get("oid_refundno") != r1.Get("oid_refundno") {
				t.Fatalf("repeat made another refund: %s vs %s", r2.Get("oid_refundno"), r1.Get("oid_refundno"))
			}
			f["money_refund"] = "1.01"
			r3, err := c.Refund(ctx, f)
			wantCode(t, "same no_refund, other request", r3, err, "1002")
		})
		t.Run("Refused", func(t *testing.T) {
			waiting := payWithAgree(t, c, "rf", na, "2.00", rcv.url())
			r, err := c.Refund(ctx, refundFields(waiting, nextOrder("rf"), "1.00", rcv.url()))
			wantCode(t, "unpaid order", r, err, "5008")
			f := refundFields(waiting, nextOrder("rf"), "1.00", rcv.url())
			f["no_order"] = "no-such-order"
			r, err = c.Refund(ctx, f)
			wantCode(t, "unknown order", r, err, "5002")
			b := e.merchant(oidB, nil)
			p := paid(t, e, c, "rf", na, "2.00", rcv.url())
			r, err = b.Refund(ctx, refundFields(p, nextOrder("rf"), "1.00", rcv.url()))
			wantCode(t, "another merchant's order", r, err, "5002")
			q, err := b.RefundQuery(ctx, map[string]string{"no_refund": "nope"})
			wantCode(t, "unknown refund", q, err, "8901")
			r, err = c.Refund(ctx, refundFields(p, nextOrder("rf"), "0.00", rcv.url()))
			wantCode(t, "zero", r, err, "1004")
		})
		t.Run("IssuerRefuses", func(t *testing.T) {
			na2 := e.bind(c, "rf2", li, card(t, 1101, "9920"))
			p := paid(t, e, c, "rf2", na2, "5.00", rcv.url())
			r, err := c.Refund(ctx, refundFields(p, nextOrder("rf"), "5.00", rcv.url()))
			wantCode(t, "9920 apply answers 0000", r, err, "0000")
			e.advance(5*time.Minute + time.Second)
			e.settle()
			q, err := c.RefundQuery(ctx, map[string]string{"no_refund": r.Get("no_refund")})
			if wantCode(t, "query", q, err, "0000"); q.Get("sta_refund") != "3" || q.Get("settle_date") != "" {
				t.Fatalf("refused refund: %v", q.Fields)
			}
			var ns struct{ Notifications []any }
			e.admin("GET", "/admin/notifications?no_refund="+r.Get("no_refund"), nil, 200, &ns)
			if len(ns.Notifications) != 0 {
				t.Errorf("a failed refund was notified: %v", ns.Notifications)
			}
		})
		t.Run("SixMonths", func(t *testing.T) {
			p := paid(t, e, c, "rf", na, "1.00", rcv.url())
			e.advance(186 * 24 * time.Hour)
			r, err := c.Refund(ctx, refundFields(p, nextOrder("rf"), "1.00", rcv.url()))
			wantCode(t, "over 6 months", r, err, "2006")
		})
	})
}

func TestRefundConcurrency(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
		rcv := newReceiver(t)
		ctx := context.Background()
		na := e.bind(c, "rc", zhang, card(t, 1200, "0000"))

		t.Run("FiftyRefundsThreeTimesTheAmount", func(t *testing.T) {
			p := paid(t, e, c, "rc", na, "10.00", rcv.url())
			var ok sync.Map
			var wg sync.WaitGroup
			for i := range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := c.Refund(ctx, refundFields(p, "par-"+strconv.Itoa(i), "0.60", rcv.url())) // 50 x 0.60 = 30.00
					if code(t, r, err) == "0000" {
						ok.Store(i, true)
					}
				}()
			}
			wg.Wait()
			n := 0
			ok.Range(func(_, _ any) bool { n++; return true })
			if n*60 > 1000 || n != 16 {
				t.Fatalf("accepted %d refunds of 0.60 on 10.00: want exactly 16 (9.60)", n)
			}
		})
		t.Run("TwentyIdentical", func(t *testing.T) {
			p := paid(t, e, c, "rc", na, "10.00", rcv.url())
			f := refundFields(p, "same-refund", "1.00", rcv.url())
			seen := tally(20, func() string {
				r, err := c.Refund(ctx, f)
				if code(t, r, err) == "0000" {
					return r.Get("oid_refundno")
				}
				return "error"
			})
			if len(seen) != 1 || seen["error"] > 0 {
				t.Fatalf("20 identical refunds: %v", seen)
			}
		})
		t.Run("RefundRacingVerify", func(t *testing.T) {
			r := payWithAgree(t, c, "rc", na, "3.00", rcv.url())
			var wg sync.WaitGroup
			var refundCode string
			wg.Add(2)
			go func() {
				defer wg.Done()
				rr, err := c.Refund(ctx, refundFields(r, nextOrder("race"), "3.00", rcv.url()))
				refundCode = code(t, rr, err)
			}()
			go func() {
				defer wg.Done()
				v, err := verifyPay(c, r, "123456")
				wantCode(t, "verify", v, err, "0000")
			}()
			wg.Wait()
			if refundCode != "0000" && refundCode != "5008" {
				t.Fatalf("refund racing the verify: %s", refundCode)
			}
			if refundCode == "5008" { // refused until the payment succeeded; now it goes through
				rr, err := c.Refund(ctx, refundFields(r, nextOrder("race"), "3.00", rcv.url()))
				wantCode(t, "after the verify", rr, err, "0000")
			}
		})
	})
}
