package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"

	"github.com/llgate/llgate/protocol"
)

// SMSCode is the fixed code of the bench merchant (a sandbox feature), so
// the bind-list setup can verify binds without reading the SMS inbox.
const SMSCode = "123456"

// admin calls the admin API.
type admin struct {
	base, token string
	hc          *http.Client
}

func (a *admin) do(ctx context.Context, method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := a.hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin API: %w", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("admin API %s %s: %w", method, path, err)
	}
	if res.StatusCode != want {
		return fmt.Errorf("admin API %s %s: HTTP %d: %s", method, path, res.StatusCode, bytes.TrimSpace(raw))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("admin API %s %s: %w", method, path, err)
		}
	}
	return nil
}

// platformKey fetches the key envelopes are sealed to and answers verify with.
func (a *admin) platformKey(ctx context.Context) (*rsa.PublicKey, error) {
	var got struct {
		PEM string `json:"pem"`
	}
	if err := a.do(ctx, http.MethodGet, "/admin/platform-key", nil, http.StatusOK, &got); err != nil {
		return nil, err
	}
	return protocol.ParsePublicKey(got.PEM)
}

// merchant is the bench's own merchant.
type merchant struct {
	oid      string
	key      *rsa.PrivateKey
	platform *rsa.PublicKey
	pay      *payState // set by the pay-apply path
}

// provision creates a merchant with a random oid_partner, so runs against
// a long-lived server never share users, tokens or agreements.
func provision(ctx context.Context, a *admin, key *rsa.PrivateKey, platform *rsa.PublicKey) (*merchant, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1e16))
	if err != nil {
		return nil, err
	}
	oid := fmt.Sprintf("29%016d", n)
	body := map[string]any{
		"oid_partner": oid, "name": "llgate bench", "sms_code": SMSCode,
		"public_key": protocol.MarshalPublicKeyPEM(&key.PublicKey),
	}
	if err := a.do(ctx, http.MethodPost, "/admin/merchants", body, http.StatusCreated, nil); err != nil {
		return nil, err
	}
	return &merchant{oid: oid, key: key, platform: platform}, nil
}
