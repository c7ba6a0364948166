package console

import (
	"net/http"

	llgate "github.com/llgate/llgate"
)

type listData[T any] struct {
	Merchant string
	Filter   string // a second filter: user_id (agreements), status (payments)
	Rows     []T
	Pager    pager
}

// listQuery reads the merchant filter and the page of a list.
func listQuery(r *http.Request) (llgate.ListQuery, pager) {
	p := pagerOf(r)
	return llgate.ListQuery{OidPartner: r.URL.Query().Get("oid_partner"), Offset: p.Page * pageSize, Limit: pageSize}, p
}

func (c *Console) agreementsPage(w http.ResponseWriter, r *http.Request) {
	q, p := listQuery(r)
	q.UserID = r.URL.Query().Get("user_id")
	rows, more, err := c.cfg.Browse.Agreements(r.Context(), q)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p.links(r, more)
	c.render(w, r, http.StatusOK, "agreements", "Agreements", listData[*llgate.Agreement]{Merchant: q.OidPartner, Filter: q.UserID, Rows: rows, Pager: p})
}

func (c *Console) paymentsPage(w http.ResponseWriter, r *http.Request) {
	q, p := listQuery(r)
	q.Status = r.URL.Query().Get("status")
	rows, more, err := c.cfg.Browse.Payments(r.Context(), q)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p.links(r, more)
	c.render(w, r, http.StatusOK, "payments", "Payments", listData[*llgate.Order]{Merchant: q.OidPartner, Filter: q.Status, Rows: rows, Pager: p})
}

func (c *Console) paymentPage(w http.ResponseWriter, r *http.Request) {
	v, err := c.cfg.Browse.Payment(r.Context(), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "payment", "Payment "+v.Order.OidPaybill, v)
}

func (c *Console) refundsPage(w http.ResponseWriter, r *http.Request) {
	q, p := listQuery(r)
	rows, more, err := c.cfg.Browse.Refunds(r.Context(), q)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p.links(r, more)
	c.render(w, r, http.StatusOK, "refunds", "Refunds", listData[*llgate.Refund]{Merchant: q.OidPartner, Rows: rows, Pager: p})
}
