package golive

import (
	"fmt"
	"strings"
)

// judge gives each step its verdict and explanation, in words a merchant's
// developer acts on, and the report its overall verdict and summary.
func judge(rep *Report) {
	aAcked := rep.Steps[0].Acked
	var failed, why []string
	for i := range rep.Steps {
		s := &rep.Steps[i]
		s.Pass = s.Sent && s.Acked == s.WantAck
		s.Explanation = explain(s, rep, aAcked)
		if !s.Pass {
			failed = append(failed, s.ID)
			why = append(why, short[s.Name])
		}
	}
	rep.Pass = len(failed) == 0
	switch {
	case rep.Pass:
		rep.Summary = "PASS: your receiver acknowledged the correctly signed notification and its repeat, and refused both forgeries"
	case rep.Refused != "":
		rep.Summary = "FAIL: nothing was sent: " + rep.Refused
	default:
		rep.Summary = fmt.Sprintf("FAIL (%s): %s", strings.Join(failed, ", "), strings.Join(why, "; "))
	}
}

// short says what a failed step means, for the summary.
var short = map[string]string{
	StepSigned:         "it did not acknowledge a correctly signed notification",
	StepWrongSignature: "it acknowledged a notification whose signature does not verify",
	StepChangedAmount:  "it acknowledged a notification whose amount was changed after signing",
	StepRepeat:         "it did not acknowledge a repeated notification",
}

// answered says what the receiver did with a notification it did not
// acknowledge.
func answered(s *Step) string {
	switch {
	case s.HTTPStatus == 0:
		return "no answer: " + s.Answer
	case s.HTTPStatus != 200:
		return fmt.Sprintf("HTTP %d", s.HTTPStatus)
	default:
		return `HTTP 200 without ret_code "0000"`
	}
}

func explain(s *Step, rep *Report, aAcked bool) string {
	if !s.Sent {
		if rep.Refused != "" && s.ID == "a" {
			return "not sent: " + rep.Refused + "; give the public address LianLian will call"
		}
		return "not sent"
	}
	switch s.Name {
	case StepSigned:
		if s.Acked {
			return "acknowledged: your receiver took a correctly signed notification"
		}
		return explainUnacked(s, rep)
	case StepWrongSignature, StepChangedAmount:
		if s.Acked {
			if s.Name == StepWrongSignature {
				return "your receiver acknowledged a notification whose signature does not verify: it must check sign " +
					"with LianLian's (llgate's) public key before acting on a notification, and refuse it otherwise"
			}
			return "your receiver acknowledged a notification whose money_order was changed after signing: it must verify " +
				"sign over every field exactly as received before trusting any of them, and compare money_order with its own order"
		}
		out := "not acknowledged (" + answered(s) + "), as a forged notification must not be"
		if !aAcked {
			out += "; but your receiver acknowledged nothing, so this proves little until a passes"
		}
		return out
	default: // StepRepeat
		switch {
		case s.Acked:
			return "acknowledged again: a retry is answered like the first delivery"
		case !aAcked:
			return "not acknowledged (" + answered(s) + "), like a"
		}
		return "your receiver did not acknowledge a repeat of a notification it had acknowledged (" + answered(s) +
			"): LianLian sends a notification again until it is acknowledged, and may send it again after; answer " +
			`ret_code "0000" again, without acting on it twice`
	}
}

// explainUnacked says why the correctly signed notification was not
// acknowledged and what to look at.
func explainUnacked(s *Step, rep *Report) string {
	switch {
	case s.HTTPStatus == 0:
		return "no answer (" + s.Answer + "): llgate, like LianLian, would send it again every 2 minutes and then give up; " +
			"the receiver must be reachable at this URL and answer within 5 seconds"
	case s.HTTPStatus != 200:
		return fmt.Sprintf(`your receiver answered HTTP %d: a correctly signed notification must get HTTP 200 and `+
			`{"ret_code":"0000","ret_msg":"交易成功"} once recorded, or it is sent again and again`, s.HTTPStatus)
	}
	return `your receiver answered HTTP 200 but not ret_code "0000", so the notification counts as not received and is ` +
		"sent again. Check that it verifies with llgate's platform public key (in place of LianLian's) and, if it refuses " +
		"orders it does not know (" + rep.NoOrder + "), run the check with no_order and money_order of an order it has"
}
