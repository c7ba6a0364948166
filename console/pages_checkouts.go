package console

import (
	"net/http"

	llgate "github.com/llgate/llgate"
)

// checkoutsData is the Checkouts page: the hosted cashier's sessions,
// newest first, and the sync returns sent.
type checkoutsData struct {
	Merchant, NoOrder string
	Rows              []*llgate.CheckoutView
	Returns           []*llgate.CheckoutView
}

// checkoutsPage lists checkouts (state, flavour, the order once made, the
// cashier's address) and the returns rendered (sandbox).
func (c *Console) checkoutsPage(w http.ResponseWriter, r *http.Request) {
	q := llgate.CheckoutQuery{OidPartner: r.URL.Query().Get("oid_partner"), NoOrder: r.URL.Query().Get("no_order"), Limit: pageSize}
	rows, err := c.cfg.Checkouts.List(r.Context(), q)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	q.Returned = true
	returns, err := c.cfg.Checkouts.List(r.Context(), q)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "checkouts", "Checkouts", checkoutsData{Merchant: q.OidPartner, NoOrder: q.NoOrder, Rows: rows, Returns: returns})
}
