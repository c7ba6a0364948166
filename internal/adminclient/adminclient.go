// Package adminclient calls llgate's admin API: one client for the command
// line (llgate call, llgate notify), the bench and the fault tests.
package adminclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxAnswer bounds an answer read; notification listings are the largest.
const maxAnswer = 64 << 20

var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

// Client is the admin API of one server.
type Client struct {
	URL   string       // base URL; a trailing slash is fine
	Token string       // the admin token
	HTTP  *http.Client // nil: 30-second timeout
}

// Do sends body as JSON (nil: no body) to path (which may carry a query),
// and decodes the answer into out (nil: ignored) when its status is want.
// Any other status is an error naming it and the server's "error" text.
func (c *Client) Do(ctx context.Context, method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.URL, "/")+path, rd)
	if err != nil {
		return fmt.Errorf("admin API: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	res, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin API: %w", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("admin API %s %s: %w", method, path, err)
	}
	if res.StatusCode != want {
		return fmt.Errorf("admin API %s %s: HTTP %d: %s", method, path, res.StatusCode, reason(raw))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("admin API %s %s: %w", method, path, err)
		}
	}
	return nil
}

// reason is the "error" of an admin API error answer, or the start of it.
func reason(raw []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Error != "" {
		return e.Error
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 300 {
		raw = raw[:300]
	}
	return strings.ToValidUTF8(string(raw), "")
}

// PlatformKeyPEM returns the platform's public key, PEM-encoded.
func (c *Client) PlatformKeyPEM(ctx context.Context) (string, error) {
	var got struct {
		PEM string `json:"pem"`
	}
	if err := c.Do(ctx, http.MethodGet, "/admin/platform-key", nil, http.StatusOK, &got); err != nil {
		return "", err
	}
	return got.PEM, nil
}
