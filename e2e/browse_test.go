package e2e

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
)

// event is what a test checks of an order event.
type event struct{ status, note string }

func (e *env) history(t *testing.T, oidPaybill string) (*llgate.PaymentView, []event) {
	t.Helper()
	v, err := e.app.Browse.Payment(context.Background(), oidPaybill)
	if err != nil {
		t.Fatal(err)
	}
	var out []event
	for i, ev := range v.Events {
		out = append(out, event{ev.Status, ev.Note})
		if ev.OidPaybill != oidPaybill || ev.OidPartner != v.Order.OidPartner || ev.At.IsZero() {
			t.Errorf("event %d: %+v", i, ev)
		}
		if i > 0 && ev.At.Before(v.Events[i-1].At) {
			t.Errorf("event %d at %s, before the one before it", i, ev.At)
		}
	}
	return v, out
}

func wantHistory(t *testing.T, got, want []event) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("history:\ngot  %q\nwant %q", got, want)
	}
}

// TestPaymentHistory follows payments through the real use cases and reads
// their histories as the console does: each step is an event, written with
// the change it records.
func TestPaymentHistory(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
		rcv := newReceiver(t)
		ctx := context.Background()
		na := e.bind(c, "hist", zhang, card(t, 1300, "0000"))
		// refund refunds money of payment p and lets the clock settle it;
		// it returns the no_refund.
		refund := func(t *testing.T, p *client.Response, money string) string {
			no := nextOrder("hr")
			r, err := c.Refund(ctx, refundFields(p, no, money, rcv.url()))
			wantCode(t, "refund "+money, r, err, "0000")
			e.advance(5*time.Minute + time.Second)
			e.settle()
			return no
		}
		// payOutcome pays 1.00 with a card of the outcome digits and
		// verifies, which answers the outcome.
		payOutcome := func(t *testing.T, seed uint64, outcome string) *client.Response {
			user := "hist-" + outcome
			r := payWithAgree(t, c, user, e.bind(c, user, zhang, card(t, seed, outcome)), "1.00", rcv.url())
			v, err := verifyPay(c, r, "123456")
			wantCode(t, "verify", v, err, outcome)
			return r
		}

		t.Run("PaidAndRefunded", func(t *testing.T) {
			p := paid(t, e, c, "hist", na, "10.00", rcv.url())
			no1 := refund(t, p, "3.00")
			no2 := refund(t, p, "7.00")

			v, got := e.history(t, p.Get("oid_paybill"))
			paidNote := "paid, settle_date " + v.Order.SettleDate
			wantHistory(t, got, []event{
				{"WAITING", "applied"},
				{"PROCESSING", "verified, charging"},
				{"SUCCESS", paidNote},
				{"SUCCESS", "refund " + no1 + " applied: 3.00"},
				{"SUCCESS", "refund " + no1 + " settled (state 2)"},
				{"SUCCESS", "refund " + no2 + " applied: 7.00"},
				{"SUCCESS", "refund " + no2 + " settled (state 2)"},
				{"REFUND", "refunded in full"},
			})
			if v.Order.Status != llgate.OrderRefund || len(v.Refunds) != 2 || v.Refunds[0].NoRefund != no1 ||
				v.Refunds[1].NoRefund != no2 || v.Refunds[1].Status != llgate.RefundSuccess {
				t.Fatalf("view: order %s, refunds %+v", v.Order.Status, v.Refunds)
			}
		})

		t.Run("Declined", func(t *testing.T) {
			r := payOutcome(t, 1301, "6001")
			_, got := e.history(t, r.Get("oid_paybill"))
			if len(got) != 3 || got[2].status != "FAILURE" || !strings.HasPrefix(got[2].note, "issuer declined: 6001") {
				t.Fatalf("history %q, want applied, verified, then the decline", got)
			}
		})

		t.Run("RefundFailed", func(t *testing.T) {
			na := e.bind(c, "hist-9920", zhang, card(t, 1303, "9920"))
			p := paid(t, e, c, "hist-9920", na, "2.00", rcv.url())
			no := refund(t, p, "2.00")
			v, got := e.history(t, p.Get("oid_paybill"))
			wantHistory(t, got[3:], []event{{"SUCCESS", "refund " + no + " applied: 2.00"}, {"SUCCESS", "refund " + no + " failed (state 3)"}})
			if v.Order.Status != llgate.OrderSuccess || len(v.Refunds) != 1 || v.Refunds[0].Status != llgate.RefundFailed {
				t.Fatalf("view: order %s, refunds %+v", v.Order.Status, v.Refunds)
			}
		})

		t.Run("ProcessingThenTheClock", func(t *testing.T) {
			r := payOutcome(t, 1302, "2008")
			e.settle() // not due yet: nothing happens
			e.advance(5*time.Minute + time.Second)
			e.settle()
			o, got := e.history(t, r.Get("oid_paybill"))
			wantHistory(t, got, []event{
				{"WAITING", "applied"},
				{"PROCESSING", "verified, charging"},
				{"PROCESSING", "issuer answered processing (2008)"},
				{"SUCCESS", "by the clock: paid, settle_date " + o.Order.SettleDate},
			})
		})

		t.Run("NewTokenThenClosed", func(t *testing.T) {
			f := payFields("hist", nextOrder("hc"), "1.00", rcv.url())
			f["no_agree"], f["valid_order"] = na, "40"
			r, err := c.PayApply(ctx, f)
			wantCode(t, "apply", r, err, "8888")
			e.advance(31 * time.Minute) // the token dies
			r, err = c.PayApply(ctx, f)
			wantCode(t, "repeat", r, err, "8888")
			e.advance(10 * time.Minute) // valid_order passes
			e.settle()
			_, got := e.history(t, r.Get("oid_paybill"))
			wantHistory(t, got, []event{{"WAITING", "applied"}, {"WAITING", "new token"}, {"CLOSED", "closed by valid_order"}})
		})

		t.Run("Lists", func(t *testing.T) {
			b := e.app.Browse
			orders, more, err := b.Payments(ctx, llgate.ListQuery{OidPartner: oidA, Status: llgate.OrderRefund, Limit: 5})
			if err != nil || len(orders) != 1 || more {
				t.Fatalf("refunded payments: %d, more %v, %v; want 1", len(orders), more, err)
			}
			// Newest first: the failed one, then the two of the refunded payment.
			refunds, more, err := b.Refunds(ctx, llgate.ListQuery{OidPartner: oidA, Offset: 1, Limit: 1})
			if err != nil || len(refunds) != 1 || !more || refunds[0].OidPaybill != orders[0].OidPaybill {
				t.Fatalf("refunds: %+v, more %v, %v", refunds, more, err)
			}
			if refunds, more, err = b.Refunds(ctx, llgate.ListQuery{OidPartner: oidA, Offset: 2}); err != nil || len(refunds) != 1 || more {
				t.Fatalf("the last page of refunds: %d, more %v, %v", len(refunds), more, err)
			}
			as, more, err := b.Agreements(ctx, llgate.ListQuery{OidPartner: oidA, UserID: "hist"})
			if err != nil || len(as) != 1 || more || as[0].NoAgree != na {
				t.Fatalf("agreements of hist: %+v, more %v, %v", as, more, err)
			}
			if _, err := b.Payment(ctx, "2026000000000000"); err == nil {
				t.Fatal("a payment that does not exist was found")
			}
		})
	})
}
