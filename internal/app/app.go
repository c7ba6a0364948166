// Package app assembles llgate from its parts: store, vault, clock, issuer,
// SMS sender, use cases and HTTP server. The serve command, the end-to-end
// tests and the benchmark build the same thing through it.
package app

import (
	"context"
	"crypto/rsa"
	"log/slog"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/httpapi"
	"github.com/llgate/llgate/issuer"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/sms"
	"github.com/llgate/llgate/vault"
)

// Options configure an App. Store and MasterKey are required.
type Options struct {
	Mode        llgate.Mode // default sandbox
	Store       llgate.Store
	MasterKey   []byte
	PlatformKey *rsa.PrivateKey // nil: created once and stored sealed
	AdminToken  string
	Limits      bool             // caps and rate limits
	CheckHMAC   bool             // forced on in sandbox mode
	SMS         llgate.SMSSender // nil: built from SMSKind (outbox in sandbox, log in gateway)
	SMSKind     string           // "outbox", "log" or "http"
	SMSURL      string
	SMSTemplate string
	Logger      *slog.Logger
	Wall        func() time.Time // the sandbox clock's wall time (tests); nil = time.Now
}

// App is a wired llgate.
type App struct {
	Store        llgate.Store
	Vault        *vault.Vault
	Clock        llgate.Clock
	SandboxClock *llgate.SandboxClock // nil in gateway mode
	Merchants    *llgate.Merchants
	Binding      *llgate.Binding
	PlatformKey  *rsa.PrivateKey
	Server       *httpapi.Server
}

// New wires an App over an open store.
func New(ctx context.Context, o Options) (*App, error) {
	if o.Mode == "" {
		o.Mode = llgate.ModeSandbox
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	v, err := vault.New(o.Store, o.MasterKey)
	if err != nil {
		return nil, err
	}
	a := &App{Store: o.Store, Vault: v}
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
	a.Binding = &llgate.Binding{
		Store: o.Store, Vault: v, Clock: a.Clock, SMS: o.SMS, Mode: o.Mode,
		Issuer: &issuer.Simulated{Store: o.Store, Vault: v, Clock: a.Clock, Outcomes: o.Mode == llgate.ModeSandbox},
	}
	if o.Limits {
		a.Binding.Caps = llgate.DefaultCaps()
	}
	a.Server = httpapi.New(httpapi.Config{
		Mode: o.Mode, Store: o.Store, Vault: v, Clock: a.Clock, SandboxClock: a.SandboxClock,
		Merchants: a.Merchants, Binding: a.Binding, PlatformKey: a.PlatformKey, AdminToken: o.AdminToken,
		CheckHMAC: o.CheckHMAC, Limits: o.Limits, Logger: o.Logger,
	})
	return a, nil
}

// Close flushes the server's request log. The store is the caller's.
func (a *App) Close() { a.Server.Close() }
