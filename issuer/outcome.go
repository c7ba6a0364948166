package issuer

// Test-card outcomes (CONTRACT.md §4): the four digits before the check digit
// choose what a step answers. Anything not listed succeeds. Callers apply
// them in the sandbox only.

// Outcome returns the four digits before the check digit, "" if cardNo is
// shorter than 5.
func Outcome(cardNo string) string {
	if len(cardNo) < 5 {
		return ""
	}
	return cardNo[len(cardNo)-5 : len(cardNo)-1]
}

// OutcomeSMSFails is the bind outcome under which the SMS provider fails.
const OutcomeSMSFails = "9704"

// OutcomeProcessing is the pay-verify outcome that answers 2008 and leaves
// the order PROCESSING until the clock passes verify + 5 minutes.
const OutcomeProcessing = "2008"

// OutcomeRefundFails is the refund outcome: the apply answers 0000 (state 0)
// and the refund ends in state 3 (failed) instead of 2.
const OutcomeRefundFails = "9920"

var (
	bindOutcomes = codeSet("1101", "1102", "1105", "1107", "1108", "1109", "1110", "1112", "1113", "1114", "1115",
		"1200", "1805", "9000", "9912", "9970", OutcomeSMSFails)
	payOutcomes    = codeSet("6001", "1005", "1111", "9094", "9990", "9991", OutcomeProcessing)
	refundOutcomes = codeSet(OutcomeRefundFails)
)

// BindOutcome returns the code a bind apply (or a pay apply with card
// elements) must answer for cardNo, "" to succeed. OutcomeSMSFails ("9704")
// is not answered as such: it means the SMS provider fails.
func BindOutcome(cardNo string) string { return bindOutcomes[Outcome(cardNo)] }

// PayOutcome returns the code a pay verify must answer for cardNo, "" to
// succeed. OutcomeProcessing ("2008") leaves the order PROCESSING.
func PayOutcome(cardNo string) string { return payOutcomes[Outcome(cardNo)] }

// RefundOutcome returns OutcomeRefundFails if a refund of a payment with
// cardNo must fail after its apply, "" to succeed.
func RefundOutcome(cardNo string) string { return refundOutcomes[Outcome(cardNo)] }

func codeSet(codes ...string) map[string]string {
	m := make(map[string]string, len(codes))
	for _, c := range codes {
		m[c] = c
	}
	return m
}

// Pre-authorisation outcomes (CONTRACT-easypay-payouts §4.13): the
// authorised card's digits choose what a capture or a cancel answers.
const (
	OutcomeCaptureFails = "8104" // capture answers 8104, PR13
	OutcomeCancelFails  = "5005" // cancel answers 5005, PR16
)
