package faulttest

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/llgate/llgate/client"
)

// expected returns what must be notified, by the states the last Reverify
// read: payments that read SUCCESS or REFUND, refunds in state 2; and
// pre-authorisations that were authorised (expectedPreauths) and checkout
// payments that read SUCCESS (expectedCheckouts).
func expected(l *Ledger) (pay map[string]*Order, ref map[string]*Refund) {
	_, orders, refunds := l.Snapshot()
	l.Mu.Lock()
	defer l.Mu.Unlock()
	pay, ref = map[string]*Order{}, map[string]*Refund{}
	for _, o := range orders {
		if o.Exists == 1 && (o.State == "SUCCESS" || o.State == "REFUND") {
			pay[o.OidPaybill] = o
		}
	}
	for _, r := range refunds {
		if r.Exists == 1 && r.State == "2" {
			ref[r.OidRefundno] = r
		}
	}
	return pay, ref
}

// expectedPreauths are the pre-authorisations that must be notified (once
// authorised: a capture is not notified), by the last Reverify's states.
func expectedPreauths(l *Ledger) map[string]*Preauth {
	ps := l.PreauthSnapshot()
	l.Mu.Lock()
	defer l.Mu.Unlock()
	out := map[string]*Preauth{}
	for _, p := range ps {
		if p.Exists == 1 && authorisedStates[p.State] {
			out[p.OidPaybill] = p
		}
	}
	return out
}

// Missing lists the expected notifications the receiver has not had.
func Missing(l *Ledger, rc *Receiver) []string {
	pay, ref := expected(l)
	var out []string
	for id, p := range expectedPreauths(l) {
		if rc.Payment(id) == nil {
			out = append(out, fmt.Sprintf("authorisation %s (order %s, %s)", id, p.NoOrder, p.State))
		}
	}
	for id, co := range expectedCheckouts(l) {
		if rc.Payment(id) == nil {
			out = append(out, fmt.Sprintf("checkout payment %s (order %s, %s)", id, co.NoOrder, co.State))
		}
	}
	for id, o := range pay {
		if rc.Payment(id) == nil {
			out = append(out, fmt.Sprintf("payment %s (order %s, %s)", id, o.NoOrder, o.State))
		}
	}
	for id, r := range ref {
		if rc.Refund(id) == nil {
			out = append(out, fmt.Sprintf("refund %s (%s of order %s)", id, r.NoRefund, r.Order.NoOrder))
		}
	}
	sort.Strings(out)
	return out
}

// CheckNotices checks every notification received against the settled
// ledger: each is for a payment that reads SUCCESS or REFUND or a refund in
// state 2, with the right fields.
func CheckNotices(l *Ledger, rc *Receiver, v *Violations) {
	pay, ref := expected(l)
	_, orders, refunds := l.Snapshot()
	l.Mu.Lock()
	byPaybill, byRefundno := map[string]*Order{}, map[string]*Refund{}
	for _, o := range orders {
		if o.OidPaybill != "" {
			byPaybill[o.OidPaybill] = o
		}
	}
	for _, r := range refunds {
		if r.OidRefundno != "" {
			byRefundno[r.OidRefundno] = r
		}
	}
	l.Mu.Unlock()
	auths, cos := expectedPreauths(l), expectedCheckouts(l)
	pays, refs := rc.Keys()
	for id, n := range pays {
		f := n.Fields
		if p := auths[id]; p != nil {
			if f["no_order"] != p.NoOrder || ParseFen(f["money_order"]) != p.Amount || f["result_pay"] != "SUCCESS" ||
				f["pay_type"] != "F" || f["settle_date"] != "" {
				v.Add("payment notification for %s does not match pre-authorisation %s (%s): %v", id, p.NoOrder, p.Money, f)
			}
			continue
		}
		if co := cos[id]; co != nil {
			if f["no_order"] != co.NoOrder || ParseFen(f["money_order"]) != co.Amount || f["result_pay"] != "SUCCESS" ||
				f["pay_type"] != co.PayType || f["dt_order"] != co.DtOrder {
				v.Add("payment notification for %s does not match checkout payment %s (%s, pay_type %s): %v", id, co.NoOrder, co.Money, co.PayType, f)
			}
			continue
		}
		o := pay[id]
		if o == nil {
			state := "unknown to the ledger"
			if x := byPaybill[id]; x != nil {
				state = "reads " + x.State
			}
			v.Add("payment notification for %s (order %s), which %s", id, f["no_order"], state)
			continue
		}
		if f["no_order"] != o.NoOrder || ParseFen(f["money_order"]) != o.Amount || f["result_pay"] != "SUCCESS" ||
			(o.Card.NoAgree != "" && f["no_agree"] != o.Card.NoAgree) {
			v.Add("payment notification for %s does not match order %s (%s, agreement %s): %v", id, o.NoOrder, o.Money, o.Card.NoAgree, f)
		}
	}
	for id, n := range refs {
		f := n.Fields
		r := ref[id]
		if r == nil {
			state := "unknown to the ledger"
			if x := byRefundno[id]; x != nil {
				state = "in state " + x.State
			}
			v.Add("refund notification for %s (%s), which is %s", id, f["no_refund"], state)
			continue
		}
		if f["no_refund"] != r.NoRefund || ParseFen(f["money_refund"]) != r.Amount || f["sta_refund"] != "2" {
			v.Add("refund notification for %s does not match refund %s (%s): %v", id, r.NoRefund, r.Money, f)
		}
	}
}

// Drain ends a run: it moves the clock so that every payment and refund
// settles, re-verifies the whole ledger with the settled states, then keeps
// moving the clock in 2-minute steps (so retries come due) until every
// expected notification arrived or maxSteps passed. It returns the missing
// ones. The load must be stopped.
func Drain(ctx context.Context, admin Admin, c *client.Client, vf *Verifier, rc *Receiver, maxSteps int, logf func(string, ...any)) ([]string, int, error) {
	step := func() error {
		if err := admin.Advance(ctx, 2*time.Minute); err != nil {
			return err
		}
		time.Sleep(700 * time.Millisecond)
		return nil
	}
	for range 3 { // past the 5 minutes of refunds and 2008 payments
		if err := step(); err != nil {
			return nil, 0, err
		}
	}
	// Settle: re-read what was still moving until nothing is.
	_, orders, refunds := vf.L.Snapshot()
	preauths := vf.L.PreauthSnapshot()
	checkouts := vf.L.CheckoutSnapshot()
	for i := 0; ; i++ {
		if _, err := vf.ReverifySome(ctx, c, nil, orders, refunds, false); err != nil {
			return nil, 0, err
		}
		if _, err := vf.ReverifyPreauths(ctx, c, preauths, false); err != nil {
			return nil, 0, err
		}
		if _, err := vf.ReverifyCheckouts(ctx, c, checkouts, false); err != nil {
			return nil, 0, err
		}
		orders, refunds = unsettled(vf.L, orders, refunds)
		preauths = unsettledPreauths(vf.L, preauths)
		checkouts = unsettledCheckouts(vf.L, checkouts)
		if len(orders)+len(refunds)+len(preauths)+len(checkouts) == 0 {
			break
		}
		if i >= maxSteps {
			vf.V.Add("%d payments, %d refunds, %d pre-authorisations and %d checkout payments never settled (first: %s)",
				len(orders), len(refunds), len(preauths), len(checkouts), firstOf(orders, refunds))
			break
		}
		if err := step(); err != nil {
			return nil, 0, err
		}
	}
	n, err := vf.Reverify(ctx, c, true)
	if err != nil {
		return nil, n, err
	}
	var missing []string
	for i := 0; ; i++ {
		deadline := time.Now().Add(3 * time.Second)
		for {
			missing = Missing(vf.L, rc)
			if len(missing) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(missing) == 0 || i >= maxSteps {
			break
		}
		if i%5 == 0 {
			logf("drain: %d notifications missing (first: %s); clock +2 min", len(missing), missing[0])
		}
		if err := step(); err != nil {
			return missing, n, err
		}
	}
	CheckNotices(vf.L, rc, vf.V)
	return missing, n, nil
}

func unsettled(l *Ledger, orders []*Order, refunds []*Refund) ([]*Order, []*Refund) {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	var os []*Order
	var rs []*Refund
	for _, o := range orders {
		if o.State == "PROCESSING" {
			os = append(os, o)
		}
	}
	for _, r := range refunds {
		if r.State == "0" {
			rs = append(rs, r)
		}
	}
	return os, rs
}

func firstOf(orders []*Order, refunds []*Refund) string {
	if len(orders) > 0 {
		return "order " + orders[0].NoOrder
	}
	if len(refunds) > 0 {
		return "refund " + refunds[0].NoRefund
	}
	return ""
}

// ExpectedCount is how many payments and refunds must be notified, by the
// last re-verification.
func ExpectedCount(l *Ledger) int {
	pay, ref := expected(l)
	return len(pay) + len(ref) + len(expectedPreauths(l)) + len(expectedCheckouts(l))
}
