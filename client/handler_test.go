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

	"github.com/llgate/llgate/sqlite/sqlitetest"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/vault"
)

const testOid = "201408071000001539"

// bindFields is a complete MPAY bind apply for user.
func bindFields(user string) map[string]string {
	return map[string]string{"user_id": user, "pay_type": "2", "id_type": "0", "id_no": "110105199003071239",
		"acct_name": "张三", "card_no": "6222021234567800002", "bind_mob": "13800138000"}
}

// TestAgainstRealHandler runs the SDK against the real server: internal/app
// with its store, vault, envelope opening, signature checks and use cases.
func TestAgainstRealHandler(t *testing.T) {
	ctx := context.Background()
	platform := mustPrivateKey(t, "platform_private_pkcs8.pem")
	merchant := mustPrivateKey(t, "merchant_private_pkcs8.pem")
	a, err := app.New(ctx, app.Options{Store: sqlitetest.Open(t), MasterKey: vault.GenerateMasterKey(),
		PlatformKey: platform, AdminToken: "t", Limits: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Merchants.Create(ctx, &llgate.Merchant{OidPartner: testOid, PublicKeys: []string{protocol.MarshalPublicKeyPEM(&merchant.PublicKey)}}, ""); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a.Server)
	t.Cleanup(func() { ts.Close(); a.Close() })

	for _, signType := range []string{"RSA", "SHA256withRSA"} {
		c := client.New(ts.URL, testOid, merchant, &platform.PublicKey)
		c.SignType = signType
		res, err := c.CardBin(ctx, map[string]string{"card_no": "6222021234567800002"})
		if err != nil {
			t.Fatalf("%s: %v", signType, err)
		}
		if res.Get("ret_code") != "0000" || res.Get("sign_type") != signType || res.Get("bank_code") != "01020000" {
			t.Errorf("%s: answer %v", signType, res.Fields)
		}
	}

	c := client.New(ts.URL, testOid, merchant, &platform.PublicKey)
	res, err := c.BindApply(ctx, bindFields("u1"))
	if err != nil || res.Get("ret_code") != "8888" || res.Get("user_id") != "u1" || res.Get("token") == "" {
		t.Fatalf("envelope: %v, %v", res, err)
	}

	// Bodies built ahead (Body, EncryptedBody), posted by other means, and
	// their answers read with ReadAnswer: as Call and CallEncrypted do.
	for _, tc := range []struct {
		route     string
		encrypted bool
		fields    map[string]string
		want      string
	}{
		{client.PathCardBin, false, map[string]string{"card_no": "6222021234567800002"}, "0000"},
		{client.PathBindApply, true, bindFields("u2"), "8888"},
	} {
		build := c.Body
		if tc.encrypted {
			build = c.EncryptedBody
		}
		body, err := build(tc.fields)
		if err != nil {
			t.Fatal(err)
		}
		if sealed := bytes.Contains(body, []byte(`"pay_load"`)) && !bytes.Contains(body, []byte("6222021234567800002")); sealed != tc.encrypted {
			t.Errorf("%s: body sealed %v, want %v: %s", tc.route, sealed, tc.encrypted, body)
		}
		res, err := http.Post(ts.URL+tc.route, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if a, err := c.ReadAnswer(tc.route, raw); err != nil || a.Get("ret_code") != tc.want {
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

	other := client.New(ts.URL, testOid, platform, &platform.PublicKey) // signs with the wrong key
	if _, err := other.CardBin(ctx, map[string]string{"card_no": "1"}); !errors.As(err, &apiErr) || apiErr.RetCode != "1001" {
		t.Fatalf("wrong key: got %v", err)
	}

	untrusting := untrustingOf(ts.URL, merchant)
	if _, err := untrusting.CardBin(ctx, map[string]string{"card_no": "6222021234567800002"}); !errors.Is(err, client.ErrBadAnswerSignature) {
		t.Fatalf("answer signed by another key: got %v, want ErrBadAnswerSignature", err)
	}
}

// untrustingOf is a client that takes its own key for the platform's.
func untrustingOf(url string, merchant *rsa.PrivateKey) *client.Client {
	return client.New(url, testOid, merchant, &merchant.PublicKey)
}
