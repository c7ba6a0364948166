package httpapi

import (
	"context"
	"net/http"
	"net/netip"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/cashier"
	"github.com/llgate/llgate/protocol"
)

// newCashier builds the hosted checkout over the same merchants, platform
// key, request log, client addresses and rate limits as the JSON API. Its
// templates are embedded and tested: a failure here is a broken build.
func (s *Server) newCashier() *cashier.Cashier {
	cfg := cashier.Config{
		Mode: s.cfg.Mode, Checkouts: s.cfg.Checkouts, Merchants: s.cfg.Merchants, PlatformKey: s.cfg.PlatformKey,
		Clock: s.cfg.Clock, Log: s.cfg.Log, Logger: s.cfg.Logger, BodyCap: s.cfg.BodyCap, ClientAddr: s.clientAddr,
		CheckNotifyURL: func(ctx context.Context, f *protocol.Object) error {
			return s.checkNotifyURL(ctx, protocol.CheckoutEntry, f)
		},
	}
	if s.cfg.Limits {
		cfg.AllowAddr = func(a netip.Addr) bool { return s.limiter.allowAddr(a) }
		cfg.AllowMerchant = func(oid string) bool { return s.limiter.allowMerchant(oid) }
	}
	c, err := cashier.New(cfg)
	if err != nil {
		panic("httpapi: the cashier's templates: " + err.Error())
	}
	return c
}

// handleCheckouts lists checkouts (sandbox): {"checkouts":[{"sid","url",
// "flavour","no_order","state",...}]}, newest first (§4.15).
func (s *Server) handleCheckouts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	vs, err := s.cfg.Checkouts.List(r.Context(), llgate.CheckoutQuery{
		OidPartner: q.Get("oid_partner"), NoOrder: q.Get("no_order"), Limit: queryLimit(r, 100, 1000),
	})
	if err != nil {
		s.storeError(w, err)
		return
	}
	type out struct {
		SID        string `json:"sid"`
		URL        string `json:"url"`
		Flavour    string `json:"flavour"`
		OidPartner string `json:"oid_partner"`
		NoOrder    string `json:"no_order"`
		State      string `json:"state"`
		OidPaybill string `json:"oid_paybill,omitempty"`
		CreatedAt  string `json:"created_at"`
		ExpiresAt  string `json:"expires_at"`
	}
	list := make([]out, 0, len(vs))
	for _, v := range vs {
		co := v.Checkout
		list = append(list, out{SID: co.Token, URL: cashier.PayPath + "?token=" + co.Token, Flavour: co.Flavour,
			OidPartner: co.OidPartner, NoOrder: co.NoOrder, State: v.State, OidPaybill: co.OidPaybill,
			CreatedAt: rfc3339(co.CreatedAt), ExpiresAt: rfc3339(co.ExpiresAt)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"checkouts": list})
}

// handleReturns lists the sync returns sent (sandbox): when the success
// page first rendered each, newest first.
func (s *Server) handleReturns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	vs, err := s.cfg.Checkouts.List(r.Context(), llgate.CheckoutQuery{
		OidPartner: q.Get("oid_partner"), NoOrder: q.Get("no_order"), Returned: true, Limit: queryLimit(r, 100, 1000),
	})
	if err != nil {
		s.storeError(w, err)
		return
	}
	type out struct {
		At         string `json:"at"`
		OidPartner string `json:"oid_partner"`
		NoOrder    string `json:"no_order"`
		URL        string `json:"url"`
		Flavour    string `json:"flavour"`
	}
	list := make([]out, 0, len(vs))
	for _, v := range vs {
		co := v.Checkout
		list = append(list, out{At: rfc3339(co.ReturnedAt), OidPartner: co.OidPartner, NoOrder: co.NoOrder,
			URL: co.URLReturn, Flavour: co.Flavour})
	}
	writeJSON(w, http.StatusOK, map[string]any{"returns": list})
}
