package client_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/protocol"
)

// A merchant binds a card and pays with the agreement. Against the llgate
// sandbox, the SMS codes are in GET /admin/sms (or fixed by the merchant's
// sms_code); the platform key is GET /admin/platform-key.
func Example() {
	ctx := context.Background()
	merchantKey, err := protocol.ParsePrivateKey(os.Getenv("MERCHANT_PRIVATE_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	platformKey, err := protocol.ParsePublicKey(os.Getenv("LLGATE_PLATFORM_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	c := client.New("http://127.0.0.1:8080", "201408071000001539", merchantKey, platformKey)

	bind, err := c.BindApply(ctx, map[string]string{
		"user_id":    "u1001",
		"no_order":   "bind-20261122100000",
		"dt_order":   "20261122100000",
		"card_no":    "6222021234567800002",
		"acct_name":  "张三",
		"id_type":    "0",
		"id_no":      "110105199003071239",
		"bind_mob":   "13800138000",
		"pay_type":   "2",
		"notify_url": "https://merchant.example.com/llpay/notify",
	})
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		log.Fatalf("bind refused: %s %s", apiErr.RetCode, apiErr.RetMsg)
	} else if err != nil {
		log.Fatal(err) // transport, HTTP status or answer signature
	}
	verified, err := c.BindVerify(ctx, map[string]string{
		"user_id":     "u1001",
		"token":       bind.Get("token"),
		"verify_code": "123456", // the code the cardholder received
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("agreement", verified.Get("no_agree"))
}

// A notify_url handler verifies the platform's signature, records the result
// idempotently, and acknowledges. NewTestNotification signs a fake
// notification with a test key, so the handler can be tested without the
// platform.
func ExampleVerifyNotification() {
	testKey := mustExampleKey("../testdata/clients/keys/platform_private_pkcs8.pem")
	platformKey := &testKey.PublicKey // in production: the platform's public key

	notify := func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		fields, err := client.VerifyNotification(body, platformKey)
		if err != nil || fields["oid_partner"] != "201408071000001539" {
			http.Error(w, "bad notification", http.StatusBadRequest) // the platform retries
			return
		}
		fmt.Println("paid:", fields["no_order"], fields["money_order"], fields["result_pay"])
		w.Write(client.Acknowledge())
	}

	body, err := client.NewTestNotification(testKey, map[string]string{
		"oid_partner": "201408071000001539",
		"no_order":    "pay-20261122100000",
		"dt_order":    "20261122100000",
		"oid_paybill": "2026112200000002",
		"money_order": "12.34",
		"result_pay":  "SUCCESS",
		"settle_date": "20261122",
		"pay_type":    "2",
		"bank_code":   "01020000",
		"no_agree":    "2026112200000001",
	}, "RSA")
	if err != nil {
		log.Fatal(err)
	}
	rec := httptest.NewRecorder()
	notify(rec, httptest.NewRequest(http.MethodPost, "/llpay/notify", bytes.NewReader(body)))
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// paid: pay-20261122100000 12.34 SUCCESS
	// 200 {"ret_code":"0000","ret_msg":"交易成功"}
}

func mustExampleKey(path string) *rsa.PrivateKey {
	b, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	k, err := protocol.ParsePrivateKey(string(b))
	if err != nil {
		log.Fatal(err)
	}
	return k
}
