package httpapi

import (
	"net/http"

	"github.com/llgate/llgate/protocol"
)

// merchantRoutes serves every endpoint of the table (protocol.Endpoints)
// under its paths and host prefixes. An endpoint that is also served on
// another's path (pay verify on the pay apply path) is picked there by the
// request's fields (merchantAPI).
func (s *Server) merchantRoutes(mux *http.ServeMux) {
	for _, e := range protocol.Endpoints {
		h := s.merchantAPI(e)
		// Any method: a GET gets a signed 1012 answer, not an HTTP error,
		// because clients throw on anything but 200.
		for _, p := range e.Paths() {
			mux.Handle(p, h)
		}
	}
	if s.cashier != nil {
		s.cashier.Mount(mux)
	}
}

// probeRoutes are served on every listener.
func (s *Server) probeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
}

// adminRoutes are the admin API and the metrics: on the merchant listener,
// or only on --admin-addr when it is set.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	mux.Handle("GET /metrics", s.cfg.Metrics.handler())
	admin := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.adminAuth(h)) }
	sandboxOnly := func(pattern string, h http.HandlerFunc) {
		if s.sandbox() {
			admin(pattern, h)
		}
	}
	admin("POST /admin/merchants", s.handleMerchantCreate)
	admin("GET /admin/merchants", s.handleMerchantList)
	admin("GET /admin/merchants/{oid}", s.handleMerchantGet)
	admin("PATCH /admin/merchants/{oid}", s.handleMerchantPatch)
	admin("GET /admin/merchants/{oid}/balance", s.handleBalanceGet)
	admin("POST /admin/merchants/{oid}/balance", s.handleBalanceTopUp)
	admin("GET /admin/payouts", s.handlePayouts)
	admin("GET /admin/platform-key", s.handlePlatformKey)
	admin("GET /admin/notifications", s.handleNotifications)
	admin("POST /admin/notifications/{id}/resend", s.handleNotificationResend)
	admin("GET /admin/reports", s.handleReports)
	admin("GET /admin/reports/{name}", s.handleReport)
	sandboxOnly("GET /admin/sms", s.handleSMS)
	sandboxOnly("GET /admin/clock", s.handleClockGet)
	sandboxOnly("POST /admin/clock", s.handleClockAdvance)
	sandboxOnly("GET /admin/requests", s.handleRequests)
	sandboxOnly("POST /admin/reset", s.handleReset)
	if s.cfg.Checkouts != nil {
		sandboxOnly("GET /admin/checkouts", s.handleCheckouts)
		sandboxOnly("GET /admin/returns", s.handleReturns)
	}
	if s.console != nil {
		mux.Handle("/console/", s.console)
		mux.Handle("GET /{$}", s.console)
	}
}

// handlers builds the muxes: all (one listener), merchant and admin (two).
func (s *Server) handlers() (all, merchant, admin http.Handler) {
	a, m, ad := http.NewServeMux(), http.NewServeMux(), http.NewServeMux()
	for _, mux := range []*http.ServeMux{a, m} {
		s.merchantRoutes(mux)
	}
	for _, mux := range []*http.ServeMux{a, m, ad} {
		s.probeRoutes(mux)
	}
	for _, mux := range []*http.ServeMux{a, ad} {
		s.adminRoutes(mux)
	}
	return a, m, ad
}
