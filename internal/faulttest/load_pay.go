package faulttest

import (
	"context"
	"time"

	"github.com/llgate/llgate/client"
)

func payFields(u *User, o *Order, notifyURL string) map[string]string {
	return map[string]string{
		"user_id": u.ID, "busi_partner": "101001", "no_order": o.NoOrder, "dt_order": o.DtOrder,
		"name_goods": "点读机", "info_order": "faulttest " + u.Person.Mobile, "money_order": o.Money, "notify_url": notifyURL,
		"pay_type": "2", "valid_order": "10080", "no_agree": o.Card.NoAgree,
		"risk_item": `{"frms_ware_category":"4007","user_info_mercht_userno":"` + u.ID + `","user_info_dt_register":"20250101120000","goods_name":"点读机"}`,
	}
}

// failureCodes are the pay verify answers of the decline outcomes.
var failureCodes = map[string]bool{"6001": true, "1005": true, "1111": true, "9094": true, "9990": true, "9991": true}

func (w *Worker) pay(card *Card) error {
	u := card.User
	fen := int64(100 + w.rng.IntN(50000))
	o := &Order{
		NoOrder: w.next("o"), DtOrder: time.Now().In(china).Format("20060102150405"),
		Money: FormatFen(fen, w.rng.IntN(3)), Amount: fen, NotifyURL: w.ld.NotifyURL, Card: card,
	}
	w.ld.L.Mu.Lock()
	w.ld.L.Orders = append(w.ld.L.Orders, o)
	w.ld.L.Mu.Unlock()
	f := payFields(u, o, w.ld.NotifyURL)
	res, code, err := w.call("pay_apply", 4, func(c *client.Client) (*client.Response, error) {
		return c.PayApply(context.Background(), f)
	}, func(res *client.Response, code string) {
		switch code {
		case "8888":
			if o.OidPaybill != "" && o.OidPaybill != res.Get("oid_paybill") {
				w.ld.V.Add("order %s: identical pay apply answered oid_paybill %s, then %s", o.NoOrder, o.OidPaybill, res.Get("oid_paybill"))
			}
			if !o.ApplyAcked {
				w.ld.L.Acked.Add("pay_apply", 1)
			}
			o.OidPaybill, o.Token, o.ApplyAcked, o.ApplyUnknown = res.Get("oid_paybill"), res.Get("token"), true, false
		case "":
			o.ApplyUnknown = true
		case "3003":
			if card.Active() {
				w.ld.V.Add("pay apply of order %s with the active agreement %s of %s answered 3003", o.NoOrder, card.NoAgree, u.ID)
			}
		}
	})
	if err != nil || code != "8888" {
		return err
	}
	token := res.Get("token")
	_, _, err = w.call("pay_verify", 3, func(c *client.Client) (*client.Response, error) {
		return c.PayVerify(context.Background(), map[string]string{
			"token": token, "verify_code": SMSCode, "no_order": o.NoOrder, "money_order": o.Money,
		})
	}, func(res *client.Response, code string) {
		switch {
		case code == "0000" || code == "2007" && o.VerifyUnknown:
			if code == "0000" && res.Get("oid_paybill") != o.OidPaybill {
				w.ld.V.Add("order %s: pay verify answered oid_paybill %s, apply %s", o.NoOrder, res.Get("oid_paybill"), o.OidPaybill)
			}
			if !o.Paid {
				w.ld.L.Acked.Add("pay", 1)
			}
			o.Paid, o.VerifyUnknown = true, false
		case code == "2008":
			o.Processing, o.VerifyUnknown = true, false
		case failureCodes[code]:
			o.Failed, o.VerifyUnknown = code, false
		case code == "":
			o.VerifyUnknown = true
		}
	})
	return err
}

// refund applies for part of a paid order of this worker, sometimes for
// more than is left on purpose, sometimes several per order.
func (w *Worker) refund() error {
	var paid []*Order
	w.ld.L.Mu.Lock()
	for i := len(w.ld.L.Orders) - 1; i >= 0 && len(paid) < 40; i-- {
		if o := w.ld.L.Orders[i]; o.Paid && !o.Reserved && w.owns(o) {
			paid = append(paid, o)
		}
	}
	w.ld.L.Mu.Unlock()
	if len(paid) == 0 {
		return nil
	}
	o := paid[w.rng.IntN(len(paid))]
	w.ld.L.Mu.Lock()
	left := o.Amount
	for _, r := range o.Refunds {
		if (r.Acked || r.Unknown) && r.State != "3" {
			left -= r.Amount
		}
	}
	w.ld.L.Mu.Unlock()
	var fen int64
	over := left <= 0 || w.rng.IntN(10) == 0
	switch {
	case over:
		fen = max(left, 0) + 1 + int64(w.rng.IntN(500))
	case w.rng.IntN(3) == 0:
		fen = left
	default:
		fen = 1 + w.rng.Int64N(left)
	}
	r := &Refund{NoRefund: w.next("r"), Money: FormatFen(fen, w.rng.IntN(3)), Amount: fen, Order: o, Over: over}
	w.ld.L.Mu.Lock()
	if o.Reserved {
		w.ld.L.Mu.Unlock()
		return nil
	}
	o.Refunds = append(o.Refunds, r)
	w.ld.L.Refunds = append(w.ld.L.Refunds, r)
	w.ld.L.Mu.Unlock()
	f := map[string]string{
		"no_refund": r.NoRefund, "dt_refund": time.Now().In(china).Format("20060102150405"), "money_refund": r.Money,
		"no_order": o.NoOrder, "dt_order": o.DtOrder, "notify_url": w.ld.NotifyURL,
	}
	_, _, err := w.call("refund", 4, func(c *client.Client) (*client.Response, error) {
		return c.Refund(context.Background(), f)
	}, func(res *client.Response, code string) {
		switch code {
		case "0000":
			if r.OidRefundno != "" && r.OidRefundno != res.Get("oid_refundno") {
				w.ld.V.Add("refund %s: identical apply answered oid_refundno %s, then %s", r.NoRefund, r.OidRefundno, res.Get("oid_refundno"))
			}
			if !r.Acked {
				w.ld.L.Acked.Add("refund", 1)
			}
			r.OidRefundno, r.Acked, r.Unknown, r.Rejected = res.Get("oid_refundno"), true, false, ""
			if got := ParseFen(res.Get("money_refund")); got != r.Amount {
				w.ld.V.Add("refund %s of %s answered money_refund %s", r.NoRefund, r.Money, res.Get("money_refund"))
			}
			// Acknowledged refunds that cannot fail must fit in the amount.
			sum := int64(0)
			for _, x := range o.Refunds {
				if x.Acked && x.Order.Card.Outcome != "9920" {
					sum += x.Amount
				}
			}
			if sum > o.Amount {
				w.ld.V.Add("order %s of %d fen: acknowledged refunds total %d fen", o.NoOrder, o.Amount, sum)
			}
		case "":
			r.Unknown = true
		default:
			r.Unknown, r.Rejected = false, code
		}
	})
	return err
}

func (w *Worker) owns(o *Order) bool {
	for _, u := range w.users {
		if o.Card.User == u {
			return true
		}
	}
	return false
}

// query reads one of the worker's own orders, refunds or agreement lists
// and checks it against the ledger.
func (w *Worker) query(u *User) error {
	ch := &checker{l: w.ld.L, v: w.ld.V, live: true}
	var o *Order
	var r *Refund
	w.ld.L.Mu.Lock()
	for i := len(w.ld.L.Orders) - 1; i >= 0 && i >= len(w.ld.L.Orders)-200; i-- {
		if x := w.ld.L.Orders[i]; x.Card.User == u && x.ApplyAcked && w.rng.IntN(3) == 0 {
			o = x
			break
		}
	}
	for i := len(w.ld.L.Refunds) - 1; i >= 0 && i >= len(w.ld.L.Refunds)-200; i-- {
		if x := w.ld.L.Refunds[i]; x.Order.Card.User == u && x.Acked && w.rng.IntN(3) == 0 {
			r = x
			break
		}
	}
	w.ld.L.Mu.Unlock()
	var err error
	switch k := w.rng.IntN(3); {
	case k == 0 && o != nil:
		_, _, err = w.call("order_query", 0, func(c *client.Client) (*client.Response, error) {
			return c.OrderQuery(context.Background(), map[string]string{"no_order": o.NoOrder, "dt_order": o.DtOrder})
		}, func(res *client.Response, code string) {
			if code != "" {
				ch.order(o, res, code)
			}
		})
	case k == 1 && r != nil:
		_, _, err = w.call("refund_query", 0, func(c *client.Client) (*client.Response, error) {
			return c.RefundQuery(context.Background(), map[string]string{"no_refund": r.NoRefund})
		}, func(res *client.Response, code string) {
			if code != "" {
				ch.refund(r, res, code)
			}
		})
	default:
		_, _, err = w.call("bind_list", 0, func(c *client.Client) (*client.Response, error) {
			return c.BindList(context.Background(), map[string]string{"user_id": u.ID, "offset": "0"})
		}, func(res *client.Response, code string) {
			if code != "" {
				ch.listPage(u, res, code)
			}
		})
	}
	return err
}

var china = time.FixedZone("CST", 8*3600)
