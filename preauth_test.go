package llgate

import (
	"testing"
	"time"
)

// TestPreauthStateAt: the state of an F order follows the order until its
// capture or cancel, which decides from then on; processing operations
// complete at DoneAt; an authorisation expires 30 days after PR07, an
// unauthorised order at valid_order. The order query reads each state as
// Decision 18 says.
func TestPreauthStateAt(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	order := func(status, token string) *Order {
		return &Order{Product: PayProductEasypay, PayType: EasypayPreauth, Status: status, Token: token,
			ValidUntil: t0.Add(time.Hour), PaidAt: t0}
	}
	op := func(state string, done time.Duration) *Preauth { return &Preauth{State: state, DoneAt: t0.Add(done)} }
	for _, tc := range []struct {
		name   string
		o      *Order
		pa     *Preauth
		at     time.Duration
		want   string
		result string
	}{
		{"Created", order(OrderWaiting, ""), nil, 0, PreauthCreated, OrderWaiting},
		{"SMS", order(OrderWaiting, "T"), nil, 0, PreauthSMS, OrderWaiting},
		{"ValidOrder", order(OrderWaiting, "T"), nil, time.Hour, PreauthExpired, OrderClosed},
		{"Closed", order(OrderClosed, "T"), nil, 0, PreauthExpired, OrderClosed},
		{"Processing", order(OrderProcessing, "T"), nil, 0, PreauthProcessing, OrderProcessing},
		{"Failed", order(OrderFailure, "T"), nil, 0, PreauthFailed, OrderFailure},
		{"Authorised", order(OrderSuccess, "T"), nil, PreauthLifetime - time.Millisecond, PreauthOK, OrderSuccess},
		{"Expired", order(OrderSuccess, "T"), nil, PreauthLifetime, PreauthExpired, OrderClosed},
		{"Captured", order(OrderSuccess, "T"), op(CaptureOK, 0), PreauthLifetime * 2, CaptureOK, OrderSuccess},
		{"CaptureProcessing", order(OrderSuccess, "T"), op(CaptureProcessing, 5*time.Minute), time.Minute, CaptureProcessing, OrderSuccess},
		{"CaptureCompletes", order(OrderSuccess, "T"), op(CaptureProcessing, 5*time.Minute), 5 * time.Minute, CaptureOK, OrderSuccess},
		{"CaptureFailed", order(OrderSuccess, "T"), op(CaptureFailed, 0), time.Minute, CaptureFailed, OrderSuccess},
		{"Cancelled", order(OrderSuccess, "T"), op(CancelOK, 0), time.Minute, CancelOK, OrderRefund},
		{"CancelProcessing", order(OrderSuccess, "T"), op(CancelProcessing, 5*time.Minute), time.Minute, CancelProcessing, OrderSuccess},
		{"CancelCompletes", order(OrderSuccess, "T"), op(CancelProcessing, 5*time.Minute), 6 * time.Minute, CancelOK, OrderRefund},
		{"CancelFailed", order(OrderSuccess, "T"), op(CancelFailed, 0), time.Minute, CancelFailed, OrderSuccess},
	} {
		got := PreauthStateAt(tc.o, tc.pa, t0.Add(tc.at))
		if got != tc.want || PreauthResultPay(got) != tc.result {
			t.Errorf("%s: state %s (%s), want %s (%s)", tc.name, got, PreauthResultPay(got), tc.want, tc.result)
		}
	}
}

// TestCheckOperable: a capture takes 0.01 up to the authorised amount, a
// cancel exactly the authorised amount (7017); an order not authorised is
// 5008, an expired one 2006.
func TestCheckOperable(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	o := &Order{Product: PayProductEasypay, PayType: EasypayPreauth, Status: OrderSuccess, Amount: 1000, PaidAt: t0,
		ValidUntil: t0.Add(time.Hour)}
	for _, tc := range []struct {
		kind   string
		amount Amount
		at     time.Duration
		want   string
	}{
		{PreauthCapture, 1, 0, ""}, {PreauthCapture, 1000, 0, ""}, {PreauthCapture, 1001, 0, CodeBadAmount},
		{PreauthCapture, 0, 0, CodeBadAmount}, {PreauthCancel, 1000, 0, ""}, {PreauthCancel, 999, 0, CodeBadAmount},
		{PreauthCapture, 1000, PreauthLifetime, CodeClosed}, {PreauthCancel, 1000, PreauthLifetime, CodeClosed},
	} {
		err := checkOperable(o, tc.kind, tc.amount, t0.Add(tc.at))
		if got := ErrorCode(err); err == nil && tc.want != "" || err != nil && got != tc.want {
			t.Errorf("%s %d at +%s: %v, want %q", tc.kind, tc.amount, tc.at, err, tc.want)
		}
	}
	waiting := *o
	waiting.Status = OrderWaiting
	if err := checkOperable(&waiting, PreauthCapture, 1, t0); ErrorCode(err) != CodeNotPaid {
		t.Errorf("capture before the authorisation: %v, want 5008", err)
	}
}

// TestQueryPayType: MPAY's pay_type as sent; Easy Payment's F and D as
// sent, the rest M or N by the card (§4.7).
func TestQueryPayType(t *testing.T) {
	for _, tc := range []struct {
		product, payType, cardType, want string
	}{
		{PayProductMPAY, "2", "2", "2"}, {PayProductMPAY, "P", "3", "P"},
		{PayProductEasypay, "M", "2", "M"}, {PayProductEasypay, "M", "3", "N"}, {PayProductEasypay, "P", "3", "N"},
		{PayProductEasypay, "2", "2", "M"}, {PayProductEasypay, "3", "3", "N"}, {PayProductEasypay, "F", "3", "F"},
		{PayProductEasypay, "D", "2", "D"},
	} {
		o := &Order{Product: tc.product, PayType: tc.payType, CardType: tc.cardType}
		if got := QueryPayType(o); got != tc.want {
			t.Errorf("%s %s card %s: %s, want %s", tc.product, tc.payType, tc.cardType, got, tc.want)
		}
	}
}
