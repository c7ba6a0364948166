package httpapi

import (
	"net/http"

	"github.com/llgate/llgate/console"
)

// newConsole builds the web console over the same use cases as the admin
// API, with the admin API's token, audit log and client addresses. Its
// templates are embedded and tested: a failure here is a broken build.
func (s *Server) newConsole() http.Handler {
	c, err := console.New(console.Config{
		Mode: s.cfg.Mode, AdminToken: s.cfg.AdminToken, Clock: s.cfg.Clock, Merchants: s.cfg.Merchants,
		Sandbox: s.cfg.Sandbox, Log: s.cfg.Log, Outbox: s.cfg.Outbox, Reports: s.cfg.Reports,
		Browse: s.cfg.Browse, PlatformKey: &s.cfg.PlatformKey.PublicKey, Logger: s.cfg.Logger,
		ClientAddr: s.clientAddr, Audit: s.audit,
	})
	if err != nil {
		panic("httpapi: the console's templates: " + err.Error())
	}
	return c
}
