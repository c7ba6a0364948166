package httpapi

import (
	"context"
	"errors"
	"net/http"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/console"
	"github.com/llgate/llgate/golive"
	"github.com/llgate/llgate/notify"
	"github.com/llgate/llgate/protocol"
)

// newConsole builds the web console over the same use cases as the admin
// API, with the admin API's token, audit log and client addresses. Its
// templates are embedded and tested: a failure here is a broken build.
func (s *Server) newConsole() http.Handler {
	c, err := console.New(console.Config{
		Mode: s.cfg.Mode, AdminToken: s.cfg.AdminToken, Clock: s.cfg.Clock, Merchants: s.cfg.Merchants,
		Sandbox: s.cfg.Sandbox, Log: s.cfg.Log, Outbox: s.cfg.Outbox, Reports: s.cfg.Reports,
		Browse: s.cfg.Browse, Checkouts: s.cfg.Checkouts, PlatformKey: &s.cfg.PlatformKey.PublicKey, Logger: s.cfg.Logger,
		ClientAddr: s.clientAddr, Audit: s.audit, GoLive: s.golive, Changes: merchantChanges,
	})
	if err != nil {
		panic("httpapi: the console's templates: " + err.Error())
	}
	return c
}

// golive runs the go-live check of a merchant's notify URL as
// `llgate golive` does, through the transport the notifier uses in this
// mode: a gateway refuses loopback, private and link-local addresses.
func (s *Server) golive(ctx context.Context, oid, notifyURL string) (*golive.Report, error) {
	if err := protocol.ValidateURL("notify_url", notifyURL); err != nil {
		msg := "the notify URL is not valid"
		if e, ok := errors.AsType[*llgate.Error](err); ok && e.Detail != "" {
			msg = "the notify URL " + e.Detail
		}
		return nil, &llgate.ValidationError{Msg: msg}
	}
	m, err := s.cfg.Merchants.Get(ctx, oid)
	if err != nil {
		return nil, err
	}
	gateway := s.cfg.Mode == llgate.ModeGateway
	transport := notify.NewTransport(gateway, !gateway)
	defer transport.CloseIdleConnections()
	return (&golive.Checker{
		PlatformKey: s.cfg.PlatformKey, OidPartner: m.OidPartner, ExtraFields: m.NotifyExtraFields,
		SignType: golive.SignTypeFor(m.SignTypes), URL: notifyURL, Transport: transport, Clock: s.cfg.Clock,
	}).Run(ctx)
}

// merchantChanges is changedFields for the console's forms.
func merchantChanges(before, after *llgate.Merchant, md5 bool) []string {
	var b merchantOut
	if before != nil {
		b = merchantJSON(before)
	}
	return changedFields(b, merchantJSON(after), md5)
}
