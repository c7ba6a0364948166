package faulttest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/llgate/llgate/client"
)

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
	n, err := vf.ReverifySome(ctx, c, users, orders, refunds, final)
	if err != nil {
		return n, err
	}
	m, err := vf.ReverifyPreauths(ctx, c, vf.L.PreauthSnapshot(), final)
	if err != nil {
		return n + m, err
	}
	k, err := vf.ReverifyCheckouts(ctx, c, vf.L.CheckoutSnapshot(), final)
	return n + m + k, err
}

// ReverifyCheckouts is Reverify of some checkout payments only.
func (vf *Verifier) ReverifyCheckouts(ctx context.Context, c *client.Client, cos []*Checkout, final bool) (int, error) {
	ch := &checker{l: vf.L, v: vf.V, final: final}
	var (
		mu    sync.Mutex
		total int
	)
	err := vf.reverifyCheckouts(ctx, c, ch, cos, func(n int) { mu.Lock(); total += n; mu.Unlock() })
	return total, err
}

// ReverifyPreauths is Reverify of some pre-authorisations only.
func (vf *Verifier) ReverifyPreauths(ctx context.Context, c *client.Client, ps []*Preauth, final bool) (int, error) {
	ch := &checker{l: vf.L, v: vf.V, final: final}
	var (
		mu    sync.Mutex
		total int
	)
	err := vf.reverifyPreauths(ctx, c, ch, ps, func(n int) { mu.Lock(); total += n; mu.Unlock() })
	return total, err
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
