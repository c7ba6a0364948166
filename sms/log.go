package sms

import (
	"context"
	"log/slog"
	"strings"

	"github.com/llgate/llgate"
)

// Log is a sender that only logs, for dry runs of a gateway: one "sms sent"
// line with the merchant, the phone masked (138****8000) and the code as
// stars. The text is never logged.
type Log struct {
	Logger *slog.Logger // nil: slog.Default()
}

var _ llgate.SMSSender = Log{}

// Send logs m and returns nil.
func (l Log) Send(ctx context.Context, m llgate.SMS) error {
	logger := l.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "sms sent",
		slog.String("oid_partner", m.OidPartner),
		slog.String("mobile", llgate.MaskPhone(m.Mobile)),
		slog.String("code", strings.Repeat("*", len(m.Code))),
	)
	return nil
}
