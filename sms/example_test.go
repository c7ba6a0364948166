package sms_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/llgate/llgate"
	"github.com/llgate/llgate/sms"
)

// A provider taking JSON with an API key in a header. The json function
// writes a quoted, escaped JSON string; for a form body use urlquery, as in
// `mobile={{urlquery .Mobile}}&content={{urlquery .Text}}`.
func ExampleNewHTTP() {
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Println(r.Method, r.Header.Get("Content-Type"), r.Header.Get("Authorization"))
		fmt.Println(string(body))
	}))
	defer provider.Close()

	h, err := sms.NewHTTP(provider.URL+"/v1/sms",
		`{"phone":{{json .Mobile}},"content":{{json .Text}},"tag":{{json .OidPartner}}}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	h.Header = http.Header{"Authorization": {"Bearer sk-example"}}

	err = h.Send(context.Background(), llgate.SMS{
		OidPartner: "201408071000001539",
		Mobile:     "13800138000",
		Code:       "123456",
		Text:       llgate.SMSText(llgate.ModeSandbox, "123456"),
	})
	fmt.Println("error:", err)
	// Output:
	// POST application/json; charset=utf-8 Bearer sk-example
	// {"phone":"13800138000","content":"【llgate沙箱】您的验证码为123456，10分钟内有效，请勿泄露。","tag":"201408071000001539"}
	// error: <nil>
}
