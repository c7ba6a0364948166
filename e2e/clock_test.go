package e2e

import (
	"context"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
)

// TestClockSettlesBeforeAnswering: what a clock step makes due is settled
// before POST /admin/clock answers, so a query right after it sees the
// outcome, with no background work running to race it.
func TestClockSettlesBeforeAnswering(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := startEnv(t, open(t), false, limitsOff)
		c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
		ctx := context.Background()
		na := e.bind(c, "clk", zhang, card(t, 1300, "0000"))
		p := paid(t, e, c, "clk", na, "10.00", "http://127.0.0.1:9/notify")
		r, err := c.Refund(ctx, refundFields(p, nextOrder("clk"), "3.00", "http://127.0.0.1:9/notify"))
		wantCode(t, "refund", r, err, "0000")
		e.advance(5*time.Minute + time.Second)
		q, err := c.RefundQuery(ctx, map[string]string{"no_refund": r.Get("no_refund")})
		if wantCode(t, "query right after the clock", q, err, "0000"); q.Get("sta_refund") != "2" {
			t.Fatalf("the refund is not settled when the clock step answers: %v", q.Fields)
		}
	})
}
