package sms

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/llgate/llgate"
)

// FromConfig builds the sender the CLI asks for. kind is "outbox" (the
// sandbox inbox, also for ""), "log" (dry runs) or "http" (a provider at url
// with the body template tmpl; set Header on the returned *HTTP for an API
// key). store, vault and clock are needed by "outbox" only, logger by "log".
func FromConfig(kind, url, tmpl string, store llgate.Store, vault llgate.Vault, clock llgate.Clock, logger *slog.Logger) (llgate.SMSSender, error) {
	switch kind {
	case "", "outbox":
		if store == nil || vault == nil || clock == nil {
			return nil, errors.New("sms: outbox needs a store, a vault and a clock")
		}
		return Outbox{Store: store, Vault: vault, Clock: clock}, nil
	case "log":
		return Log{Logger: logger}, nil
	case "http":
		if url == "" {
			return nil, errors.New("sms: http sender needs a provider URL")
		}
		h, err := NewHTTP(url, tmpl)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return h, nil
	default:
		return nil, fmt.Errorf("sms: unknown sender %q (want outbox, log or http)", kind)
	}
}
