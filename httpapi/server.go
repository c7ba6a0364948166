// Package httpapi serves the LianLian merchant API and llgate's admin API.
// Every merchant request runs one pipeline (pipeline.go); every route is in
// routes.go.
package httpapi

import (
	"context"
	"crypto/rsa"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/cashier"
	"github.com/llgate/llgate/protocol"
)

// DefaultBodyCap is the largest request body accepted (CONTRACT.md §5).
const DefaultBodyCap = 64 << 10

// DefaultRequestTimeout is Config.RequestTimeout when it is zero.
const DefaultRequestTimeout = 10 * time.Second

// Config holds the server's dependencies. Zero values get defaults in New.
type Config struct {
	Mode         llgate.Mode
	Store        llgate.Store
	Vault        llgate.Vault
	Clock        llgate.Clock
	SandboxClock *llgate.SandboxClock // nil in gateway mode
	Merchants    *llgate.Merchants
	PlatformKey  *rsa.PrivateKey
	AdminToken   string
	// CheckHMAC verifies the pay_load HMAC. The sandbox always does, so a
	// merchant's broken envelope fails here as it would at LianLian; a
	// gateway may skip it (see README: it authenticates nothing).
	CheckHMAC bool
	// Limits turns on rate limits and caps.
	Limits bool
	// MerchantRate and AddrRate are requests per second (defaults 1000, 2000).
	MerchantRate, AddrRate float64
	BodyCap                int64
	Logger                 *slog.Logger
	Metrics                *Metrics
	// Binding answers the card-binding routes, Payments quick pay.
	Binding  *llgate.Binding
	Payments *llgate.Payments
	Refunds  *llgate.Refunds
	// Checkouts is the hosted cashier's use case: with it, the entry
	// routes and /paymentweb/ are served on the merchant listener and
	// /admin/checkouts, /admin/returns on the admin API.
	Checkouts *llgate.Checkouts
	// Ledger answers the balance query and the admin balance routes; nil:
	// one over Store and Clock.
	Ledger *llgate.Ledger
	// Payouts answers the Instant Payment endpoints and /admin/payouts;
	// nil: defaultPayouts.
	Payouts *llgate.Payouts
	// Outbox answers the admin notification routes; nil: one over Store,
	// Vault and Clock that calls Wake on a resend.
	Outbox *llgate.Outbox
	// Reports answers the admin report routes; nil: one over Store and Vault.
	Reports *llgate.ReportFiles
	// Browse lists agreements, payments and refunds for the web console,
	// which is served (under /console/, where the admin API is) only when
	// Browse is set.
	Browse *llgate.Browse
	// Wake is called when notification work may have come due (the sandbox
	// clock moved, a resend), so the worker acts at once.
	Wake func()
	// Sandbox has the sandbox's operations (clock, inbox, reset); nil in
	// gateway mode. Log is the request log (nil: none kept).
	Sandbox *llgate.Sandbox
	Log     *llgate.RequestLog
	// TrustedProxies are the peers whose X-Forwarded-For is read
	// (clientAddr); none: the header is ignored.
	TrustedProxies []netip.Prefix
	// RequestTimeout bounds the work of one merchant request (default
	// DefaultRequestTimeout): past it, the store calls still running are
	// abandoned and the answer is a signed 9999. Each store call has its own,
	// shorter bound; this one caps a request that makes several.
	RequestTimeout time.Duration
}

// Server is the merchant API and the admin API: on one handler, or on two
// listeners (MerchantHandler, AdminHandler) when --admin-addr is set.
type Server struct {
	cfg      Config
	eps      map[string]Endpoint // by endpoint name
	limiter  *limiter
	sigs     *sigCache
	handler  http.Handler
	merchant http.Handler
	admin    http.Handler
	console  http.Handler     // nil without Config.Browse
	cashier  *cashier.Cashier // nil without Config.Checkouts
}

// Endpoint answers one verified merchant request.
type Endpoint func(ctx context.Context, r *Request) (*Answer, error)

// New builds the server. Every endpoint of the table must have its use
// case (Binding, Payments, Refunds): New panics otherwise, a wiring mistake.
// Call Close to flush the request log.
func New(cfg Config) *Server {
	if cfg.BodyCap <= 0 {
		cfg.BodyCap = DefaultBodyCap
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.MerchantRate == 0 {
		cfg.MerchantRate = 1000
	}
	if cfg.AddrRate == 0 {
		cfg.AddrRate = 2000
	}
	if cfg.Mode == "" {
		cfg.Mode = llgate.ModeSandbox
	}
	if cfg.Ledger == nil {
		cfg.Ledger = &llgate.Ledger{Store: cfg.Store, Clock: cfg.Clock}
	}
	if cfg.Payouts == nil {
		cfg.Payouts = defaultPayouts(&cfg)
	}
	eps := map[string]Endpoint{}
	for _, part := range []map[string]Endpoint{
		(&bindAPI{b: cfg.Binding, logger: cfg.Logger}).endpoints(),
		(&payAPI{p: cfg.Payments}).endpoints(),
		(&easypayAPI{p: cfg.Payments}).endpoints(),
		(&preauthAPI{p: cfg.Payments}).endpoints(),
		(&refundAPI{r: cfg.Refunds}).endpoints(),
		(&balanceAPI{l: cfg.Ledger}).endpoints(),
		(&payoutAPI{p: cfg.Payouts}).endpoints(),
	} {
		for name, ep := range part {
			eps[name] = ep
		}
	}
	for _, e := range protocol.Endpoints {
		if eps[e.Name] == nil {
			panic("httpapi: endpoint " + e.Name + " has no implementation")
		}
	}
	s := &Server{cfg: cfg, eps: eps, sigs: newSigCache(cfg.PlatformKey, cfg.Metrics)}
	if s.cfg.Log == nil {
		s.cfg.Log = llgate.NewRequestLog(cfg.Store, cfg.Vault, cfg.Logger, false)
	}
	if s.cfg.Reports == nil {
		s.cfg.Reports = &llgate.ReportFiles{Store: cfg.Store, Vault: cfg.Vault}
	}
	if s.cfg.Outbox == nil {
		s.cfg.Outbox = &llgate.Outbox{Store: cfg.Store, Vault: cfg.Vault, Clock: cfg.Clock, Wake: cfg.Wake}
	}
	s.limiter = newLimiter(cfg.MerchantRate, cfg.AddrRate)
	if cfg.Browse != nil {
		s.console = s.newConsole()
	}
	if cfg.Checkouts != nil {
		s.cashier = s.newCashier()
	}
	s.handler, s.merchant, s.admin = s.handlers()
	return s
}

// ServeHTTP serves every route: the merchant API, the admin API and the
// metrics on one listener.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// MerchantHandler serves the merchant API and the probes only, for a
// listener that must not expose the admin API (--admin-addr set).
func (s *Server) MerchantHandler() http.Handler { return s.merchant }

// AdminHandler serves the admin API, the metrics and the probes only.
func (s *Server) AdminHandler() http.Handler { return s.admin }

// Close does nothing: the request log is the caller's to close.
func (s *Server) Close() {}

func (s *Server) sandbox() bool { return s.cfg.Mode == llgate.ModeSandbox }

func (s *Server) now() time.Time { return s.cfg.Clock.Now() }
