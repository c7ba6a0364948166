package notify

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"testing"

	llgate "github.com/llgate/llgate"
)

// TestNoticesMatchTheOracles: for the order behind the wave-2 notification
// oracles, llgate's payment notification is field for field (signature
// included) the one LianLian's PHP demo verifiers accepted: RSA with the
// platform key, and MD5 with the merchant's key (the E1 WEB verifier knows
// only MD5, so an MD5 merchant's notifications must be MD5-signed).
func TestNoticesMatchTheOracles(t *testing.T) {
	o := &llgate.Order{OidPartner: "201408071000001539", NoOrder: "vec2-h5-pay-20261206", DtOrder: "20261206062826",
		OidPaybill: "2026120600000102", MoneyOrder: "0.1", Status: llgate.OrderSuccess, PayType: "M", BankCode: "01020000"}
	pn := &llgate.PaymentNotice{Order: o, InfoOrder: "用户13958069593购买羽毛球3桶", NoAgree: "2026120600000999", SettleDate: "20261206"}
	s := Signer{Key: testPlatformKey(t)}
	for _, tc := range []struct {
		oracle, signType, md5Key string
	}{
		{"ntf-rsa.body", llgate.SignRSA, ""},
		{"ntf-md5.body", llgate.SignMD5, "201408071000001539_sahdisa_20141205"}, // the E1 demo's MD5 key
	} {
		body, err := s.SignPayment(pn, tc.signType, tc.md5Key)
		if err != nil {
			t.Fatal(err)
		}
		var got, want map[string]string
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join("testdata", "oracles", tc.oracle))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: llgate's notification differs from the one E1 accepted:\n got %v\nwant %v", tc.oracle, got, want)
		}
	}
}
