package httpapi

import (
	"encoding/json"
	"log/slog"
	"testing"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/sqlite/sqlitetest"
	"github.com/llgate/llgate/vault"
)

// BenchmarkRequestDetail is the request log writer's cost of one bind
// apply's detail: built, masked, fingerprinted and encoded. The request
// itself pays none of it (it runs off the request path), but the server's
// CPU does.
func BenchmarkRequestDetail(b *testing.B) {
	store := sqlitetest.Open(b)
	v, err := vault.New(store, vault.GenerateMasterKey())
	if err != nil {
		b.Fatal(err)
	}
	log := llgate.NewRequestLog(store, v, slog.New(slog.DiscardHandler), false)
	s := &Server{cfg: Config{Log: log}}
	req := []byte(`{"oid_partner":"201408071000001539","sign_type":"RSA","user_id":"u-000123","pay_type":"2",` +
		`"id_type":"0","id_no":"110105199003071239","acct_name":"张三","card_no":"6222021234567800002",` +
		`"bind_mob":"13800138000","risk_item":"{\"frms_ware_category\":\"4007\",\"user_info_mercht_userno\":\"u-000123\",` +
		`\"user_info_dt_register\":\"20250101120000\"}","sign":"` + sig344 + `"}`)
	ans := []byte(`{"oid_partner":"201408071000001539","ret_code":"8888","ret_msg":"交易成功","sign":"` + sig344 +
		`","sign_type":"RSA","token":"0123456789ABCDEF0123456789ABCDEF","user_id":"u-000123"}`)
	fields, err := protocol.Decode(req)
	if err != nil {
		b.Fatal(err)
	}
	x := &exchange{fields: fields, encrypted: true, envelope: envelopeOpened, sign: signCheck{reached: true, verified: true, keys: 1, legacy: -1}}
	for b.Loop() {
		if _, err := json.Marshal(s.detailOf(x, ans)()); err != nil {
			b.Fatal(err)
		}
	}
}

const sig344 = "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVs" +
	"bG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29y" +
	"bGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVs" +
	"bG8gd29ybGQgaGVsbG8gd29ybGQ="
