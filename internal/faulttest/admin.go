package faulttest

import (
	"context"
	"net/http"
	"time"

	"github.com/llgate/llgate/internal/adminclient"
)

// Admin calls the admin API of one server.
type Admin struct {
	URL   string
	Token string
}

// Do sends a JSON request and decodes a 200 answer into out.
func (a Admin) Do(ctx context.Context, method, path string, body, out any) error {
	c := adminclient.Client{URL: a.URL, Token: a.Token}
	return c.Do(ctx, method, path, body, http.StatusOK, out)
}

// Advance moves the sandbox clock forward.
func (a Admin) Advance(ctx context.Context, d time.Duration) error {
	return a.Do(ctx, "POST", "/admin/clock", map[string]any{"advance_seconds": int64(d / time.Second)}, nil)
}

// OutboxEntry is a notification as GET /admin/notifications shows it.
type OutboxEntry struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	NoOrder  string `json:"no_order"`
	NoRefund string `json:"no_refund"`
	Status   string `json:"status"`
	Attempts []struct {
		HTTPStatus int `json:"http_status"`
	} `json:"attempts"`
}

// Outbox lists the notifications of one order (noOrder) or one refund.
func (a Admin) Outbox(ctx context.Context, noOrder, noRefund string) ([]OutboxEntry, error) {
	var out struct {
		Notifications []OutboxEntry `json:"notifications"`
	}
	q := "/admin/notifications?oid_partner=" + OidPartner
	if noOrder != "" {
		q += "&no_order=" + noOrder
	}
	if noRefund != "" {
		q += "&no_refund=" + noRefund
	}
	err := a.Do(ctx, "GET", q, nil, &out)
	return out.Notifications, err
}
