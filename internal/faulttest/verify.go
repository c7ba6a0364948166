package faulttest

import (
	"fmt"
	"strconv"

	"github.com/llgate/llgate/client"
)

var orderStates = map[string]bool{"WAITING": true, "PROCESSING": true, "SUCCESS": true, "FAILURE": true, "CLOSED": true, "REFUND": true}

// checker compares answers with the ledger. Its methods run under the
// ledger's lock.
type checker struct {
	l     *Ledger
	v     *Violations
	live  bool // during the load: only what cannot race with other calls
	final bool // after the load and the clock: states have settled
}

// order checks an order query answer (by no_order) and returns how many
// acknowledged operations it re-verified.
func (ch *checker) order(o *Order, res *client.Response, code string) int {
	n := 0
	if o.ApplyAcked {
		n++
	}
	if o.Paid {
		n++
	}
	switch code {
	case "8901":
		if o.ApplyAcked {
			ch.v.Add("order %s (oid_paybill %s) was acknowledged by pay apply and is gone: order query answers 8901", o.NoOrder, o.OidPaybill)
		}
		if !ch.live {
			o.Exists, o.State = -1, ""
		}
		return n
	case "0000":
	default:
		ch.v.Add("order query of %s answered %s", o.NoOrder, code)
		return n
	}
	st := res.Get("result_pay")
	if !ch.live {
		o.Exists, o.State = 1, st
	}
	if o.OidPaybill == "" {
		o.OidPaybill = res.Get("oid_paybill") // its apply's answer was lost
	}
	what := fmt.Sprintf("order %s (oid_paybill %s, card outcome %s)", o.NoOrder, o.OidPaybill, o.Card.Outcome)
	if res.Get("oid_paybill") != o.OidPaybill {
		ch.v.Add("%s: order query answers oid_paybill %s", what, res.Get("oid_paybill"))
	}
	if !orderStates[st] {
		ch.v.Add("%s: result_pay %q is not a state", what, st)
	}
	if got := ParseFen(res.Get("money_order")); got != o.Amount {
		ch.v.Add("%s of %s: order query answers money_order %s", what, o.Money, res.Get("money_order"))
	}
	paid := st == "SUCCESS" || st == "REFUND"
	switch {
	case o.Paid && !paid:
		ch.v.Add("%s: pay verify answered 0000, order query answers %s", what, st)
	case o.Failed != "" && st != "FAILURE":
		ch.v.Add("%s: pay verify answered %s, order query answers %s", what, o.Failed, st)
	}
	// PROCESSING is also what a verify leaves when the server dies between
	// its two transactions (the clock finishes it): any card may read it
	// until the clock moved (Drain reports what never settles).
	switch o.Card.Outcome {
	case "6001":
		if paid {
			ch.v.Add("%s: a declining card's order reads %s", what, st)
		}
	default:
		if st == "FAILURE" {
			ch.v.Add("%s: a card that pays reads %s", what, st)
		}
	}
	return n
}

// refundSums checks an order's queried refunds against its amount: the
// refunds that are pending or succeeded never exceed it; once settled,
// REFUND means refunded in full.
func (ch *checker) refundSums(o *Order) {
	var held, settled int64
	for _, r := range o.Refunds {
		if r.Exists != 1 {
			continue
		}
		switch r.State {
		case "0":
			held += r.Amount
		case "2":
			held += r.Amount
			settled += r.Amount
		}
	}
	if held > o.Amount {
		ch.v.Add("order %s (oid_paybill %s) of %d fen: refunds pending or done total %d fen", o.NoOrder, o.OidPaybill, o.Amount, held)
	}
	if held > 0 && o.Exists == 1 && o.State != "SUCCESS" && o.State != "REFUND" {
		ch.v.Add("order %s (oid_paybill %s) reads %s but has refunds of %d fen", o.NoOrder, o.OidPaybill, o.State, held)
	}
	if ch.final && o.Exists == 1 {
		if o.State == "REFUND" && settled != o.Amount {
			ch.v.Add("order %s (oid_paybill %s) of %d fen reads REFUND with %d fen refunded", o.NoOrder, o.OidPaybill, o.Amount, settled)
		}
		if o.State == "SUCCESS" && settled >= o.Amount {
			ch.v.Add("order %s (oid_paybill %s) of %d fen reads SUCCESS with %d fen refunded", o.NoOrder, o.OidPaybill, o.Amount, settled)
		}
	}
}

// refund checks a refund query answer.
func (ch *checker) refund(r *Refund, res *client.Response, code string) int {
	n := 0
	if r.Acked {
		n++
	}
	switch code {
	case "8901":
		if r.Acked {
			ch.v.Add("refund %s of order %s (oid_refundno %s, %s) was acknowledged and is gone: refund query answers 8901", r.NoRefund, r.Order.NoOrder, r.OidRefundno, r.Money)
		}
		if !ch.live {
			r.Exists, r.State = -1, ""
		}
		return n
	case "0000":
	default:
		ch.v.Add("refund query of %s answered %s", r.NoRefund, code)
		return n
	}
	st := res.Get("sta_refund")
	if !ch.live {
		r.Exists, r.State = 1, st
	}
	if r.OidRefundno == "" {
		r.OidRefundno = res.Get("oid_refundno")
	}
	what := fmt.Sprintf("refund %s of order %s (oid_refundno %s, %s, card outcome %s)", r.NoRefund, r.Order.NoOrder, r.OidRefundno, r.Money, r.Order.Card.Outcome)
	if r.Rejected != "" && !r.Unknown {
		ch.v.Add("%s: its apply answered %s, yet it exists (state %s)", what, r.Rejected, st)
	}
	if res.Get("oid_refundno") != r.OidRefundno {
		ch.v.Add("%s: refund query answers oid_refundno %s", what, res.Get("oid_refundno"))
	}
	if got := ParseFen(res.Get("money_refund")); got != r.Amount {
		ch.v.Add("%s: refund query answers money_refund %s", what, res.Get("money_refund"))
	}
	switch {
	case st != "0" && st != "2" && st != "3":
		ch.v.Add("%s: sta_refund %q is not a state", what, st)
	case st == "2" && r.Order.Card.Outcome == "9920":
		ch.v.Add("%s: succeeded on a card whose refunds fail", what)
	case st == "3" && r.Order.Card.Outcome != "9920":
		ch.v.Add("%s: failed on a card whose refunds succeed", what)
	}
	return n
}

// agreements checks a user's full list of active agreements (no_agree set)
// against the ledger, after extras were attributed to cards whose verify
// answer was lost.
func (ch *checker) agreements(u *User, active map[string]bool) int {
	n := 0
	for _, c := range u.Cards {
		if c.BindAcked {
			n++
		}
		if c.UnbindAcked {
			n++
		}
		if c.NoAgree == "" {
			continue
		}
		switch {
		case c.Active() && !active[c.NoAgree]:
			ch.v.Add("agreement %s (card %s) of %s was acknowledged and is not in the bind list", c.NoAgree, c.No, u.ID)
		case c.Unbound && active[c.NoAgree]:
			ch.v.Add("agreement %s (card %s) of %s was unbound (acknowledged) and is in the bind list", c.NoAgree, c.No, u.ID)
		}
		delete(active, c.NoAgree)
	}
	for na := range active {
		ch.v.Add("bind list of %s holds agreement %s that no card of the ledger owns (a duplicate agreement?)", u.ID, na)
	}
	return n
}

// listPage checks page 0 of a user's bind list during the load.
func (ch *checker) listPage(u *User, res *client.Response, code string) {
	if code != "0000" && code != "8901" {
		ch.v.Add("bind list of %s answered %s", u.ID, code)
		return
	}
	active := map[string]bool{}
	if code == "0000" {
		count, _ := strconv.Atoi(res.Get("count"))
		if count > BindListPageSize {
			return
		}
		list, err := res.AgreementList()
		if err != nil || len(list) != count {
			ch.v.Add("bind list of %s: count %s, %d agreements (%v)", u.ID, res.Get("count"), len(list), err)
			return
		}
		for _, a := range list {
			active[a["no_agree"]] = true
		}
	}
	for _, c := range u.Cards {
		if c.Active() && !active[c.NoAgree] {
			ch.v.Add("agreement %s (card %s) of %s was acknowledged and is not in the bind list", c.NoAgree, c.No, u.ID)
		}
	}
}

// BindListPageSize is the bind list's page size.
const BindListPageSize = 10

// Verifier re-reads the whole ledger from a server.
type Verifier struct {
	L        *Ledger
	V        *Violations
	Parallel int // concurrent queries (default 8)
}
