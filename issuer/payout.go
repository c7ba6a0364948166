package issuer

import (
	"time"

	llgate "github.com/llgate/llgate"
)

// Payout outcomes (CONTRACT-easypay-payouts §4.13): the four digits before
// the check digit of a card, or before the last digit of a business
// account, choose how a payout completes. Callers apply them in the
// sandbox only (Outcomes).
const (
	OutcomePayoutName   = "4003" // the apply answers 4003 (confirm needed)
	OutcomePayoutReturn = "2262" // SUCCESS after 1 minute, CANCEL 24 hours later
)

var payoutFailures = codeSet("1101", "1105", "1110", "1113", "9094", "9990")

// PayoutChannel is the simulated payout channel: every payout succeeds a
// minute after its acceptance, except, with Outcomes on, the test digits.
type PayoutChannel struct {
	Outcomes bool
}

var _ llgate.PayoutChannel = PayoutChannel{}

// Plan says how a payout accepted at now completes.
func (c PayoutChannel) Plan(cardNo string, now time.Time) llgate.PayoutPlan {
	p := llgate.PayoutPlan{Result: llgate.PayoutSuccess, DoneAt: now.Add(time.Minute)}
	if !c.Outcomes {
		return p
	}
	switch d := Outcome(cardNo); {
	case d == OutcomeProcessing:
		p.DoneAt = now.Add(30 * time.Minute)
	case d == OutcomePayoutReturn:
		p.CancelAt = p.DoneAt.Add(24 * time.Hour)
	case payoutFailures[d] != "":
		p.Result, p.Reason = llgate.PayoutFailure, d
	}
	return p
}

// NameMismatch: the 4003 digits.
func (c PayoutChannel) NameMismatch(cardNo string) bool {
	return c.Outcomes && Outcome(cardNo) == OutcomePayoutName
}
