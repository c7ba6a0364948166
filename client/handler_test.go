package client_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/httpapi"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/sqlite"
	"github.com/llgate/llgate/vault"
)

const testOid = "201408071000001539"

// TestAgainstRealHandler runs the SDK against the real httpapi pipeline:
// real store, vault, envelope opening and signature checks.
func TestAgainstRealHandler(t *testing.T) {
	ctx := context.Background()
	store := sqlite.MustOpenTest(t)
	v, err := vault.New(store, vault.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	clock, err := llgate.NewSandboxClock(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	platform := mustPrivateKey(t, "platform_private_pkcs8.pem")
	merchant := mustPrivateKey(t, "merchant_private_pkcs8.pem")
	ms := &llgate.Merchants{Store: store, Vault: v, Clock: clock, ParseKey: protocol.ParsePublicKey}
	if _, err := ms.Create(ctx, &llgate.Merchant{OidPartner: testOid, PublicKeys: []string{protocol.MarshalPublicKeyPEM(&merchant.PublicKey)}}, ""); err != nil {
		t.Fatal(err)
	}
	seen := make(chan *httpapi.Request, 1)
	echo := func(ctx context.Context, r *httpapi.Request) (*httpapi.Answer, error) {
		seen <- r
		if r.Fields.Get("card_no") == "" {
			return nil, llgate.FieldError("card_no", "missing")
		}
		return httpapi.NewAnswer("0000", map[string]string{"oid_partner": testOid, "card_no": "0002"}), nil
	}
	srv := httpapi.New(httpapi.Config{
		Store: store, Vault: v, Clock: clock, SandboxClock: clock, Merchants: ms, PlatformKey: platform,
		AdminToken: "t", CheckHMAC: true,
		Endpoints: map[string]httpapi.Endpoint{httpapi.RouteCardBin: echo, httpapi.RouteBindApply: echo},
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close() })

	for _, signType := range []string{"RSA", "SHA256withRSA"} {
		c := client.New(ts.URL, testOid, merchant, &platform.PublicKey)
		c.SignType = signType
		res, err := c.CardBin(ctx, map[string]string{"card_no": "6222021234567800002"})
		if err != nil {
			t.Fatalf("%s: %v", signType, err)
		}
		if res.Get("ret_code") != "0000" || res.Get("sign_type") != signType {
			t.Errorf("%s: answer %v", signType, res.Fields)
		}
		<-seen
	}

	c := client.New(ts.URL, testOid, merchant, &platform.PublicKey)
	if _, err := c.BindApply(ctx, map[string]string{"card_no": "6222021234567800002", "user_id": "u1"}); err != nil {
		t.Fatalf("envelope: %v", err)
	}
	if r := <-seen; !r.Encrypted || r.Fields.Get("user_id") != "u1" {
		t.Errorf("envelope request seen as %+v", r)
	}

	_, err = c.CardBin(ctx, map[string]string{"api_version": "1.0"})
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || apiErr.RetCode != "1004" || apiErr.RetMsg != "商户请求参数校验错误（card_no）" {
		t.Fatalf("missing field: got %v", err)
	}
	<-seen

	other := client.New(ts.URL, testOid, platform, &platform.PublicKey) // signs with the wrong key
	if _, err := other.CardBin(ctx, map[string]string{"card_no": "1"}); !errors.As(err, &apiErr) || apiErr.RetCode != "1001" {
		t.Fatalf("wrong key: got %v", err)
	}

	untrusting := client.New(ts.URL, testOid, merchant, &merchant.PublicKey) // wrong platform key
	if _, err := untrusting.CardBin(ctx, map[string]string{"card_no": "1"}); !errors.Is(err, client.ErrBadAnswerSignature) {
		t.Fatalf("answer signed by another key: got %v, want ErrBadAnswerSignature", err)
	}
	<-seen
}
