package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/llgate/llgate/sqlite/sqlitetest"

	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/issuer"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/vault"
)

const (
	testKeys       = "../../testdata/clients/keys/"
	testAdminToken = "cmd-test-admin"
	testOid        = "201408071000001539"
)

// inProcessServer runs llgate in-process, built as the e2e tests build it, with
// the vector platform key and limits off. It returns the base URL.
func inProcessServer(t *testing.T) string {
	t.Helper()
	pem, err := os.ReadFile(testKeys + "platform_private_pkcs8.pem")
	if err != nil {
		t.Fatal(err)
	}
	platform, err := protocol.ParsePrivateKey(string(pem))
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), app.Options{
		Store: sqlitetest.Open(t), MasterKey: vault.GenerateMasterKey(), AdminToken: testAdminToken,
		PlatformKey: platform, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Server)
	t.Cleanup(func() { srv.Close(); a.Close() })
	return srv.URL
}

// addMerchant provisions the vector merchant with a fixed SMS code.
func addMerchant(t *testing.T, base string) {
	t.Helper()
	pub, err := os.ReadFile(testKeys + "merchant_public_spki.pem")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"oid_partner": testOid, "public_key": string(pub), "sms_code": "123456"})
	req, _ := http.NewRequest(http.MethodPost, base+"/admin/merchants", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		raw, _ := io.ReadAll(res.Body)
		t.Fatalf("add merchant: HTTP %d %s", res.StatusCode, raw)
	}
}

// callResult is one `llgate call` run.
type callResult struct {
	err            error
	stdout, stderr string
	answer         map[string]any
}

func callCmd(t *testing.T, base string, args ...string) callResult {
	t.Helper()
	full := append([]string{"call", args[0], "--url", base, "--oid", testOid, "--key", testKeys + "merchant_private_pkcs8.pem"}, args[1:]...)
	if !strings.Contains(strings.Join(args, " "), "--admin-token") {
		full = append(full, "--platform-key", testKeys+"platform_public_spki.pem")
	}
	var out, errOut bytes.Buffer
	r := callResult{err: run(context.Background(), full, func(string) string { return "" }, &out, &errOut)}
	r.stdout, r.stderr = out.String(), errOut.String()
	if out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &r.answer); err != nil {
			t.Fatalf("answer is not JSON: %v\n%s", err, out.String())
		}
	}
	return r
}

func (r callResult) want(t *testing.T, code string) callResult {
	t.Helper()
	if r.answer["ret_code"] != code {
		t.Fatalf("ret_code %v, want %s (err %v)\nstdout: %s\nstderr: %s", r.answer["ret_code"], code, r.err, r.stdout, r.stderr)
	}
	return r
}

func TestCallBindFlow(t *testing.T) {
	base := inProcessServer(t)
	addMerchant(t, base)
	card, err := issuer.TestCard("622202", 19, 4242, "0000")
	if err != nil {
		t.Fatal(err)
	}
	holder := []string{"user_id=u1", "id_type=0", "id_no=110105199003071239", "acct_name=张三", "card_no=" + card, "bind_mob=13800138000"}

	apply := callCmd(t, base, append([]string{"bind-apply", "-v", "pay_type=2"}, holder...)...).want(t, "8888")
	if apply.err != nil {
		t.Fatalf("bind-apply: %v", apply.err)
	}
	for _, stage := range []string{"sign_source: ", "plain: ", "envelope: ", "request: ", "response: "} {
		if !strings.Contains(apply.stderr, stage) {
			t.Errorf("-v output lacks %q:\n%s", stage, apply.stderr)
		}
	}
	for _, secret := range []string{card, "110105199003071239", "13800138000", "张三"} {
		if strings.Contains(apply.stderr+apply.stdout, secret) {
			t.Errorf("masked output shows %s:\n%s\n%s", secret, apply.stderr, apply.stdout)
		}
	}
	token, _ := apply.answer["token"].(string)

	verify := callCmd(t, base, "bind-verify", "user_id=u1", "token="+token, "verify_code=123456").want(t, "0000")
	if verify.answer["card_no"] != card[15:] || verify.answer["no_agree"] == "" {
		t.Errorf("verify answer: %v", verify.answer)
	}

	// Flags after the key=value pairs, and the platform key from the admin API.
	list := callCmd(t, base, "bind-list", "user_id=u1", "offset=0", "--admin-token", testAdminToken).want(t, "0000")
	items, _ := list.answer["agreement_list"].([]any)
	if len(items) != 1 {
		t.Fatalf("agreement_list: %v", list.answer)
	}
	if it := items[0].(map[string]any); it["no_agree"] != verify.answer["no_agree"] || it["bind_mobile"] != "138****8000" {
		t.Errorf("agreement: %v", it)
	}

	bin := callCmd(t, base, "card-bin", "card_no="+card, "--sign-type", "SHA256withRSA").want(t, "0000")
	if bin.err != nil || bin.answer["bank_code"] != "01020000" || bin.answer["sign_type"] != "SHA256withRSA" {
		t.Errorf("card-bin: %v %v", bin.err, bin.answer)
	}

	t.Run("BusinessError", func(t *testing.T) {
		bad := card[:18] + string('0'+(card[18]-'0'+1)%10) // Luhn failure
		r := callCmd(t, base, "card-bin", "card_no="+bad).want(t, "1100")
		var be *businessError
		if !errors.As(r.err, &be) || be.ExitCode() != 1 {
			t.Errorf("err %v, want a business error exiting 1", r.err)
		}
	})
	t.Run("Unmasked", func(t *testing.T) {
		r := callCmd(t, base, "card-bin", "-v", "--unmasked", "card_no="+card).want(t, "0000")
		if !strings.Contains(r.stderr, "sign_source: card_no="+card) || !strings.Contains(r.stderr, "warning") {
			t.Errorf("--unmasked -v: %s", r.stderr)
		}
	})
	t.Run("Transport", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		dead.Close()
		r := callCmd(t, dead.URL, "card-bin", "card_no="+card)
		var be *businessError
		if r.err == nil || errors.As(r.err, &be) || r.stdout != "" {
			t.Errorf("closed server: err %v, stdout %q", r.err, r.stdout)
		}
	})
	t.Run("Usage", func(t *testing.T) {
		for _, args := range [][]string{{"call"}, {"call", "no-such-request"}, {"call", "card-bin", "card_no"}} {
			var out bytes.Buffer
			if err := run(context.Background(), args, func(string) string { return "" }, &out, &out); err == nil {
				t.Errorf("%v: no error", args)
			}
		}
	})
}

// TestCallPayFlow pays, queries and refunds from the command line, as the
// README's walk-through does.
func TestCallPayFlow(t *testing.T) {
	base := inProcessServer(t)
	addMerchant(t, base)
	card, err := issuer.TestCard("622202", 19, 4343, "0000")
	if err != nil {
		t.Fatal(err)
	}
	risk := `risk_item={"frms_ware_category":"4007","user_info_mercht_userno":"u1","user_info_dt_register":"20250101120000","goods_name":"Pen"}`
	apply := callCmd(t, base, "pay-apply", "user_id=u1", "busi_partner=101001", "no_order=o-1", "dt_order=20261206120000",
		"name_goods=Pen", "money_order=12.50", "notify_url=http://127.0.0.1:9/notify", risk, "pay_type=2",
		"id_type=0", "id_no=110105199003071239", "acct_name=张三", "card_no="+card, "bind_mob=13800138000").want(t, "8888")
	token, _ := apply.answer["token"].(string)
	verify := callCmd(t, base, "pay-verify", "token="+token, "verify_code=123456", "no_order=o-1", "money_order=12.50").want(t, "0000")
	paybill, _ := verify.answer["oid_paybill"].(string)
	q := callCmd(t, base, "order-query", "no_order=o-1", "query_version=1.1").want(t, "0000")
	if q.answer["result_pay"] != "SUCCESS" || q.answer["oid_paybill"] != paybill {
		t.Fatalf("order query: %v", q.answer)
	}
	rf := callCmd(t, base, "refund", "no_refund=r-1", "dt_refund=20261206120500", "money_refund=2.50",
		"oid_paybill="+paybill, "notify_url=http://127.0.0.1:9/notify").want(t, "0000")
	rq := callCmd(t, base, "refund-query", "oid_refundno="+rf.answer["oid_refundno"].(string)).want(t, "0000")
	if rq.answer["no_refund"] != "r-1" || rq.answer["sta_refund"] != "0" {
		t.Fatalf("refund query by oid_refundno: %v", rq.answer)
	}
}

// TestCallHelp: `llgate call NAME --help` lists the endpoint's fields from
// the table, marks the required ones and shows an example; it exits 0.
func TestCallHelp(t *testing.T) {
	for _, e := range protocol.Endpoints {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"call", e.Name, "--help"}, func(string) string { return "" }, &out, &out); err != nil {
			t.Fatalf("%s --help: %v", e.Name, err)
		}
		for _, f := range e.Request {
			if f.Name == "sign" || f.Name == "sign_type" || f.Name == "oid_partner" {
				continue
			}
			mark := map[protocol.Need]string{protocol.Required: "* ", protocol.Conditional: "+ ", protocol.Optional: "  "}[f.Need]
			if !strings.Contains(out.String(), mark+f.Name+" ") && !strings.Contains(out.String(), mark+f.Name+"\n") {
				t.Errorf("%s --help: no line for %s marked %q:\n%s", e.Name, f.Name, mark, out.String())
			}
		}
		if !strings.Contains(out.String(), "example:\n  llgate call "+e.Name) {
			t.Errorf("%s --help has no example:\n%s", e.Name, out.String())
		}
	}
}

// TestCallEasypayFlow: `llgate call` drives the Easy Payment direct API and
// pre-authorisation from the endpoint table; a preauth-query state exits 0.
func TestCallEasypayFlow(t *testing.T) {
	base := inProcessServer(t)
	addMerchant(t, base)
	card, err := issuer.TestCard("622148", 16, 4344, "0000")
	if err != nil {
		t.Fatal(err)
	}
	risk := `risk_item={"frms_ware_category":"4007","user_info_mercht_userno":"u1","user_info_dt_register":"20250101120000","goods_name":"Pen"}`
	apply := callCmd(t, base, "easypay-apply", "user_id=u1", "busi_partner=101001", "no_order=f-1", "dt_order=20261206120000",
		"name_goods=Pen", "money_order=12.50", "notify_url=http://127.0.0.1:9/notify", risk, "pay_type=F",
		"id_type=0", "id_no=110105199003071239", "acct_name=张三", "card_no="+card, "bind_mob=13800138000",
		"vali_date=3012", "cvv2=123").want(t, "0000")
	token, _ := apply.answer["token"].(string)
	callCmd(t, base, "easypay-verify", "token="+token, "verify_code=123456", "no_order=f-1").want(t, "0000")
	q := callCmd(t, base, "preauth-query", "no_order=f-1", "pay_type=F").want(t, "PR07")
	if q.err != nil || q.answer["money_order"] != "12.50" {
		t.Fatalf("preauth-query: err %v, answer %v", q.err, q.answer)
	}
	callCmd(t, base, "preauth-capture", "user_id=u1", "pay_type=F", "no_order=f-1", "money_order=10.00").want(t, "0000")
	callCmd(t, base, "preauth-query", "no_order=f-1").want(t, "PR11")
	c := callCmd(t, base, "preauth-cancel", "user_id=u1", "pay_type=F", "no_order=f-1", "money_order=12.50").want(t, "2007")
	if c.err == nil {
		t.Fatal("a refused cancel must exit non-zero")
	}
	if u := callCmd(t, base, "preauth-query", "no_order=nope").want(t, "8901"); u.err == nil {
		t.Fatal("8901 must exit non-zero")
	}
}
