package client_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/protocol"
)

func TestCall(t *testing.T) {
	ctx := context.Background()
	e := newEdge(t)

	t.Run("OK", func(t *testing.T) {
		res, err := e.client().CardBin(ctx, map[string]string{"card_no": "6222021234567800002"})
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]string{
			"ret_code":    "0000",
			"bank_code":   "01020000",
			"bank_name":   "中国工商银行", // signed here; outside the signature only in the order query
			"oid_partner": oidPartner,
		} {
			if got := res.Get(k); got != want {
				t.Errorf("%s: got %q, want %q", k, got, want)
			}
		}
		seen := e.last(t)
		if got, want := seen.contentType, "application/json;charset=utf-8"; got != want {
			t.Errorf("Content-Type: got %q, want %q", got, want)
		}
		if got, want := seen.inner["oid_partner"], oidPartner; got != want {
			t.Errorf("oid_partner: got %q, want %q", got, want)
		}
		if got, want := seen.inner["sign_type"], "RSA"; got != want {
			t.Errorf("sign_type: got %q, want %q", got, want)
		}
		if got, want := seen.signSource, "card_no=6222021234567800002&oid_partner="+oidPartner+"&sign_type=RSA"; got != want {
			t.Errorf("sign source: got %q, want %q", got, want)
		}
		if len(res.Raw) == 0 || res.Object == nil {
			t.Error("Raw or Object not set")
		}
	})

	t.Run("SHA256", func(t *testing.T) {
		c := e.client()
		c.SignType = "SHA256withRSA"
		res, err := c.CardBin(ctx, map[string]string{"card_no": "6222021234567800002"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Get("sign_type"), "SHA256withRSA"; got != want {
			t.Errorf("answer sign_type: got %q, want %q", got, want)
		}
	})

	t.Run("FieldsNotModified", func(t *testing.T) {
		in := map[string]string{"card_no": "6222021234567800002", "sign": "stale"}
		before := maps.Clone(in)
		if _, err := e.client().CardBin(ctx, in); err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(in, before) {
			t.Errorf("got %v after the call, want %v", in, before)
		}
	})

	t.Run("OwnOidPartnerKept", func(t *testing.T) {
		c := e.client()
		c.OidPartner = ""
		if _, err := c.CardBin(ctx, map[string]string{"card_no": "6222021234567800002", "oid_partner": oidPartner}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CardBin(ctx, map[string]string{"card_no": "6222021234567800002"}); err == nil {
			t.Error("got nil error without any oid_partner")
		}
	})

	t.Run("RawUTF8", func(t *testing.T) {
		var body string
		c := e.client()
		c.Trace = func(stage, text string) {
			if stage == "request" {
				body = text
			}
		}
		if _, err := c.Call(ctx, "/echo", map[string]string{"acct_name": "张三", "name_goods": "<a&b>", "empty": ""}); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"acct_name":"张三"`, `"name_goods":"<a&b>"`} {
			if !strings.Contains(body, want) {
				t.Errorf("got body %s, want it to contain %s", body, want)
			}
		}
		if strings.Contains(body, `"empty"`) {
			t.Errorf("got body %s, want empty fields left out", body)
		}
	})

	t.Run("BaseURLSlash", func(t *testing.T) {
		c := e.client()
		c.BaseURL += "/"
		if _, err := c.Call(ctx, "echo", nil); err != nil {
			t.Fatal(err)
		}
		if got, want := e.last(t).path, "/echo"; got != want {
			t.Errorf("path: got %q, want %q", got, want)
		}
	})
}

func TestCall_Errors(t *testing.T) {
	ctx := context.Background()
	e := newEdge(t)

	t.Run("ErrorAnswer", func(t *testing.T) {
		res, err := e.client().CardBin(ctx, map[string]string{})
		var apiErr *client.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("got %v, want *client.Error", err)
		}
		if got, want := apiErr.Error(), "llgate: 1004 商户请求参数校验错误（card_no）"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
		if got, want := apiErr.RetCode, "1004"; got != want {
			t.Errorf("RetCode: got %q, want %q", got, want)
		}
		if got, want := apiErr.Answer["ret_code"], "1004"; got != want {
			t.Errorf("Answer[ret_code]: got %q, want %q", got, want)
		}
		if res == nil || res.Get("ret_code") != "1004" {
			t.Errorf("got response %v, want the 1004 answer returned too", res)
		}
	})

	t.Run("WrongMerchantKey", func(t *testing.T) {
		c := e.client()
		c.Key = e.platform // not the key the edge knows
		_, err := c.CardBin(ctx, map[string]string{"card_no": "6222021234567800002"})
		var apiErr *client.Error
		if !errors.As(err, &apiErr) || apiErr.RetCode != "1001" {
			t.Fatalf("got %v, want a 1001 *client.Error", err)
		}
	})

	t.Run("BadAnswerSignature", func(t *testing.T) {
		for _, path := range []string{"/badsig", "/nosign"} {
			res, err := e.client().Call(ctx, path, nil)
			if !errors.Is(err, client.ErrBadAnswerSignature) {
				t.Errorf("%s: got %v, want %v", path, err, client.ErrBadAnswerSignature)
			}
			if res == nil {
				t.Errorf("%s: got no response, want it for diagnosis", path)
			}
		}
	})

	t.Run("WrongPlatformKey", func(t *testing.T) {
		c := e.client()
		c.PlatformKey = &e.merchant.PublicKey
		_, err := c.CardBin(ctx, map[string]string{"card_no": "6222021234567800002"})
		if !errors.Is(err, client.ErrBadAnswerSignature) {
			t.Fatalf("got %v, want %v", err, client.ErrBadAnswerSignature)
		}
	})

	t.Run("Status", func(t *testing.T) {
		res, err := e.client().Call(ctx, "/status502", nil)
		var se *client.StatusError
		if !errors.As(err, &se) || se.StatusCode != 502 {
			t.Fatalf("got %v, %v, want a 502 *client.StatusError", res, err)
		}
		if !strings.Contains(se.Body, "bad gateway") {
			t.Errorf("Body: got %q, want the start of the body", se.Body)
		}
	})

	t.Run("HTML", func(t *testing.T) {
		res, err := e.client().Call(ctx, "/html", nil)
		if err == nil || res != nil {
			t.Fatalf("got %v, %v, want an error and no response", res, err)
		}
		var apiErr *client.Error
		if errors.As(err, &apiErr) || errors.Is(err, client.ErrBadAnswerSignature) {
			t.Fatalf("got %v, want a decoding error", err)
		}
		if !strings.Contains(err.Error(), "not a JSON object") || !strings.Contains(err.Error(), "Service Unavailable") {
			t.Errorf("got %q, want it to say not JSON and quote the body", err)
		}
	})

	t.Run("Canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := e.client().CardBin(ctx, map[string]string{"card_no": "6222021234567800002"})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want %v", err, context.Canceled)
		}
	})

	t.Run("NoKeys", func(t *testing.T) {
		c := e.client()
		c.Key = nil
		if _, err := c.Call(ctx, "/echo", nil); err == nil {
			t.Error("got nil error without Key")
		}
		c = e.client()
		c.PlatformKey = nil
		if _, err := c.Call(ctx, "/echo", nil); err == nil {
			t.Error("got nil error without PlatformKey")
		}
		if _, err := c.CallEncrypted(ctx, "/echo", nil); err == nil {
			t.Error("got nil error without PlatformKey (encrypted)")
		}
	})
}

func TestCallEncrypted(t *testing.T) {
	ctx := context.Background()
	e := newEdge(t)
	fields := map[string]string{
		"user_id":    "u1",
		"no_order":   "o1",
		"dt_order":   "20261122100000",
		"card_no":    "6222021234567800002",
		"acct_name":  "张三",
		"id_type":    "0",
		"id_no":      "110105199003071239",
		"bind_mob":   "13800138000",
		"pay_type":   "2",
		"notify_url": "https://merchant.example.com/llpay/notify",
		"risk_item":  `{"frms_ware_category":"4007","user_info_mercht_userno":"u1"}`,
	}

	t.Run("RoundTrip", func(t *testing.T) {
		var stages []string
		c := e.client()
		c.Trace = func(stage, _ string) { stages = append(stages, stage) }
		res, err := c.BindApply(ctx, fields)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Get("ret_code"), "8888"; got != want {
			t.Errorf("ret_code: got %q, want %q", got, want)
		}
		if res.Get("token") == "" {
			t.Error("no token in the answer")
		}
		seen := e.last(t)
		if got, want := slices.Sorted(maps.Keys(seen.outer)), []string{"oid_partner", "pay_load"}; !slices.Equal(got, want) {
			t.Errorf("outer keys: got %v, want %v", got, want)
		}
		if strings.Contains(seen.outer["pay_load"], "6222021234567800002") {
			t.Error("pay_load holds the card number in plaintext")
		}
		// The edge verified the inner signature; check it carried every field.
		want := maps.Clone(fields)
		want["oid_partner"], want["sign_type"] = oidPartner, "RSA"
		got := maps.Clone(seen.inner)
		delete(got, "sign")
		if !maps.Equal(got, want) {
			t.Errorf("inner request: got %v, want %v", got, want)
		}
		if got, want := stages, []string{"sign_source", "plain", "envelope", "request", "response"}; !slices.Equal(got, want) {
			t.Errorf("trace stages: got %v, want %v", got, want)
		}
	})

	t.Run("PayApply", func(t *testing.T) {
		f := map[string]string{"no_agree": "2026112200000001", "money_order": "12.34", "user_id": "u1"}
		if _, err := e.client().PayApply(ctx, f); err != nil {
			t.Fatal(err)
		}
		if got, want := e.last(t).path, "/v1/bankcardprepay"; got != want {
			t.Errorf("path: got %q, want %q", got, want)
		}
	})

	t.Run("Err4007", func(t *testing.T) {
		// The server cannot open the envelope (its key is not the one the
		// client sealed to), but signs its answer with the right key.
		e2 := newEdge(t)
		e2.envelopeKey = e2.merchant
		res, err := e2.client().BindApply(ctx, fields)
		var apiErr *client.Error
		if !errors.As(err, &apiErr) || apiErr.RetCode != "4007" {
			t.Fatalf("got %v, want a 4007 *client.Error", err)
		}
		if got, want := res.Get("ret_msg"), protocol.RetMsg("4007", ""); got != want {
			t.Errorf("ret_msg: got %q, want %q", got, want)
		}
	})
}

func TestResponse_AgreementList(t *testing.T) {
	ctx := context.Background()
	e := newEdge(t)
	res, err := e.client().BindList(ctx, map[string]string{"user_id": "u1", "offset": "0"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := res.AgreementList()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(list), 2; got != want {
		t.Fatalf("got %d agreements, want %d", got, want)
	}
	if got, want := list[0]["no_agree"], "2026112200000002"; got != want {
		t.Errorf("no_agree: got %q, want %q", got, want)
	}
	if got, want := res.Get("count"), "2"; got != want {
		t.Errorf("count: got %q, want %q", got, want)
	}

	// Numbers and a list carried as a JSON string are read too.
	for _, body := range []string{
		`{"agreement_list":[{"no_agree":2026112200000002,"pay_type":"2"}]}`,
		`{"agreement_list":"[{\"no_agree\":\"2026112200000002\",\"pay_type\":\"2\"}]"}`,
	} {
		obj, err := protocol.Decode([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		list, err := (&client.Response{Object: obj}).AgreementList()
		if err != nil || len(list) != 1 || list[0]["no_agree"] != "2026112200000002" {
			t.Errorf("%s: got %v, %v, want one agreement 2026112200000002", body, list, err)
		}
	}
	obj, _ := protocol.Decode([]byte(`{"ret_code":"8901"}`))
	if list, err := (&client.Response{Object: obj}).AgreementList(); list != nil || err != nil {
		t.Errorf("no list: got %v, %v, want nil, nil", list, err)
	}
}

func TestOrderQuery_UnsignedFields(t *testing.T) {
	e := newEdge(t)
	res, err := e.client().OrderQuery(context.Background(), map[string]string{"no_order": "o1", "dt_order": "20261122100000"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Get("card_no"), "622202*********0002"; got != want {
		t.Errorf("card_no: got %q, want %q", got, want)
	}
}
