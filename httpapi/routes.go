package httpapi

import "net/http"

// Merchant API routes (DESIGN.md), by canonical path. Real clients also use
// the documented hosts as path prefixes (COMPAT.md), so each route is served
// under those too.
const (
	RouteBindApply      = "/v1/bankcardbind"
	RouteBindVerify     = "/v1/bankcardbindverfy" // spelled as in the docs
	RouteTraderBind     = "/bankcardbind.htm"
	RouteTraderVerify   = "/bankcardbindverfy.htm"
	RouteUnbind         = "/bankcardunbind.htm"
	RouteBindList       = "/bankcardbindlist.htm"
	RouteCardBin        = "/bankcardbin.htm"
	RoutePayApply       = "/v1/bankcardprepay" // also pay verify when the body has token + verify_code
	RoutePayVerify      = "/v1/bankcardpay"
	RouteOrderQuery     = "/orderquery.htm"
	RouteRefund         = "/refund.htm"
	RouteExchangeRefund = "/exchangerefund.htm"
	RouteRefundQuery    = "/refundquery.htm"
)

// merchantRoutes lists every merchant route: whether it takes a pay_load
// envelope, and the host prefixes it is also served under.
var merchantRoutes = []struct {
	path     string
	envelope bool
	prefixes []string
}{
	{RouteBindApply, true, []string{"/mpayapi"}},
	{RouteBindVerify, false, []string{"/mpayapi"}},
	{RoutePayApply, true, []string{"/mpayapi"}},
	{RoutePayVerify, false, []string{"/mpayapi"}},
	{RouteTraderBind, false, []string{"/traderapi"}},
	{RouteTraderVerify, false, []string{"/traderapi"}},
	{RouteUnbind, false, []string{"/traderapi"}},
	{RouteBindList, false, []string{"/queryapi", "/traderapi"}},
	{RouteCardBin, false, []string{"/queryapi", "/traderapi"}},
	{RouteOrderQuery, false, []string{"/queryapi", "/traderapi"}},
	{RouteRefund, false, []string{"/traderapi"}},
	{RouteExchangeRefund, false, []string{"/traderapi"}},
	{RouteRefundQuery, false, []string{"/queryapi", "/traderapi"}},
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range merchantRoutes {
		h := s.merchantAPI(rt.path, rt.envelope, s.cfg.Endpoints[rt.path])
		// Any method: a GET gets a signed 1012 answer, not an HTTP error,
		// because clients throw on anything but 200.
		mux.Handle(rt.path, h)
		for _, p := range rt.prefixes {
			mux.Handle(p+rt.path, h)
		}
	}

	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
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
	return mux
}
