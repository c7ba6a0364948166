package faulttest

import (
	"context"
	"fmt"
	"time"

	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/issuer"
	"github.com/llgate/llgate/protocol"
)

// Preauth is one Easy Payment pre-authorisation (pay_type F) and its
// capture, as the clients saw them.
type Preauth struct {
	NoOrder, DtOrder, Money string
	Amount                  int64 // fen, authorised
	UserID                  string
	CardNo, Outcome         string // a credit card; its digits choose the capture's outcome
	OidPaybill              string

	ApplyAcked     bool // easypay apply answered 0000
	ApplyUnknown   bool
	Authorised     bool // easypay verify answered 0000 (or 2007 after a lost answer)
	AuthProcessing bool // easypay verify answered 2008
	VerifyUnknown  bool

	CaptureMoney      string
	CaptureAmount     int64
	CaptureAcked      bool // capture answered 0000
	CaptureProcessing bool // capture answered 2008
	CaptureFailed     bool // capture answered 8104
	CaptureUnknown    bool // a capture's answer was lost

	// From the last status query.
	Exists int
	State  string
}

// PreauthSnapshot returns the pre-authorisations as they are now.
func (l *Ledger) PreauthSnapshot() []*Preauth {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	return append([]*Preauth(nil), l.Preauths...)
}

// preauthOutcome picks the credit card's digits: mostly success, some
// that keep the authorisation and the capture processing, some whose
// capture is declined.
func (w *Worker) preauthOutcome() string {
	switch r := w.rng.IntN(100); {
	case r < 10:
		return issuer.OutcomeProcessing
	case r < 20:
		return issuer.OutcomeCaptureFails
	default:
		return "0000"
	}
}

// preauth authorises with a new credit card through the Easy Payment
// direct API, then mostly captures part of it. The pre-authorisations'
// user ids are not the ledger's users (whose agreements the bind list
// checks): their payments bind the credit cards.
func (w *Worker) preauth(u *User) error {
	outcome := w.preauthOutcome()
	no, err := issuer.TestCard("622148", 16, w.ld.cardSeq.Add(1), outcome)
	if err != nil {
		return err
	}
	fen := int64(100 + w.rng.IntN(50000))
	p := &Preauth{
		NoOrder: w.next("f"), DtOrder: time.Now().In(china).Format("20060102150405"), Money: FormatFen(fen, w.rng.IntN(3)),
		Amount: fen, UserID: u.ID + "-f", CardNo: no, Outcome: outcome,
	}
	w.ld.L.Mu.Lock()
	w.ld.L.Preauths = append(w.ld.L.Preauths, p)
	w.ld.L.Mu.Unlock()
	per := u.Person
	f := map[string]string{
		"user_id": p.UserID, "busi_partner": "101001", "no_order": p.NoOrder, "dt_order": p.DtOrder,
		"name_goods": "预授权", "money_order": p.Money, "notify_url": w.ld.NotifyURL, "pay_type": "F", "valid_order": "10080",
		"risk_item": `{"frms_ware_category":"4007","user_info_mercht_userno":"` + p.UserID + `","user_info_dt_register":"20250101120000","goods_name":"预授权"}`,
		"id_type":   per.IDType, "id_no": per.IDNo, "acct_name": per.Name, "card_no": no, "bind_mob": per.Mobile,
		"vali_date": "3012", "cvv2": "123",
	}
	res, code, err := w.call("easypay_apply", 4, func(c *client.Client) (*client.Response, error) {
		return c.Do(context.Background(), protocol.EPEasypayApply, f)
	}, func(res *client.Response, code string) {
		switch code {
		case "0000":
			if p.OidPaybill != "" && p.OidPaybill != res.Get("oid_paybill") {
				w.ld.V.Add("pre-authorisation %s: identical apply answered oid_paybill %s, then %s", p.NoOrder, p.OidPaybill, res.Get("oid_paybill"))
			}
			if !p.ApplyAcked {
				w.ld.L.Acked.Add("easypay_apply", 1)
			}
			p.OidPaybill, p.ApplyAcked, p.ApplyUnknown = res.Get("oid_paybill"), true, false
		case "":
			p.ApplyUnknown = true
		}
	})
	if err != nil || code != "0000" {
		return err
	}
	token := res.Get("token")
	_, _, err = w.call("easypay_verify", 3, func(c *client.Client) (*client.Response, error) {
		return c.Do(context.Background(), protocol.EPEasypayVerify, map[string]string{
			"token": token, "verify_code": SMSCode, "no_order": p.NoOrder, "money_order": p.Money,
		})
	}, func(res *client.Response, code string) {
		switch {
		case code == "0000" || code == "2007" && p.VerifyUnknown:
			if !p.Authorised {
				w.ld.L.Acked.Add("authorisation", 1)
			}
			p.Authorised, p.VerifyUnknown = true, false
		case code == "2008":
			p.AuthProcessing, p.VerifyUnknown = true, false
		case code == "":
			p.VerifyUnknown = true
		}
	})
	if err != nil {
		return err
	}
	w.ld.L.Mu.Lock()
	authorised := p.Authorised
	w.ld.L.Mu.Unlock()
	if !authorised || w.rng.IntN(4) == 0 {
		return nil // left authorised (or settling by the clock)
	}
	capFen := 1 + w.rng.Int64N(p.Amount)
	w.ld.L.Mu.Lock()
	p.CaptureMoney, p.CaptureAmount = FormatFen(capFen, w.rng.IntN(3)), capFen
	w.ld.L.Mu.Unlock()
	cf := map[string]string{"user_id": p.UserID, "pay_type": "F", "no_order": p.NoOrder, "dt_order": p.DtOrder, "money_order": p.CaptureMoney}
	_, _, err = w.call("preauth_capture", 3, func(c *client.Client) (*client.Response, error) {
		return c.Do(context.Background(), protocol.EPPreauthCapture, cf)
	}, func(res *client.Response, code string) {
		switch code {
		case "0000":
			if !p.CaptureAcked {
				w.ld.L.Acked.Add("capture", 1)
			}
			p.CaptureAcked, p.CaptureUnknown = true, false
		case "2008":
			p.CaptureProcessing, p.CaptureUnknown = true, false
		case "8104":
			p.CaptureFailed, p.CaptureUnknown = true, false
		case "":
			p.CaptureUnknown = true
		default:
			w.ld.V.Add("capture of pre-authorisation %s (%s of %s, card outcome %s) answered %s", p.NoOrder, p.CaptureMoney, p.Money, p.Outcome, code)
		}
	})
	return err
}

// preauthStates are the answers of /preauthquery.htm.
var preauthStates = map[string]bool{"2003": true, "2006": true, "PR07": true, "PR08": true, "PR09": true, "PR10": true,
	"PR11": true, "PR12": true, "PR13": true, "PR14": true, "PR15": true, "PR16": true}

// authorisedStates are the states of an authorisation that happened.
var authorisedStates = map[string]bool{"PR07": true, "PR11": true, "PR12": true, "PR13": true, "PR14": true, "PR15": true, "PR16": true}

// preauth checks a pre-authorisation status answer against the ledger and
// returns how many acknowledged operations it re-verified.
func (ch *checker) preauth(p *Preauth, res *client.Response, code string) int {
	n := 0
	for _, acked := range []bool{p.ApplyAcked, p.Authorised, p.CaptureAcked} {
		if acked {
			n++
		}
	}
	what := fmt.Sprintf("pre-authorisation %s (oid_paybill %s, %s, card outcome %s)", p.NoOrder, p.OidPaybill, p.Money, p.Outcome)
	if code == "8901" {
		if p.ApplyAcked {
			ch.v.Add("%s was acknowledged by the apply and is gone: preauthquery answers 8901", what)
		}
		if !ch.live {
			p.Exists, p.State = -1, ""
		}
		return n
	}
	if !preauthStates[code] {
		ch.v.Add("preauthquery of %s answered %s", p.NoOrder, code)
		return n
	}
	if !ch.live {
		p.Exists, p.State = 1, code
	}
	if p.OidPaybill == "" {
		p.OidPaybill = res.Get("oid_paybill")
	}
	if res.Get("oid_paybill") != p.OidPaybill || ParseFen(res.Get("money_order")) != p.Amount {
		ch.v.Add("%s: preauthquery answers oid_paybill %s money_order %s", what, res.Get("oid_paybill"), res.Get("money_order"))
	}
	captured := code == "PR11" || code == "PR12"
	switch {
	case p.Authorised && !authorisedStates[code]:
		ch.v.Add("%s: the verify answered 0000, the state is %s", what, code)
	case p.CaptureAcked && code != "PR11":
		ch.v.Add("%s: the capture of %s answered 0000, the state is %s", what, p.CaptureMoney, code)
	case p.AuthProcessing && ch.final && code != "PR07":
		ch.v.Add("%s: the verify answered 2008 and never completed: %s", what, code)
	case p.CaptureProcessing && !captured:
		ch.v.Add("%s: the capture of %s answered 2008, the state is %s", what, p.CaptureMoney, code)
	case p.CaptureProcessing && ch.final && code != "PR11":
		ch.v.Add("%s: the capture answered 2008 and never completed: %s", what, code)
	case p.CaptureFailed && code != "PR13":
		ch.v.Add("%s: the capture answered 8104, the state is %s", what, code)
	case p.CaptureMoney == "" && code != "PR07" && p.Authorised:
		ch.v.Add("%s: never captured, the state is %s", what, code)
	case p.Outcome == issuer.OutcomeCaptureFails && captured, p.Outcome == "0000" && (code == "PR12" || code == "PR13"):
		ch.v.Add("%s: a card with outcome %s reads %s", what, p.Outcome, code)
	case code == "PR14" || code == "PR15" || code == "PR16":
		ch.v.Add("%s: nothing cancelled it, the state is %s", what, code)
	}
	return n
}

// reverifyPreauths queries every pre-authorisation the apply may have made.
func (vf *Verifier) reverifyPreauths(ctx context.Context, c *client.Client, ch *checker, ps []*Preauth, add func(int)) error {
	var tasks []func() error
	for _, p := range ps {
		tasks = append(tasks, func() error {
			res, code, err := vf.query("preauth_query", func() (*client.Response, error) {
				// A state answers as ret_code: Classify reads it.
				return c.Do(ctx, protocol.EPPreauthQuery, map[string]string{"no_order": p.NoOrder, "dt_order": p.DtOrder, "pay_type": "F"})
			})
			if err == nil {
				vf.L.Mu.Lock()
				add(ch.preauth(p, res, code))
				vf.L.Mu.Unlock()
			}
			return err
		})
	}
	return vf.run(ctx, tasks)
}

// unsettledPreauths are those still moving by the clock: an authorisation
// or a capture the issuer answered "processing".
func unsettledPreauths(l *Ledger, ps []*Preauth) []*Preauth {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	var out []*Preauth
	for _, p := range ps {
		if p.State == "PR09" || p.State == "PR12" {
			out = append(out, p)
		}
	}
	return out
}
