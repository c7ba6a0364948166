// Package httpapi serves the LianLian merchant API and llgate's admin API.
// Every merchant request runs one pipeline (pipeline.go); every route is in
// routes.go.
package httpapi

import (
	"context"
	"crypto/rsa"
	"log/slog"
	"net/http"
	"time"

	llgate "github.com/llgate/llgate"
)

// DefaultBodyCap is the largest request body accepted (CONTRACT.md §5).
const DefaultBodyCap = 64 << 10

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
	// Outbox answers the admin notification routes; nil: one over Store,
	// Vault and Clock that calls Wake on a resend.
	Outbox *llgate.Outbox
	// Wake is called when notification work may have come due (the sandbox
	// clock moved, a resend), so the worker acts at once.
	Wake func()
	// Endpoints override the routes' endpoints by path (tests). A path with
	// no endpoint answers 9999.
	Endpoints map[string]Endpoint
}

// Server is the merchant API and admin API on one handler.
type Server struct {
	cfg     Config
	reqlog  *requestLog
	limiter *limiter
	handler http.Handler
}

// Endpoint answers one verified merchant request.
type Endpoint func(ctx context.Context, r *Request) (*Answer, error)

// New builds the server. Call Close to flush the request log.
func New(cfg Config) *Server {
	if cfg.BodyCap <= 0 {
		cfg.BodyCap = DefaultBodyCap
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
	eps := map[string]Endpoint{}
	if cfg.Binding != nil {
		for route, ep := range (&bindAPI{b: cfg.Binding, logger: cfg.Logger}).endpoints() {
			eps[route] = ep
		}
	}
	if cfg.Payments != nil {
		for route, ep := range (&payAPI{p: cfg.Payments}).endpoints() {
			eps[route] = ep
		}
	}
	if cfg.Refunds != nil {
		for route, ep := range (&refundAPI{r: cfg.Refunds}).endpoints() {
			eps[route] = ep
		}
	}
	for route, ep := range cfg.Endpoints {
		eps[route] = ep
	}
	cfg.Endpoints = eps
	if cfg.Outbox == nil {
		cfg.Outbox = &llgate.Outbox{Store: cfg.Store, Vault: cfg.Vault, Clock: cfg.Clock, Wake: cfg.Wake}
	}
	s := &Server{cfg: cfg}
	s.reqlog = newRequestLog(cfg.Store, cfg.Logger, cfg.Mode == llgate.ModeSandbox)
	s.limiter = newLimiter(cfg.MerchantRate, cfg.AddrRate)
	s.handler = s.routes()
	return s
}

// ServeHTTP serves every route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Close flushes the request log.
func (s *Server) Close() { s.reqlog.close() }

func (s *Server) sandbox() bool { return s.cfg.Mode == llgate.ModeSandbox }

func (s *Server) now() time.Time { return s.cfg.Clock.Now() }
