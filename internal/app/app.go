// Package app assembles llgate from its parts: store, vault, clock, issuer,
// SMS sender, use cases and HTTP server. The serve command, the end-to-end
// tests and the benchmark build the same thing through it.
package app

import (
	"context"
	"crypto/rsa"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/httpapi"
	"github.com/llgate/llgate/issuer"
	"github.com/llgate/llgate/notify"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/report"
	"github.com/llgate/llgate/sms"
	"github.com/llgate/llgate/vault"
)

// Options configure an App. Store and MasterKey are required.
type Options struct {
	Mode        llgate.Mode // default sandbox
	Store       llgate.Store
	MasterKey   []byte
	PlatformKey *rsa.PrivateKey  // nil: created once and stored sealed
	AdminToken  string           // "": the one kept with the database (generated once)
	Limits      bool             // caps and rate limits
	CheckHMAC   bool             // forced on in sandbox mode
	SMS         llgate.SMSSender // nil: built from SMSKind (outbox in sandbox, log in gateway)
	SMSKind     string           // "outbox", "log" or "http"
	SMSURL      string
	SMSTemplate string
	Logger      *slog.Logger
	Wall        func() time.Time // the sandbox clock's wall time (tests); nil = time.Now
	// NotifyTimeout bounds one notification attempt (default 5 s).
	NotifyTimeout time.Duration
	// NotifyTransport replaces the notifier's HTTP transport (tests).
	NotifyTransport http.RoundTripper
	// Registry collects the metrics (a new one when nil).
	Registry *prometheus.Registry
	// TrustedProxies are the peers whose X-Forwarded-For is read.
	TrustedProxies []netip.Prefix
	// MerchantRate and AddrRate are the rate limits in requests per second
	// (0: the defaults, 1,000 and 2,000).
	MerchantRate, AddrRate float64
	// Issuer is the card issuer channel; nil: the simulated issuing bank
	// (with its test-card outcomes in sandbox mode).
	Issuer llgate.Issuer
	// RequestTimeout bounds one merchant request (httpapi's default when
	// zero). The store's own timeout is set where it is opened.
	RequestTimeout time.Duration
}

// App is a wired llgate.
type App struct {
	Store        llgate.Store
	Vault        *vault.Vault
	Clock        llgate.Clock
	SandboxClock *llgate.SandboxClock // nil in gateway mode
	Merchants    *llgate.Merchants
	Binding      *llgate.Binding
	Payments     *llgate.Payments
	Refunds      *llgate.Refunds
	Ledger       *llgate.Ledger // the merchants' money
	Payouts      *llgate.Payouts
	Outbox       *llgate.Outbox // the notifications' lifecycle
	Notifier     *notify.Worker // delivers them
	Reports      *report.Generator
	ReportFiles  *llgate.ReportFiles // the stored report files, opened
	PlatformKey  *rsa.PrivateKey
	Sandbox      *llgate.Sandbox    // nil in gateway mode
	Log          *llgate.RequestLog // the sandbox's request log
	Browse       *llgate.Browse     // what the console lists
	Checkouts    *llgate.Checkouts  // the hosted cashier
	// AdminToken is the admin API's token; TokenKept says it is the one
	// kept with the database rather than one given in Options.
	AdminToken string
	TokenKept  bool
	Server     *httpapi.Server
	logger     *slog.Logger
	settleMu   sync.Mutex // one settlement pass at a time in this process
}

// New wires an App over an open store.
func New(ctx context.Context, o Options) (*App, error) {
	if o.Mode == "" {
		o.Mode = llgate.ModeSandbox
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	// Masked by default: whatever a component logs passes the one policy.
	o.Logger = slog.New(llgate.MaskingHandler(o.Logger.Handler()))
	v, err := vault.New(o.Store, o.MasterKey)
	if err != nil {
		return nil, err
	}
	a := &App{Store: o.Store, Vault: v}
	if err := llgate.EnsureOwners(ctx, o.Store, v); err != nil {
		return nil, err
	}
	if o.Mode == llgate.ModeSandbox {
		if a.SandboxClock, err = llgate.NewSandboxClock(ctx, o.Store, o.Wall); err != nil {
			return nil, err
		}
		a.Clock = a.SandboxClock
		o.CheckHMAC = true
	} else {
		a.Clock = llgate.ClockFunc(func() time.Time { return time.Now().UTC() })
	}
	if a.PlatformKey = o.PlatformKey; a.PlatformKey == nil {
		if a.PlatformKey, err = llgate.PlatformKey(ctx, o.Store, v); err != nil {
			return nil, err
		}
	}
	a.AdminToken = o.AdminToken
	if a.AdminToken == "" {
		if a.AdminToken, err = llgate.AdminToken(ctx, o.Store, v); err != nil {
			return nil, err
		}
		a.TokenKept = true
	}
	if o.SMS == nil {
		kind := o.SMSKind
		if kind == "" && o.Mode == llgate.ModeGateway {
			kind = "log" // no sandbox inbox in gateway mode
		}
		if o.SMS, err = sms.FromConfig(kind, o.SMSURL, o.SMSTemplate, o.Store, v, a.Clock, o.Logger); err != nil {
			return nil, err
		}
	}
	a.Merchants = &llgate.Merchants{Store: o.Store, Vault: v, Clock: a.Clock, ParseKey: protocol.ParsePublicKey}
	if o.Issuer == nil {
		o.Issuer = &issuer.Simulated{Store: o.Store, Vault: v, Clock: a.Clock, Outcomes: o.Mode == llgate.ModeSandbox}
	}
	a.Binding = &llgate.Binding{Store: o.Store, Vault: v, Clock: a.Clock, SMS: o.SMS, Mode: o.Mode, Issuer: o.Issuer}
	if o.Limits {
		a.Binding.Caps = llgate.DefaultCaps()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	transport := o.NotifyTransport
	if transport == nil {
		// The sandbox delivers to the merchant's own machine and accepts
		// self-signed certificates; a gateway refuses private addresses at
		// dial time and verifies certificates.
		sandbox := o.Mode == llgate.ModeSandbox
		transport = notify.NewTransport(!sandbox, sandbox)
	}
	a.Outbox = &llgate.Outbox{Store: o.Store, Vault: v, Clock: a.Clock, Merchants: a.Merchants}
	a.Notifier = &notify.Worker{
		Outbox: a.Outbox, Transport: transport, Timeout: o.NotifyTimeout,
		Logger: o.Logger, Metrics: notify.NewMetrics(o.Registry),
	}
	a.Outbox.Wake = a.Notifier.Wake
	a.Payments = llgate.NewPayments(llgate.Payments{
		Store: o.Store, Vault: v, Clock: a.Clock, Issuer: a.Binding.Issuer, SMS: o.SMS, Binding: a.Binding,
		Notices: &notify.Signer{Key: a.PlatformKey}, Mode: o.Mode, Caps: a.Binding.Caps, Wake: a.Notifier.Wake,
		Pending: &llgate.PendingPays{},
	})
	a.Refunds = &llgate.Refunds{
		Store: o.Store, Vault: v, Clock: a.Clock, Issuer: a.Binding.Issuer, Notices: a.Payments.Notices,
		Payments: a.Payments, Wake: a.Notifier.Wake,
	}
	a.Ledger = &llgate.Ledger{Store: o.Store, Clock: a.Clock}
	a.Payouts = &llgate.Payouts{
		Store: o.Store, Vault: v, Clock: a.Clock, Issuer: a.Binding.Issuer,
		Channel: issuer.PayoutChannel{Outcomes: o.Mode == llgate.ModeSandbox},
		Sign:    notify.Signer{Key: a.PlatformKey}.Sign, Wake: a.Notifier.Wake,
	}
	payments := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "llgate_payments_total", Help: "Payments by the state they reached (SUCCESS, FAILURE, PROCESSING, CLOSED).",
	}, []string{"result"})
	o.Registry.MustRegister(payments)
	a.Payments.OnResult = func(status string) { payments.WithLabelValues(status).Inc() }
	if wc, ok := o.Store.(writeCounter); ok {
		o.Registry.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "llgate_store_updates_total", Help: "Write transactions asked of the store.",
			}, func() float64 { u, _ := wc.WriteCounts(); return float64(u) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "llgate_store_commits_total", Help: "Durable commits that served them (SQLite groups concurrent writes).",
			}, func() float64 { _, c := wc.WriteCounts(); return float64(c) }),
		)
	}
	a.Log = llgate.NewRequestLog(o.Store, v, o.Logger, o.Mode == llgate.ModeSandbox)
	if a.SandboxClock != nil {
		a.Sandbox = &llgate.Sandbox{Store: o.Store, Vault: v, Clock: a.SandboxClock, Merchants: a.Merchants, Log: a.Log,
			Wake: a.Notifier.Wake, Settle: a.SettleNow}
	}
	a.Browse = &llgate.Browse{Store: o.Store}
	a.Checkouts = &llgate.Checkouts{Store: o.Store, Vault: v, Clock: a.Clock, Payments: a.Payments}
	a.Reports = &report.Generator{Store: o.Store, Vault: v, Clock: a.Clock, Logger: o.Logger}
	a.ReportFiles = &llgate.ReportFiles{Store: o.Store, Vault: v}
	a.logger = o.Logger
	a.Server = httpapi.New(httpapi.Config{
		Mode: o.Mode, Store: o.Store, Vault: v, Clock: a.Clock, SandboxClock: a.SandboxClock,
		Merchants: a.Merchants, Binding: a.Binding, Payments: a.Payments, Refunds: a.Refunds, Ledger: a.Ledger, Payouts: a.Payouts, PlatformKey: a.PlatformKey,
		AdminToken: a.AdminToken, CheckHMAC: o.CheckHMAC, Limits: o.Limits, Logger: o.Logger,
		Metrics: httpapi.NewMetrics(o.Registry), Wake: a.Notifier.Wake, Outbox: a.Outbox, Reports: a.ReportFiles, Browse: a.Browse, TrustedProxies: o.TrustedProxies,
		MerchantRate: o.MerchantRate, AddrRate: o.AddrRate, RequestTimeout: o.RequestTimeout,
		Sandbox: a.Sandbox, Log: a.Log, Checkouts: a.Checkouts,
	})
	return a, nil
}

// writeCounter is a store that reports how its writes were committed.
type writeCounter interface {
	WriteCounts() (updates, commits int64)
}

// Start runs the work that comes due by the clock (notification attempts,
// settlements, closing orders, the 09:00 reports) until ctx ends; it needs
// no request to run.
// The returned function waits for it to stop.
func (a *App) Start(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); a.Notifier.Run(ctx) }()
	go func() { defer wg.Done(); a.settleLoop(ctx) }()
	go func() { defer wg.Done(); a.Reports.Loop(ctx, nil) }()
	return wg.Wait
}

// settleLoop settles due orders and refunds, polling often enough that a
// sandbox clock jump is felt within a fraction of a second.
func (a *App) settleLoop(ctx context.Context) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := a.SettleNow(ctx); err != nil && ctx.Err() == nil {
			a.logger.Warn("settle", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// SettleNow settles everything due by the clock now: it waits for a pass
// already running in this process, then runs until nothing is due. When it
// returns, every order and refund that was due is settled (tests use it
// instead of waiting on the background loop).
func (a *App) SettleNow(ctx context.Context) error {
	a.settleMu.Lock()
	defer a.settleMu.Unlock()
	for _, settle := range []func(context.Context) (int, error){a.Payments.Settle, a.Refunds.Settle, a.Ledger.Settle, a.Payouts.Settle} {
		for {
			n, err := settle(ctx)
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
		}
	}
	return nil
}

// Close flushes the request log. The store is the caller's.
func (a *App) Close() { a.Server.Close(); a.Log.Close() }
