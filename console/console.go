// Package console is llgate's web console for operators and merchants'
// developers: server-rendered pages under /console/ over the same use cases
// as the admin API (no SQL, no Store in a handler), templates and assets
// embedded in the binary, no script but its own, every page usable without
// it.
package console

import (
	"context"
	"crypto/rsa"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/golive"
	"github.com/llgate/llgate/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the console shows and changes: the use cases of the admin
// API. Sandbox and Log are nil in gateway mode, which hides their pages.
type Config struct {
	Mode       llgate.Mode
	AdminToken string
	Clock      llgate.Clock
	Merchants  *llgate.Merchants
	Sandbox    *llgate.Sandbox
	Log        *llgate.RequestLog
	Outbox     *llgate.Outbox
	Reports    *llgate.ReportFiles
	Browse     *llgate.Browse
	// Checkouts, when set, adds the hosted cashier's sessions and sync
	// returns (sandbox: a checkout's address is its only capability).
	Checkouts   *llgate.Checkouts
	PlatformKey *rsa.PublicKey
	Logger      *slog.Logger
	// ClientAddr is the address a request comes from (--trusted-proxies);
	// Audit writes one audit log line (the admin API's).
	ClientAddr func(*http.Request) netip.Addr
	Audit      func(r *http.Request, action string, attrs ...any)
	// Changes names the merchant-object fields that differ between before
	// (nil: none yet) and after, for the audit log (md5: the MD5 key was
	// set); nil: the audit lines name no fields.
	Changes func(before, after *llgate.Merchant, md5 bool) []string
	// GoLive runs the go-live check of a merchant's notify URL (the button
	// on the coverage page); nil hides the button.
	GoLive func(ctx context.Context, oidPartner, notifyURL string) (*golive.Report, error)
}

// Console serves the pages.
type Console struct {
	cfg      Config
	pages    *web.Pages
	sessions *sessions
	handler  http.Handler
}

// New parses the templates and builds the routes.
func New(cfg Config) (*Console, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Audit == nil {
		cfg.Audit = func(*http.Request, string, ...any) {}
	}
	c := &Console{cfg: cfg, sessions: newSessions(cfg.AdminToken, time.Now)}
	var err error
	if c.pages, err = web.ParsePages(templateFS, "templates", funcs); err != nil {
		return nil, err
	}
	c.handler = c.routes()
	return c, nil
}

// ServeHTTP serves /console/... and redirects / there.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.handler.ServeHTTP(w, r) }

func (c *Console) sandbox() bool { return c.cfg.Sandbox != nil }

func (c *Console) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /console/static/", http.StripPrefix("/console/static", web.Assets(static)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /console/login", c.loginPage)
	mux.HandleFunc("POST /console/login", c.login)
	page := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, c.authed(h)) }
	page("POST /console/logout", c.logout)
	page("GET /console/{$}", c.home)
	page("GET /console/merchants", c.merchantsPage)
	page("GET /console/merchants/new", c.merchantNewPage)
	page("POST /console/merchants", c.merchantCreate)
	page("GET /console/merchants/{oid}", c.merchantPage)
	page("POST /console/merchants/{oid}", c.merchantUpdate)
	page("GET /console/notifications", c.notificationsPage)
	page("GET /console/notifications/{id}", c.notificationPage)
	page("POST /console/notifications/{id}/resend", c.notificationResend)
	page("GET /console/reports", c.reportsPage)
	page("GET /console/reports/{name}", c.reportDownload)
	page("GET /console/agreements", c.agreementsPage)
	page("GET /console/payments", c.paymentsPage)
	page("GET /console/payments/{id}", c.paymentPage)
	page("GET /console/refunds", c.refundsPage)
	if c.sandbox() {
		page("GET /console/requests", c.requestsPage)
		page("GET /console/requests/{id}", c.requestPage)
		page("POST /console/requests/{id}", c.requestPage) // the signature doctor's comparison
		page("GET /console/sms", c.smsPage)
		page("POST /console/sms", c.smsWatch)
		page("GET /console/sms/events", c.smsEvents)
		page("GET /console/clock", c.clockPage)
		page("POST /console/clock", c.clockAdvance)
		page("GET /console/coverage", c.coveragePage)
		page("POST /console/coverage/golive", c.goliveRun)
		if c.cfg.Checkouts != nil {
			page("GET /console/checkouts", c.checkoutsPage)
		}
	}
	// Forms post from the console's own pages only: cross-origin posts are
	// refused before any handler runs (Sec-Fetch-Site, Origin), and every
	// form carries the session's CSRF token besides.
	return web.Secure(http.NewCrossOriginProtection().Handler(mux))
}
