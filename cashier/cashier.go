// Package cashier is the hosted checkout (Easy Payment WEB and H5): the
// entry routes merchants' pages post to, the one cashier at
// /paymentweb/payinit?token=T where the payer picks or types a card, asks
// for a code and pays, and the signed sync return to the merchant's
// url_return (CONTRACT-easypay-payouts.md §4.1-4.4). Pages are
// server-rendered over package web and work without script; the payment
// rules are the root's (Checkouts over Payments: one engine with MPAY).
package cashier

import (
	"context"
	"crypto/rsa"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// PayPath is the cashier's address; its actions post to PayPath + "/card",
// "/sms" and "/pay", each with ?token=T.
const PayPath = "/paymentweb/payinit"

// Routes are the entry paths (LianLian's hosts as path prefixes) and the
// flavour each chooses: /payment/* is WEB, the rest H5 (§4.1, Decision 14).
var Routes = []struct {
	Path    string
	Flavour string
}{
	{"/payment/traveleasypay.htm", llgate.FlavourWEB},
	{"/payment/bankgateway.htm", llgate.FlavourWEB},
	{"/payment/authpay.htm", llgate.FlavourWEB},
	{"/travlepay.htm", llgate.FlavourH5},
	{"/wap/travlepay.htm", llgate.FlavourH5},
	{"/payment.htm", llgate.FlavourH5},
	{"/wap/payment.htm", llgate.FlavourH5},
	{"/authpay.htm", llgate.FlavourH5},
	{"/wap/authpay.htm", llgate.FlavourH5},
	{"/llpayh5/authpay.htm", llgate.FlavourH5},
}

// Config is what the cashier needs.
type Config struct {
	Mode        llgate.Mode
	Checkouts   *llgate.Checkouts
	Merchants   *llgate.Merchants
	PlatformKey *rsa.PrivateKey
	Clock       llgate.Clock
	Log         *llgate.RequestLog // the request log (entries and actions)
	Logger      *slog.Logger
	BodyCap     int64 // body and query of an entry (default 64 KiB)
	// ClientAddr is the payer's address (--trusted-proxies); AllowAddr and
	// AllowMerchant, when set, are the JSON API's rate limits (9903).
	ClientAddr    func(*http.Request) netip.Addr
	AllowAddr     func(netip.Addr) bool
	AllowMerchant func(oid string) bool
	// CheckNotifyURL, when set, refuses (1004) a notify_url the notifier
	// would not call (the JSON API's gateway-mode rule).
	CheckNotifyURL func(ctx context.Context, f *protocol.Object) error
}

// Cashier serves the entry routes and the cashier pages.
type Cashier struct {
	cfg    Config
	pages  *web.Pages
	assets http.Handler
}

// New parses the templates (a failure is a broken build).
func New(cfg Config) (*Cashier, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BodyCap <= 0 {
		cfg.BodyCap = 64 << 10
	}
	if cfg.ClientAddr == nil {
		cfg.ClientAddr = func(r *http.Request) netip.Addr {
			ap, _ := netip.ParseAddrPort(r.RemoteAddr)
			return ap.Addr()
		}
	}
	pages, err := web.ParsePages(templateFS, "templates", web.Funcs(funcs))
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	return &Cashier{cfg: cfg, pages: pages, assets: http.StripPrefix(PayPath+"/static/", web.Assets(static))}, nil
}

// Mount adds every route to mux: the entries take any method (another
// than GET and POST gets the 1012 page, not an HTTP error).
func (c *Cashier) Mount(mux *http.ServeMux) {
	for _, rt := range Routes {
		mux.Handle(rt.Path, web.Secure(c.entry(rt.Path, rt.Flavour)))
	}
	mux.Handle("GET "+PayPath, web.Secure(http.HandlerFunc(c.handlePage)))
	mux.Handle("POST "+PayPath+"/card", web.Secure(http.HandlerFunc(c.handleCard)))
	mux.Handle("POST "+PayPath+"/sms", web.Secure(http.HandlerFunc(c.handleSMS)))
	mux.Handle("POST "+PayPath+"/pay", web.Secure(http.HandlerFunc(c.handlePay)))
	mux.Handle("GET "+PayPath+"/theme.css", http.HandlerFunc(c.handleTheme))
	mux.Handle("GET "+PayPath+"/static/", c.assets)
}

// log records one request in the request log: never the form, the
// req_data or a page (§4.16).
func (c *Cashier) log(path, oid, code, reason string, took int64) {
	if c.cfg.Log == nil {
		return
	}
	c.cfg.Log.Add(llgate.RequestLogEntry{At: c.cfg.Clock.Now(), Path: path, OidPartner: oid, RetCode: code,
		Reason: llgate.MaskText(reason), LatencyMS: took}, nil)
}
