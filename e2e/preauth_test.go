package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/protocol"
)

// preauthEnv is a merchant with a fixed SMS code and a notification
// receiver, for pre-authorisation tests.
type preauthEnv struct {
	*env
	t   *testing.T
	c   *client.Client
	rcv *receiver
	n   uint64
}

// authorise applies and verifies a pre-authorisation of money with a new
// credit card with the outcome digits; want is the verify's code.
func (p *preauthEnv) authorise(money, outcome, want string) (apply, verify *client.Response) {
	p.t.Helper()
	p.n++
	f := withCredit(easyFields("pu", nextOrder("pa"), money, p.rcv.url(), "F", zhang, creditCard(p.t, 8000+p.n, outcome)))
	apply = easyApply(p.t, p.c, f, "0000")
	if got := p.state(apply); got != llgate.PreauthSMS {
		p.t.Fatalf("after the apply: state %s, want PR08", got)
	}
	r, err := p.c.Do(context.Background(), protocol.EPEasypayVerify, map[string]string{"token": apply.Get("token"), "verify_code": "123456"})
	verify = wantCode(p.t, "authorisation", r, err, want)
	return apply, verify
}

// state is the preauthquery ret_code of the order apply made.
func (p *preauthEnv) state(apply *client.Response) string {
	p.t.Helper()
	r, err := p.c.Do(context.Background(), protocol.EPPreauthQuery, map[string]string{"no_order": apply.Get("no_order"), "pay_type": "F"})
	var apiErr *client.Error
	switch {
	case err == nil:
		return r.Get("ret_code")
	case errors.As(err, &apiErr):
		if _, ok := apiErr.Answer["oid_paybill"]; !ok && apiErr.RetCode != "8901" {
			p.t.Fatalf("preauth query %s: no fields: %v", apiErr.RetCode, apiErr.Answer)
		}
		return apiErr.RetCode
	}
	p.t.Fatalf("preauth query: %v", err)
	return ""
}

func (p *preauthEnv) op(name string, apply *client.Response, money string, extra map[string]string, want string) *client.Response {
	p.t.Helper()
	f := map[string]string{"user_id": "pu", "pay_type": "F", "no_order": apply.Get("no_order"), "money_order": money}
	for k, v := range extra {
		f[k] = v
	}
	r, err := p.c.Do(context.Background(), name, f)
	return wantCode(p.t, name+" "+apply.Get("no_order"), r, err, want)
}

func (p *preauthEnv) capture(apply *client.Response, money, want string) *client.Response {
	p.t.Helper()
	return p.op(protocol.EPPreauthCapture, apply, money, nil, want)
}

func (p *preauthEnv) cancel(apply *client.Response, money, want string) *client.Response {
	p.t.Helper()
	return p.op(protocol.EPPreauthCancel, apply, money, nil, want)
}

func (p *preauthEnv) resultPay(apply *client.Response) *client.Response {
	p.t.Helper()
	return query(p.t, p.c, map[string]string{"no_order": apply.Get("no_order")})
}

func (p *preauthEnv) wantState(what string, apply *client.Response, want string) {
	p.t.Helper()
	if got := p.state(apply); got != want {
		p.t.Fatalf("%s: state %s, want %s", what, got, want)
	}
}

func (p *preauthEnv) refund(apply *client.Response, money, want string) {
	p.t.Helper()
	r, err := p.c.Refund(context.Background(), map[string]string{
		"no_refund": nextOrder("rf"), "dt_refund": "20261122110000", "money_refund": money,
		"no_order": apply.Get("no_order"), "notify_url": p.rcv.url(),
	})
	wantCode(p.t, "refund of "+apply.Get("no_order"), r, err, want)
}

// TestPreauth: every pre-authorisation state, capture and cancel with
// their outcome digits and codes (§4.6, §4.13, §4.14), the order query's
// reading (Decision 18), refunds only of a capture, notifications only of
// authorisations, and JYMX rows only of captures.
func TestPreauth(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		p := &preauthEnv{env: e, t: t, c: e.merchant(oidA, map[string]any{"sms_code": "123456", "live": true}), rcv: newReceiver(t)}
		day := e.app.Clock.Now()

		// PR07, then a partial capture: PR11; the authorisation's answer
		// and notification have no settle_date; the capture's answer has.
		a, v := p.authorise("100.00", "0000", "0000")
		if v.Get("pay_type") != "F" || v.Get("settle_date") != "" || v.Get("result_pay") != "SUCCESS" {
			t.Fatalf("authorisation answer: %v", v.Fields)
		}
		p.wantState("authorised", a, llgate.PreauthOK)
		n := p.rcv.wait(1)[0]
		if n["pay_type"] != "F" || n["result_pay"] != "SUCCESS" || n["settle_date"] != "" || n["no_order"] != a.Get("no_order") {
			t.Fatalf("authorisation notification: %v", n)
		}
		if q := p.resultPay(a); q.Get("result_pay") != "SUCCESS" || q.Get("pay_type") != "F" || q.Get("settle_date") != "" {
			t.Fatalf("order query of PR07: %v", q.Fields)
		}
		p.refund(a, "1.00", "5008") // not captured
		p.capture(a, "100.01", "7017")
		p.cancel(a, "99.00", "7017")
		c := p.op(protocol.EPPreauthCapture, a, "80.00", map[string]string{"info_order": "capture note"}, "0000")
		if c.Get("money_order") != "80.00" || c.Get("settle_date") == "" || c.Get("info_order") != "capture note" ||
			c.Get("user_id") != "pu" || c.Get("oid_paybill") != a.Get("oid_paybill") {
			t.Fatalf("capture answer: %v", c.Fields)
		}
		p.wantState("captured", a, llgate.CaptureOK)
		again := p.op(protocol.EPPreauthCapture, a, "80.00", map[string]string{"info_order": "capture note"}, "0000")
		if again.Get("settle_date") != c.Get("settle_date") || again.Get("info_order") != "capture note" {
			t.Fatalf("repeated capture: %v", again.Fields)
		}
		p.capture(a, "70.00", "2007")
		p.cancel(a, "100.00", "2007")
		if q := p.resultPay(a); q.Get("result_pay") != "SUCCESS" || q.Get("settle_date") != c.Get("settle_date") {
			t.Fatalf("order query of PR11: %v", q.Fields)
		}
		p.refund(a, "80.01", "5007") // more than captured
		p.refund(a, "30.00", "0000")
		p.refund(a, "50.00", "0000")
		p.refund(a, "0.01", "5007")

		// By oid_paybill, with dt_order; another user's, a wrong dt_order,
		// an M order, an unknown one: 8901.
		q, err := p.c.Do(context.Background(), protocol.EPPreauthQuery, map[string]string{"oid_paybill": a.Get("oid_paybill"), "dt_order": "20261122100000"})
		wantCode(t, "query by oid_paybill", q, err, llgate.CaptureOK)
		if q.Get("money_order") != "100.00" || q.Get("user_id") != "pu" {
			t.Fatalf("preauth query fields: %v", q.Fields)
		}
		b, _ := p.authorise("10.00", "0000", "0000")
		p.op(protocol.EPPreauthCapture, b, "10.00", map[string]string{"user_id": "someone"}, "8901")
		p.op(protocol.EPPreauthCapture, b, "10.00", map[string]string{"dt_order": "20261122100001"}, "8901")
		p.op(protocol.EPPreauthCapture, b, "10.00", map[string]string{"no_order": "unknown"}, "8901")
		p.op(protocol.EPPreauthCapture, b, "10.00", map[string]string{"pay_type": "M"}, "1004")
		m := easyApply(t, p.c, withCredit(easyFields("pu", nextOrder("pm"), "5.00", p.rcv.url(), "M", zhang, creditCard(t, 8500, "0000"))), "0000")
		p.capture(m, "5.00", "8901")
		p.wantState("an M order", m, "8901")

		// Cancel: PR14 (REFUND in the order query); repeated: the same
		// answer; capture afterwards: 2006.
		p.cancel(b, "10.00", "0000")
		p.wantState("cancelled", b, llgate.CancelOK)
		p.cancel(b, "10.00", "0000")
		p.capture(b, "10.00", "2006")
		if q := p.resultPay(b); q.Get("result_pay") != "REFUND" {
			t.Fatalf("order query of PR14: %s", q.Get("result_pay"))
		}
		p.refund(b, "1.00", "5008")

		// Before the authorisation: PR08 (5008 to capture and cancel);
		// the 2008 card: PR09, PR07 when the clock settles it; a decline:
		// PR10.
		f := withCredit(easyFields("pu", nextOrder("pa"), "3.00", p.rcv.url(), "F", zhang, creditCard(t, 8600, "0000")))
		w := easyApply(t, p.c, f, "0000")
		p.wantState("applied", w, llgate.PreauthSMS)
		p.capture(w, "3.00", "5008")
		p.cancel(w, "3.00", "5008")
		if q := p.resultPay(w); q.Get("result_pay") != "WAITING" {
			t.Fatalf("order query of PR08: %s", q.Get("result_pay"))
		}
		slow, _ := p.authorise("20.00", "2008", "2008")
		p.wantState("2008 card", slow, llgate.PreauthProcessing)
		p.capture(slow, "20.00", "5008")
		if q := p.resultPay(slow); q.Get("result_pay") != "PROCESSING" {
			t.Fatalf("order query of PR09: %s", q.Get("result_pay"))
		}
		declined, _ := p.authorise("4.00", "6001", "6001")
		p.wantState("declined", declined, llgate.PreauthFailed)
		p.capture(declined, "4.00", "5008")

		// Outcome digits: capture 2008 → PR12 (2008), then PR11; 8104 →
		// PR13; cancel 2008 → PR15, then PR14; 5005 → PR16.
		fails, _ := p.authorise("6.00", "8104", "0000")
		p.capture(fails, "6.00", "8104")
		p.wantState("capture declined", fails, llgate.CaptureFailed)
		p.capture(fails, "6.00", "8104") // the same request: the same answer
		p.capture(fails, "5.00", "2006")
		p.cancel(fails, "6.00", "2006")
		refused, _ := p.authorise("7.00", "5005", "0000")
		p.cancel(refused, "7.00", "5005")
		p.wantState("cancel refused", refused, llgate.CancelFailed)
		p.capture(refused, "7.00", "2006")

		e.advance(6 * time.Minute)
		e.settle()
		p.wantState("2008 card settled", slow, llgate.PreauthOK)
		p.capture(slow, "15.00", "2008")
		p.wantState("capture processing", slow, llgate.CaptureProcessing)
		p.refund(slow, "1.00", "5008")
		slow2, _ := p.authorise("9.00", "2008", "2008")
		e.advance(6 * time.Minute)
		e.settle()
		p.cancel(slow2, "9.00", "2008")
		p.wantState("cancel processing", slow2, llgate.CancelProcessing)
		e.advance(6 * time.Minute)
		p.wantState("capture done", slow, llgate.CaptureOK)
		p.wantState("cancel done", slow2, llgate.CancelOK)
		p.capture(slow, "15.00", "0000") // the original request, now complete
		p.refund(slow, "15.00", "0000")

		// valid_order closes an unauthorised order, 30 days an authorised
		// one: 2006 (CLOSED in the order query).
		f = withCredit(easyFields("pu", nextOrder("pa"), "3.00", p.rcv.url(), "F", zhang, creditCard(t, 8700, "0000")))
		f["valid_order"] = "1"
		short := easyApply(t, p.c, f, "0000")
		old, _ := p.authorise("5.00", "0000", "0000")
		e.advance(2 * time.Minute)
		p.wantState("valid_order passed", short, llgate.PreauthExpired)
		p.wantState("29 days to go", old, llgate.PreauthOK)
		e.advance(30 * 24 * time.Hour)
		p.wantState("30 days after", old, llgate.PreauthExpired)
		p.capture(old, "5.00", "2006")
		p.cancel(old, "5.00", "2006")
		if q := p.resultPay(old); q.Get("result_pay") != "CLOSED" {
			t.Fatalf("order query of an expired authorisation: %s", q.Get("result_pay"))
		}

		// Captures refunded in full read REFUND once the refunds settle.
		e.settle()
		for _, x := range []*client.Response{a, slow} {
			if q := p.resultPay(x); q.Get("result_pay") != "REFUND" {
				t.Fatalf("order query of %s, its capture refunded in full: %s", x.Get("no_order"), q.Get("result_pay"))
			}
		}

		// Payment notifications: one per authorisation (a, b, slow, fails,
		// refused, slow2, old), none for captures, cancels or expiries.
		var ns []*llgate.Notification
		if err := e.app.Store.View(context.Background(), func(tx llgate.Tx) (err error) {
			ns, err = tx.Notifications(context.Background(), llgate.NotificationFilter{OidPartner: oidA})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		payments := 0
		for _, n := range ns {
			if n.Kind == llgate.NotifyPayment {
				payments++
			}
		}
		if payments != 7 {
			t.Fatalf("%d payment notifications, want 7", payments)
		}

		// JYMX: captures are rows of the captured amount, EASYPAY;
		// authorisations and cancels are not.
		detail, _, err := e.app.Reports.Build(context.Background(), oidA, day)
		if err != nil {
			t.Fatal(err)
		}
		text := string(detail)
		if !strings.Contains(text, a.Get("no_order")+"|"+oidA) || !strings.Contains(text, "|80.00|") ||
			strings.Contains(text, b.Get("no_order")+"|") || strings.Contains(text, "100.00") {
			t.Fatalf("report rows:\n%s", text)
		}
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, a.Get("no_order")+"|") && !strings.Contains(line, "|EASYPAY|F|") {
				t.Fatalf("capture row: %s", line)
			}
		}
	})
}

// TestPreauthRace: concurrent captures and cancels of one authorisation:
// exactly one operation happens; the other captures answer 2007 (another
// amount) or the original answer (the same request), the cancels 2007.
func TestPreauthRace(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		p := &preauthEnv{env: e, t: t, c: e.merchant(oidA, map[string]any{"sms_code": "123456", "live": true}), rcv: newReceiver(t)}
		a, _ := p.authorise("50.00", "0000", "0000")
		var n int
		var mu sync.Mutex
		got := tally(12, func() string {
			mu.Lock()
			n++
			i := n
			mu.Unlock()
			f := map[string]string{"user_id": "pu", "pay_type": "F", "no_order": a.Get("no_order")}
			name := protocol.EPPreauthCapture
			switch {
			case i%4 == 0:
				name, f["money_order"] = protocol.EPPreauthCancel, "50.00"
			case i%2 == 0:
				f["money_order"] = "10.00" // the same request each time
			default:
				f["money_order"] = fmt.Sprintf("%d.00", i)
			}
			r, err := p.c.Do(context.Background(), name, f)
			return name + " " + code(t, r, err)
		})
		done := got[protocol.EPPreauthCapture+" 0000"] + got[protocol.EPPreauthCancel+" 0000"]
		if done == 0 || got[protocol.EPPreauthCancel+" 0000"] > 0 && got[protocol.EPPreauthCapture+" 0000"] > 0 {
			t.Fatalf("answers %v: want one operation", got)
		}
		state := p.state(a)
		if state != llgate.CaptureOK && state != llgate.CancelOK {
			t.Fatalf("state %s after %v", state, got)
		}
		for k := range got {
			switch k {
			case protocol.EPPreauthCapture + " 0000", protocol.EPPreauthCapture + " 2007", protocol.EPPreauthCapture + " 2006",
				protocol.EPPreauthCancel + " 0000", protocol.EPPreauthCancel + " 2007", protocol.EPPreauthCancel + " 2006":
			default:
				t.Fatalf("unexpected answer %q in %v", k, got)
			}
		}

		// A reset clears the authorisation and its capture or cancel.
		e.admin("POST", "/admin/reset", map[string]any{"oid_partner": oidA}, 200, nil)
		p.wantState("after the reset", a, "8901")
	})
}
