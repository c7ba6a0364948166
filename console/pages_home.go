package console

import (
	"net/http"

	llgate "github.com/llgate/llgate"
)

func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	ms, err := c.cfg.Merchants.List(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "home", "Console", struct{ Merchants []*llgate.Merchant }{ms})
}
