package report

import (
	"bytes"
	"context"
	"strings"
	"testing"

	llgate "github.com/llgate/llgate"
)

// fixture: merchant oidA created 2024-03-04 10:00 China time;
//
//	C  paid 03-04 18:00:05, 20.00, refunded in full on 03-06 (R2)
//	A  paid 03-05 10:15:30, 12.34, info_order with '|' and CRLF, 0.01 refunded at 10:25:00.200 (R1)
//	B  paid 03-05 10:25:00.700, 50.00, no info_order: same second as R1, sorted before it by oid_paybill
//
// plus what must stay out: a failed payment, a failed and a pending refund
// on 03-05, and another merchant's payment that day.
func fixture(t *testing.T, e *env) {
	t.Helper()
	e.merchant(t, oidA, cst(t, "2024-03-04 10:00:00.000"))
	e.merchant(t, "201408071000009999", cst(t, "2024-03-01 10:00:00.000"))
	e.payment(t, &llgate.Order{
		OidPaybill: "2024030400000003", OidPartner: oidA, NoOrder: "ORDER-C", DtOrder: "20240304180000",
		BusiPartner: "109001", Amount: 2000, PayType: "3", Status: llgate.OrderRefund,
		PaidAt: cst(t, "2024-03-04 18:00:05.000"), SettleDate: "20240304", Refunded: 2000,
	}, "会员充值")
	e.payment(t, &llgate.Order{
		OidPaybill: "2024030500000001", OidPartner: oidA, NoOrder: "ORDER-A", DtOrder: "20240305101500",
		BusiPartner: "101001", Amount: 1234, PayType: "2",
		PaidAt: cst(t, "2024-03-05 10:15:30.000"), SettleDate: "20240305", Refunded: 1,
	}, "gift|for\r\nmom")
	e.payment(t, &llgate.Order{
		OidPaybill: "2024030500000002", OidPartner: oidA, NoOrder: "ORDER-B", DtOrder: "20240305102455",
		BusiPartner: "101001", Amount: 5000, PayType: "P",
		PaidAt: cst(t, "2024-03-05 10:25:00.700"), SettleDate: "20240305",
	}, "")
	e.payment(t, &llgate.Order{
		OidPaybill: "2024030500000004", OidPartner: oidA, NoOrder: "ORDER-FAILED", DtOrder: "20240305110000",
		BusiPartner: "101001", Amount: 100, PayType: "2", Status: llgate.OrderFailure,
		CountedAt: cst(t, "2024-03-05 11:00:00.000"),
	}, "")
	e.payment(t, &llgate.Order{
		OidPaybill: "2024030500000099", OidPartner: "201408071000009999", NoOrder: "ORDER-OTHER",
		DtOrder: "20240305120000", BusiPartner: "101001", Amount: 700, PayType: "2",
		PaidAt: cst(t, "2024-03-05 12:00:00.000"), SettleDate: "20240305",
	}, "not yours")
	e.refund(t, &llgate.Refund{
		OidRefundno: "2024030500000011", OidPartner: oidA, NoRefund: "REFUND-A1", OidPaybill: "2024030500000001",
		Amount: 1, SettleDate: "20240305", SettledAt: cst(t, "2024-03-05 10:25:00.200"),
	})
	e.refund(t, &llgate.Refund{
		OidRefundno: "2024030500000013", OidPartner: oidA, NoRefund: "REFUND-A2", OidPaybill: "2024030500000001",
		Amount: 2, Status: llgate.RefundFailed, SettledAt: cst(t, "2024-03-05 11:00:00.000"),
	})
	e.refund(t, &llgate.Refund{
		OidRefundno: "2024030500000014", OidPartner: oidA, NoRefund: "REFUND-A3", OidPaybill: "2024030500000001",
		Amount: 3, Status: llgate.RefundApplied, SettleAt: cst(t, "2024-03-05 23:59:59.000"),
	})
	e.refund(t, &llgate.Refund{
		OidRefundno: "2024030600000012", OidPartner: oidA, NoRefund: "REFUND-C1", OidPaybill: "2024030400000003",
		Amount: 2000, SettleDate: "20240306", SettledAt: cst(t, "2024-03-06 09:30:00.000"),
	})
}

const (
	rowC  = "ORDER-C|201408071000001539|20240304 18:00:00|109001|2024030400000003|20240304|CNY|20.00|CNY|20.00|CNY|20.00|1.00|0|20240304 18:00:05|0.00|MPAY|3|会员充值\n"
	rowA  = "ORDER-A|201408071000001539|20240305 10:15:00|101001|2024030500000001|20240305|CNY|12.34|CNY|12.34|CNY|12.34|1.00|0|20240305 10:15:30|0.00|MPAY|2|gift for  mom\n"
	rowB  = "ORDER-B|201408071000001539|20240305 10:24:55|101001|2024030500000002|20240305|CNY|50.00|CNY|50.00|CNY|50.00|1.00|0|20240305 10:25:00|0.00|MPAY|P|\n"
	rowR1 = "ORDER-A|201408071000001539|20240305 10:15:00|101001|2024030500000011|20240305|CNY|-0.01|CNY|-0.01|CNY|-0.01|1.00|5|20240305 10:25:00|0.00|MPAY|2|gift for  mom\n"
	rowR2 = "ORDER-C|201408071000001539|20240304 18:00:00|109001|2024030600000012|20240306|CNY|-20.00|CNY|-20.00|CNY|-20.00|1.00|5|20240306 09:30:00|0.00|MPAY|3|会员充值\n"
)

const header = "no_order|oid_partner|dt_order|busi_partner|oid_paybill|settle_date|currency_order|money_order|currency_pay|money_pay|currency_settle|money_settle|exchange_rate|transaction_status|dt_update|transaction_fee|pay_product|pay_type|info_order\n"

func TestBuild(t *testing.T) {
	forEachStore(t, func(t *testing.T, store llgate.Store) {
		e := newEnv(t, store)
		fixture(t, e)
		ctx := context.Background()
		for _, tc := range []struct {
			name, day       string
			detail, summary string
		}{
			{"Golden", "2024-03-05 12:00:00.000", header + rowA + rowB + rowR1, "3|2|62.34|1|-0.01|0|\n"},
			{"PaidEarlierRefundedToday", "2024-03-06 00:00:00.000", header + rowR2, "1|0||1|-20.00|0|\n"},
			{"RefundedLater", "2024-03-04 23:59:59.999", header + rowC, "1|1|20.00|0||0|\n"},
			{"Empty", "2024-03-07 08:00:00.000", header, "0|0||0||0|\n"},
			{"BeforeCreation", "2024-02-01 08:00:00.000", header, "0|0||0||0|\n"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				detail, summary, err := e.gen.Build(ctx, oidA, cst(t, tc.day))
				if err != nil {
					t.Fatal(err)
				}
				if got, want := string(detail), tc.detail; got != want {
					t.Errorf("detail:\n%s\nwant:\n%s", got, want)
				}
				if got, want := string(summary), tc.summary; got != want {
					t.Errorf("summary = %q, want %q", got, want)
				}
				detail2, summary2, err := e.gen.Build(ctx, oidA, cst(t, tc.day))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(detail, detail2) || !bytes.Equal(summary, summary2) {
					t.Error("a second build gave other bytes")
				}
			})
		}
		t.Run("Month", func(t *testing.T) {
			month, err := e.gen.BuildMonth(ctx, oidA, cst(t, "2024-03-31 23:00:00.000"))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := string(month), header+rowC+rowA+rowB+rowR1+rowR2; got != want {
				t.Errorf("month:\n%s\nwant:\n%s", got, want)
			}
			// China time decides the month: 2024-04-01 00:30 China is March in UTC.
			april, err := e.gen.BuildMonth(ctx, oidA, cst(t, "2024-04-01 00:30:00.000"))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := string(april), header; got != want {
				t.Errorf("april = %q, want %q", got, want)
			}
		})
	})
}

func TestNames(t *testing.T) {
	at := cst(t, "2024-03-01 00:30:00.000") // still February in UTC
	for _, tc := range []struct{ got, want string }{
		{DailyName(oidA, at), "JYMX_201408071000001539_20240301.txt"},
		{SummaryName(oidA, at), "JYMXSUM_201408071000001539_20240301.txt"},
		{MonthlyName(oidA, at), "JYMX_201408071000001539_202403.txt"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain 文字", "plain 文字"},
		{"a|b", "a b"},
		{"a\r\nb\nc\rd", "a  b c d"},
		{"tab\there\x00nul", "tab here nul"},
		{"ls\u2028ps\u2029nel\u0085", "ls ps nel "},
		{"bad\xffutf8", "bad\uFFFDutf8"},
	} {
		if got := clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSave(t *testing.T) {
	forEachStore(t, func(t *testing.T, store llgate.Store) {
		e := newEnv(t, store)
		fixture(t, e)
		e.clock.Set(cst(t, "2024-03-06 09:00:00.000"))
		ctx := context.Background()
		detail, _, err := e.gen.Build(ctx, oidA, cst(t, "2024-03-05 00:00:00.000"))
		if err != nil {
			t.Fatal(err)
		}
		name := DailyName(oidA, cst(t, "2024-03-05 00:00:00.000"))
		if err := e.gen.Save(ctx, name, oidA, detail); err != nil {
			t.Fatal(err)
		}
		var r *llgate.Report
		err = store.View(ctx, func(tx llgate.Tx) error {
			var err error
			r, err = tx.Report(ctx, name)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, plain := range []string{"no_order|oid_partner", "ORDER-A", "gift"} {
			if bytes.Contains(r.Content, []byte(plain)) {
				t.Errorf("stored report holds %q in plaintext", plain)
			}
		}
		if got, want := r.OidPartner, oidA; got != want {
			t.Errorf("oid_partner = %q, want %q", got, want)
		}
		if got, want := r.CreatedAt, e.clock.Now(); !got.Equal(want) {
			t.Errorf("created_at = %v, want %v", got, want)
		}
		plain, err := e.vault.Open(ctx, oidA, llgate.TableReports, name, r.Content)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(plain), string(detail); got != want {
			t.Errorf("opened:\n%s\nwant:\n%s", got, want)
		}
		if _, err := e.vault.Open(ctx, oidA, llgate.TableReports, SummaryName(oidA, e.clock.Now()), r.Content); err == nil {
			t.Error("the sealed report opened under another name")
		}
		// Saving again replaces it.
		if err := e.gen.Save(ctx, name, oidA, []byte(header)); err != nil {
			t.Fatal(err)
		}
		if got, want := e.stored(t, oidA), map[string]string{name: header}; len(got) != 1 || got[name] != want[name] {
			t.Errorf("stored = %q, want %q", got, want)
		}
		if strings.Count(header, "|") != 18 {
			t.Errorf("header has %d separators, want 18", strings.Count(header, "|"))
		}
	})
}
