package bench

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"math/big"
	"net/http"

	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/internal/adminclient"
	"github.com/llgate/llgate/protocol"
)

// SMSCode is the fixed code of the bench merchant (a sandbox feature), so
// the bind-list setup can verify binds without reading the SMS inbox.
const SMSCode = "123456"

// platformKey fetches the key envelopes are sealed to and answers verify with.
func platformKey(ctx context.Context, a *adminclient.Client) (*rsa.PublicKey, error) {
	pem, err := a.PlatformKeyPEM(ctx)
	if err != nil {
		return nil, err
	}
	return protocol.ParsePublicKey(pem)
}

// merchant is the bench's own merchant.
type merchant struct {
	oid string
	key *rsa.PrivateKey
	sdk *client.Client // builds the requests and checks the answers
	pay *payState      // set by the pay-apply path
}

// provision creates a merchant with a random oid_partner, so runs against
// a long-lived server never share users, tokens or agreements.
func provision(ctx context.Context, a *adminclient.Client, key *rsa.PrivateKey, platform *rsa.PublicKey) (*merchant, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1e16))
	if err != nil {
		return nil, err
	}
	oid := fmt.Sprintf("29%016d", n)
	// The velocity caps at their highest: a bench of a server with its
	// limits on measures the counters' cost, not their refusals.
	body := map[string]any{
		"oid_partner": oid, "name": "llgate bench", "sms_code": SMSCode,
		"public_key": protocol.MarshalPublicKeyPEM(&key.PublicKey),
		"velocity":   map[string]int{"phones_per_hour": 1_000_000, "cards_per_hour": 1_000_000},
	}
	if err := a.Do(ctx, http.MethodPost, "/admin/merchants", body, http.StatusCreated, nil); err != nil {
		return nil, err
	}
	sdk := client.New(a.URL, oid, key, platform)
	sdk.HTTPClient = a.HTTP
	return &merchant{oid: oid, key: key, sdk: sdk}, nil
}
