package faulttest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/llgate/llgate/client"
)

// PaidOrders reserves and returns up to n orders whose payment was
// acknowledged and that have no refund yet: the workers refund them no more.
func (l *Ledger) PaidOrders(n int) []*Order {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	var out []*Order
	for _, o := range l.Orders {
		if o.Paid && !o.Reserved && len(o.Refunds) == 0 && o.Card.Outcome != "9920" && len(out) < n {
			o.Reserved = true
			out = append(out, o)
		}
	}
	return out
}

// RefundBurst sends n refunds of fen each on order o at once, spread over
// clients (one per server), and records them in the ledger. Distinct
// numbers when identical is false; otherwise n copies of one request, which
// must all get the same answer. It returns how many answered 0000.
func (ld *Load) RefundBurst(o *Order, clients []*client.Client, n int, fen int64, identical bool) int {
	base := fmt.Sprintf("%sb%s", ld.Tag, o.NoOrder)
	dt := time.Now().In(china).Format("20060102150405")
	refunds := make([]*Refund, n)
	ld.L.Mu.Lock()
	for i := range refunds {
		no := fmt.Sprintf("%s-%d", base, i)
		if identical {
			no = base + "-same"
		}
		if identical && i > 0 {
			refunds[i] = refunds[0]
			continue
		}
		r := &Refund{NoRefund: no, Money: FormatFen(fen, 2), Amount: fen, Order: o}
		refunds[i] = r
		o.Refunds = append(o.Refunds, r)
		ld.L.Refunds = append(ld.L.Refunds, r)
	}
	ld.L.Mu.Unlock()
	codes := make([]string, n)
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		r := refunds[i]
		c := clients[i%len(clients)]
		wg.Go(func() {
			res, err := c.Refund(context.Background(), map[string]string{
				"no_refund": r.NoRefund, "dt_refund": dt, "money_refund": r.Money,
				"no_order": o.NoOrder, "dt_order": o.DtOrder, "notify_url": ld.NotifyURL,
			})
			codes[i] = Classify("refund", res, err, ld.V)
			if codes[i] == "0000" {
				ids[i] = res.Get("oid_refundno")
			}
		})
	}
	wg.Wait()
	ld.L.Mu.Lock()
	defer ld.L.Mu.Unlock()
	ok := 0
	for i, code := range codes {
		r := refunds[i]
		ld.Calls.Add("burst_refund "+code, 1)
		switch code {
		case "0000":
			ok++
			if r.OidRefundno != "" && r.OidRefundno != ids[i] {
				ld.V.Add("refund %s: identical requests at once answered oid_refundno %s and %s", r.NoRefund, r.OidRefundno, ids[i])
			}
			if !r.Acked {
				ld.L.Acked.Add("refund", 1)
			}
			r.OidRefundno, r.Acked, r.Rejected, r.Unknown = ids[i], true, "", false
		case "":
			r.Unknown = true
		default:
			if identical && r.Acked {
				ld.V.Add("refund %s: identical requests at once answered 0000 and %s", r.NoRefund, code)
			}
			if !r.Acked {
				r.Rejected = code
			}
		}
	}
	if !identical && int64(ok)*fen > o.Amount {
		ld.V.Add("order %s of %d fen: %d concurrent refunds of %d fen accepted over two replicas", o.NoOrder, o.Amount, ok, fen)
	}
	return ok
}
