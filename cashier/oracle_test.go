package cashier

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/sqlite/sqlitetest"
	"github.com/llgate/llgate/vault"
)

// e1MD5Key is the MD5 key configured in the E1 demo, which signed the MD5
// oracles (testdata/oracles/README.md).
const e1MD5Key = "201408071000001539_sahdisa_20141205"

// TestReturnsMatchTheOracles: for the orders of the oracle returns, the
// return llgate builds is, field for field and byte for byte, the one E1's
// own verifiers accepted, and never the ones they rejected.
func TestReturnsMatchTheOracles(t *testing.T) {
	ctx := context.Background()
	keyPEM, err := os.ReadFile(filepath.Join("..", "testdata", "clients", "keys", "platform_private_pkcs8.pem"))
	if err != nil {
		t.Fatal(err)
	}
	platform, err := protocol.ParsePrivateKey(string(keyPEM))
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := os.ReadFile(filepath.Join("..", "testdata", "clients", "keys", "merchant_public_spki.pem"))
	if err != nil {
		t.Fatal(err)
	}
	store := sqlitetest.Open(t)
	v, err := vault.New(store, vault.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	merchants := &llgate.Merchants{Store: store, Vault: v, Clock: llgate.ClockFunc(time.Now), ParseKey: protocol.ParsePublicKey}
	if _, err := merchants.Create(ctx, &llgate.Merchant{OidPartner: "201408071000001539", PublicKeys: []string{string(pubPEM)},
		SignTypes: []string{llgate.SignRSA, llgate.SignMD5}}, e1MD5Key); err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{PlatformKey: platform, Merchants: merchants})
	if err != nil {
		t.Fatal(err)
	}

	// The orders behind the oracles (their fields, as the PHP demo sent them).
	web := &llgate.Order{OidPartner: "201408071000001539", DtOrder: "20261206142826", NoOrder: "vec2-web-pay-20261206",
		OidPaybill: "2026120600000101", MoneyOrder: "0.1", SettleDate: "20261206", BankCode: "01020000", Status: llgate.OrderSuccess}
	h5 := &llgate.Order{OidPartner: "201408071000001539", DtOrder: "20261206062826", NoOrder: "vec2-h5-pay-20261206",
		OidPaybill: "2026120600000102", MoneyOrder: "0.1", SettleDate: "20261206", BankCode: "01020000", Status: llgate.OrderSuccess}
	info := "用户13958069593购买羽毛球3桶"

	for _, tc := range []struct {
		oracle   string
		flavour  string
		signType string
		order    *llgate.Order
		info     string
		rejected string // the oracle E1 rejected for this shape
	}{
		{"ret-web-md5.body", llgate.FlavourWEB, llgate.SignMD5, web, info, "ret-web-md5-retcode.body"},
		{"ret-web-rsa.body", llgate.FlavourWEB, llgate.SignRSA, web, info, ""},
		{"ret-h5-rsa.body", llgate.FlavourH5, llgate.SignRSA, h5, "", "ret-h5-rsa-retcode.body"},
	} {
		t.Run(tc.oracle, func(t *testing.T) {
			view := &llgate.CheckoutView{
				Checkout: &llgate.Checkout{OidPartner: tc.order.OidPartner, Flavour: tc.flavour, SignType: tc.signType,
					PayType: "M", URLReturn: "http://127.0.0.1/return"},
				Order:  tc.order,
				Secret: &llgate.CheckoutSecret{InfoOrder: tc.info},
			}
			ret, err := c.syncReturn(ctx, view)
			if err != nil {
				t.Fatal(err)
			}
			got := url.Values{}
			for _, f := range ret.Fields {
				got.Add(f.Name, f.Value)
			}
			want := oracleValues(t, tc.oracle)
			if got.Encode() != want.Encode() {
				t.Fatalf("llgate's return differs from the oracle E1 verified:\n got %s\nwant %s", got.Encode(), want.Encode())
			}
			if tc.rejected != "" && got.Encode() == oracleValues(t, tc.rejected).Encode() {
				t.Fatalf("llgate's return is the one E1 rejected (%s)", tc.rejected)
			}
		})
	}
}

// oracleValues reads an oracle POST body (application/x-www-form-urlencoded).
func oracleValues(t *testing.T, name string) url.Values {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "oracles", name))
	if err != nil {
		t.Fatal(err)
	}
	v, err := url.ParseQuery(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
