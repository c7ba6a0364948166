package client_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
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

	// Bodies built ahead (Body, EncryptedBody), posted by other means, and
	// their answers read with ReadAnswer: as Call and CallEncrypted do.
	for _, tc := range []struct {
		route     string
		encrypted bool
	}{{httpapi.RouteCardBin, false}, {httpapi.RouteBindApply, true}} {
		build := c.Body
		if tc.encrypted {
			build = c.EncryptedBody
		}
		body, err := build(map[string]string{"card_no": "6222021234567800002", "user_id": "u2"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.Post(ts.URL+tc.route, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if r := <-seen; r.Encrypted != tc.encrypted || r.Fields.Get("user_id") != "u2" {
			t.Errorf("%s: request seen as %+v", tc.route, r)
		}
		if a, err := c.ReadAnswer(tc.route, raw); err != nil || a.Get("ret_code") != "0000" {
			t.Errorf("%s: ReadAnswer: %v, %v", tc.route, a, err)
		}
		if _, err := untrustingOf(ts.URL, merchant).ReadAnswer(tc.route, raw); !errors.Is(err, client.ErrBadAnswerSignature) {
			t.Errorf("%s: ReadAnswer with the wrong platform key: %v", tc.route, err)
		}
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

	untrusting := untrustingOf(ts.URL, merchant)
	if _, err := untrusting.CardBin(ctx, map[string]string{"card_no": "1"}); !errors.Is(err, client.ErrBadAnswerSignature) {
		t.Fatalf("answer signed by another key: got %v, want ErrBadAnswerSignature", err)
	}
	<-seen
}

// untrustingOf is a client that takes its own key for the platform's.
func untrustingOf(url string, merchant *rsa.PrivateKey) *client.Client {
	return client.New(url, testOid, merchant, &merchant.PublicKey)
}
