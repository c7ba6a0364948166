package faulttest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

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

// query makes one call and returns its code; a lost answer is an error here
// (the server must be up).
func (vf *Verifier) query(name string, fn func() (*client.Response, error)) (*client.Response, string, error) {
	res, err := fn()
	code := Classify(name, res, err, vf.V)
	if code == "" {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return res, code, nil
}

// Reverify queries every order, refund and user of the ledger through c and
// checks each against the answers the clients received; final adds the
// checks that need settled states (REFUND means refunded in full; each
// order found by oid_paybill too; one agreement per card). It returns how
// many acknowledged operations it re-verified. The load must be paused.
func (vf *Verifier) Reverify(ctx context.Context, c *client.Client, final bool) (int, error) {
	users, orders, refunds := vf.L.Snapshot()
	return vf.ReverifySome(ctx, c, users, orders, refunds, final)
}

// ReverifySome is Reverify of some users, orders and refunds only.
func (vf *Verifier) ReverifySome(ctx context.Context, c *client.Client, users []*User, orders []*Order, refunds []*Refund, final bool) (int, error) {
	ch := &checker{l: vf.L, v: vf.V, final: final}
	var (
		mu    sync.Mutex
		total int
	)
	add := func(n int) { mu.Lock(); total += n; mu.Unlock() }
	lock := func(f func()) { vf.L.Mu.Lock(); f(); vf.L.Mu.Unlock() }

	var tasks []func() error
	for _, r := range refunds {
		tasks = append(tasks, func() error {
			res, code, err := vf.query("refund_query", func() (*client.Response, error) {
				return c.RefundQuery(ctx, map[string]string{"no_refund": r.NoRefund})
			})
			if err == nil {
				lock(func() { add(ch.refund(r, res, code)) })
			}
			return err
		})
	}
	for _, u := range users {
		tasks = append(tasks, func() error { return vf.user(ctx, c, ch, u, final, add) })
	}
	if err := vf.run(ctx, tasks); err != nil {
		return total, err
	}
	tasks = tasks[:0]
	for _, o := range orders {
		tasks = append(tasks, func() error {
			res, code, err := vf.query("order_query", func() (*client.Response, error) {
				return c.OrderQuery(ctx, map[string]string{"no_order": o.NoOrder, "dt_order": o.DtOrder})
			})
			if err != nil {
				return err
			}
			lock(func() {
				add(ch.order(o, res, code))
				ch.refundSums(o)
			})
			var exists bool
			var paybill, state string
			lock(func() { exists, paybill, state = o.Exists == 1, o.OidPaybill, o.State })
			if !final || !exists {
				return nil
			}
			// Exactly one order and one state, whichever number finds it.
			res, code, err = vf.query("order_query", func() (*client.Response, error) {
				return c.OrderQuery(ctx, map[string]string{"oid_paybill": paybill})
			})
			if err != nil {
				return err
			}
			if code != "0000" || res.Get("no_order") != o.NoOrder || res.Get("result_pay") != state {
				vf.V.Add("order %s: found by no_order as %s %s, by oid_paybill: %s %s %s", o.NoOrder, paybill, state, code, res.Get("no_order"), res.Get("result_pay"))
			}
			return nil
		})
	}
	err := vf.run(ctx, tasks)
	return total, err
}

// user reads a user's whole bind list and checks it.
func (vf *Verifier) user(ctx context.Context, c *client.Client, ch *checker, u *User, final bool, add func(int)) error {
	active, err := vf.list(ctx, c, u, "")
	if err != nil {
		return err
	}
	// Attribute agreements the ledger does not know to cards whose verify
	// answer was lost.
	vf.L.Mu.Lock()
	known := map[string]bool{}
	var open []*Card
	for _, cd := range u.Cards {
		if cd.NoAgree != "" {
			known[cd.NoAgree] = true
		} else {
			open = append(open, cd)
		}
	}
	extra := false
	for na := range active {
		extra = extra || !known[na]
	}
	vf.L.Mu.Unlock()
	if extra {
		for _, cd := range open {
			got, err := vf.list(ctx, c, u, cd.No)
			if err != nil {
				return err
			}
			vf.L.Mu.Lock()
			for na := range got {
				if cd.NoAgree == "" && active[na] && !known[na] {
					cd.NoAgree, cd.BindLearned, cd.BindUnknown = na, true, false
					known[na] = true
				}
			}
			vf.L.Mu.Unlock()
		}
	}
	vf.L.Mu.Lock()
	add(ch.agreements(u, active))
	var cards []*Card
	for _, cd := range u.Cards {
		if cd.NoAgree != "" && !cd.Unbound {
			cards = append(cards, cd)
		}
	}
	vf.L.Mu.Unlock()
	if !final {
		return nil
	}
	for _, cd := range cards {
		got, err := vf.list(ctx, c, u, cd.No)
		if err != nil {
			return err
		}
		if len(got) > 1 {
			vf.V.Add("card %s of %s has %d active agreements: %v", cd.No, u.ID, len(got), got)
		}
	}
	return nil
}

// list reads every page of a user's active agreements (of one card when
// cardNo is set).
func (vf *Verifier) list(ctx context.Context, c *client.Client, u *User, cardNo string) (map[string]bool, error) {
	out := map[string]bool{}
	for page := 0; ; page++ {
		f := map[string]string{"user_id": u.ID, "offset": strconv.Itoa(page)}
		if cardNo != "" {
			f["card_no"] = cardNo
		}
		res, code, err := vf.query("bind_list", func() (*client.Response, error) { return c.BindList(ctx, f) })
		if err != nil {
			return nil, err
		}
		if code == "8901" {
			return out, nil
		}
		if code != "0000" {
			vf.V.Add("bind list of %s answered %s", u.ID, code)
			return out, nil
		}
		list, lerr := res.AgreementList()
		count, cerr := strconv.Atoi(res.Get("count"))
		if lerr != nil || cerr != nil {
			vf.V.Add("bind list of %s: agreement_list %v, count %q", u.ID, lerr, res.Get("count"))
			return out, nil
		}
		for _, a := range list {
			if out[a["no_agree"]] {
				vf.V.Add("bind list of %s lists agreement %s twice", u.ID, a["no_agree"])
			}
			out[a["no_agree"]] = true
		}
		if len(list) < BindListPageSize || len(out) >= count || page > 100 {
			if len(out) != count {
				vf.V.Add("bind list of %s: count %d, %d agreements listed", u.ID, count, len(out))
			}
			return out, nil
		}
	}
}

// run runs tasks on Parallel goroutines and returns the first error.
func (vf *Verifier) run(ctx context.Context, tasks []func() error) error {
	p := vf.Parallel
	if p <= 0 {
		p = 8
	}
	ch := make(chan func() error)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		first  error
		failed atomic.Bool
	)
	for range p {
		wg.Go(func() {
			for t := range ch {
				if err := t(); err != nil && !failed.Swap(true) {
					mu.Lock()
					first = err
					mu.Unlock()
				}
			}
		})
	}
	for _, t := range tasks {
		if ctx.Err() != nil || failed.Load() {
			break
		}
		ch <- t
	}
	close(ch)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
