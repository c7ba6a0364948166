package cashier_test

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// The merchant side of the sync return, written from the contract
// (CONTRACT-easypay-payouts.md §3.1 E1, §4.4) and not from llgate's code:
// the classic verifiers rebuild the sign source from a fixed field list,
// keys sorted, empty values dropped, and reject a return with any other
// field (E5 verifies every posted field, so an extra one fails there too).
var (
	webWhitelist = []string{"oid_partner", "sign_type", "dt_order", "no_order", "oid_paybill", "money_order",
		"result_pay", "settle_date", "info_order", "pay_type", "bank_code"}
	h5Whitelist = []string{"oid_partner", "sign_type", "no_order", "dt_order", "oid_paybill", "money_order",
		"result_pay", "settle_date"}
)

// verifyWEBReturn checks a WEB return's posted fields.
func verifyWEBReturn(posted [][2]string, platform *rsa.PublicKey, md5Key string) (map[string]string, error) {
	got := map[string]string{}
	for _, kv := range posted {
		if _, dup := got[kv[0]]; dup {
			return nil, fmt.Errorf("field %s posted twice", kv[0])
		}
		got[kv[0]] = kv[1]
	}
	return got, verifyFields(got, webWhitelist, platform, md5Key)
}

// verifyH5Return checks an H5 return: exactly one field, res_data, a JSON
// object of the H5 list + sign.
func verifyH5Return(posted [][2]string, platform *rsa.PublicKey, md5Key string) (map[string]string, error) {
	if len(posted) != 1 || posted[0][0] != "res_data" {
		return nil, fmt.Errorf("an H5 return posts exactly res_data; got %v", posted)
	}
	got := map[string]string{}
	if err := json.Unmarshal([]byte(posted[0][1]), &got); err != nil {
		return nil, fmt.Errorf("res_data is not a JSON object of strings: %v", err)
	}
	return got, verifyFields(got, h5Whitelist, platform, md5Key)
}

func verifyFields(got map[string]string, whitelist []string, platform *rsa.PublicKey, md5Key string) error {
	for k := range got {
		if k != "sign" && !slices.Contains(whitelist, k) {
			return fmt.Errorf("field %s is outside the whitelist (it would break the merchant's verifier)", k)
		}
	}
	var kv []string
	for _, k := range whitelist {
		if v := got[k]; v != "" {
			kv = append(kv, k+"="+v)
		}
	}
	sort.Strings(kv)
	src := strings.Join(kv, "&")
	if got["result_pay"] != llgate.OrderSuccess {
		return fmt.Errorf("result_pay %q, want SUCCESS", got["result_pay"])
	}
	switch t := got["sign_type"]; t {
	case llgate.SignMD5:
		return protocol.VerifyMD5(src, md5Key, got["sign"])
	case llgate.SignRSA, llgate.SignSHA256:
		return protocol.Verify(platform, t, src, got["sign"])
	default:
		return fmt.Errorf("sign_type %q", t)
	}
}
