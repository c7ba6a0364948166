package faulttest

import (
	"strings"
	"testing"

	"github.com/llgate/llgate/client"
)

// TestCheckoutChecks: the re-verification of a checkout payment reports
// each acknowledged outcome the order query contradicts, and nothing for
// one that holds or that no page acknowledged.
func TestCheckoutChecks(t *testing.T) {
	query := func(state, payType string) *client.Response {
		return &client.Response{Fields: map[string]string{
			"no_order": "c1", "oid_paybill": "2026120600000001", "money_order": "12.30", "result_pay": state, "pay_type": payType,
		}}
	}
	base := func() *Checkout {
		return &Checkout{NoOrder: "c1", DtOrder: "20261206101010", Money: "12.3", Amount: 1230, Flavour: "WEB",
			Route: "/payment/bankgateway.htm", PayType: "M", Outcome: "0000", OidPaybill: "2026120600000001"}
	}
	for _, tc := range []struct {
		name  string
		edit  func(*Checkout)
		code  string
		res   *client.Response
		final bool
		want  string // "" = no violation
	}{
		{"paid holds", func(c *Checkout) { c.Paid = true }, "0000", query("SUCCESS", "M"), true, ""},
		{"paid credit holds", func(c *Checkout) { c.Paid, c.Credit = true, true }, "0000", query("SUCCESS", "N"), true, ""},
		{"paid D holds", func(c *Checkout) { c.Paid, c.Credit, c.PayType = true, true, "D" }, "0000", query("SUCCESS", "D"), true, ""},
		{"paid gone", func(c *Checkout) { c.Paid = true }, "8901", nil, false, "showed success and the order is gone"},
		{"paid reads waiting", func(c *Checkout) { c.Paid = true }, "0000", query("WAITING", "M"), false, "showed success, order query answers WAITING"},
		{"paid as MPAY", func(c *Checkout) { c.Paid, c.PayType = true, "2" }, "0000", query("SUCCESS", "2"), false, "pay_type 2, want M"},
		{"paid wrong amount", func(c *Checkout) { c.Paid, c.Amount = true, 1231 }, "0000", query("SUCCESS", "M"), false, "money_order 12.30"},
		{"processing settling", func(c *Checkout) { c.Processing, c.Outcome = true, "2008" }, "0000", query("PROCESSING", "M"), false, ""},
		{"processing never settled", func(c *Checkout) { c.Processing, c.Outcome = true, "2008" }, "0000", query("PROCESSING", "M"), true, "never completed"},
		{"processing closed", func(c *Checkout) { c.Processing, c.Outcome = true, "2008" }, "0000", query("CLOSED", "M"), false, "showed processing, order query answers CLOSED"},
		{"declined paid", func(c *Checkout) { c.Failed, c.Outcome = "6001", "6001" }, "0000", query("SUCCESS", "M"), false, "showed failure 6001"},
		{"unacknowledged absent", func(*Checkout) {}, "8901", nil, true, ""},
		{"unacknowledged waiting", func(c *Checkout) { c.Credit = true }, "0000", query("WAITING", "M"), true, ""},
		{"unacknowledged paid by a declining card", func(c *Checkout) { c.Outcome = "6001" }, "0000", query("SUCCESS", "M"), true, "a declining card's payment reads SUCCESS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := &Violations{}
			co := base()
			tc.edit(co)
			ch := &checker{l: &Ledger{}, v: v, final: tc.final}
			n := ch.checkout(co, tc.res, tc.code)
			got := strings.Join(v.List(), "\n")
			switch {
			case tc.want == "" && got != "":
				t.Errorf("want no violation, got:\n%s", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("want a violation with %q, got:\n%s", tc.want, got)
			}
			if acked := co.Paid || co.Processing; (n == 1) != acked {
				t.Errorf("re-verified %d, acknowledged %v", n, acked)
			}
		})
	}
}

// TestCheckoutNotices: a checkout payment that reads SUCCESS must be
// notified, with its order's fields and the entry's pay_type.
func TestCheckoutNotices(t *testing.T) {
	l := &Ledger{Checkouts: []*Checkout{{NoOrder: "c1", DtOrder: "20261206101010", Money: "12.3", Amount: 1230,
		PayType: "P", OidPaybill: "2026120600000001", Paid: true, Exists: 1, State: "SUCCESS"}}}
	rc := &Receiver{payments: map[string]*Notice{}, refunds: map[string]*Notice{}}
	if m := Missing(l, rc); len(m) != 1 || !strings.Contains(m[0], "checkout payment 2026120600000001 (order c1") {
		t.Fatalf("missing: %v", m)
	}
	if n := ExpectedCount(l); n != 1 {
		t.Errorf("expected %d notifications, want 1", n)
	}
	fields := map[string]string{"no_order": "c1", "dt_order": "20261206101010", "money_order": "12.30", "result_pay": "SUCCESS", "pay_type": "P"}
	rc.payments["2026120600000001"] = &Notice{Count: 1, Fields: fields}
	v := &Violations{}
	if CheckNotices(l, rc, v); v.Len() != 0 || len(Missing(l, rc)) != 0 {
		t.Fatalf("a matching notification: %v, missing %v", v.List(), Missing(l, rc))
	}
	fields["pay_type"] = "M"
	if CheckNotices(l, rc, v); v.Len() != 1 || !strings.Contains(v.List()[0], "does not match checkout payment c1") {
		t.Fatalf("a notification with another pay_type: %v", v.List())
	}
}
