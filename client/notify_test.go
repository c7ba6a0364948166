package client_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/llgate/llgate/client"
)

func paymentNotification() map[string]string {
	return map[string]string{
		"oid_partner": oidPartner,
		"no_order":    "o1",
		"dt_order":    "20261122100000",
		"oid_paybill": "2026112200000002",
		"money_order": "12.34",
		"result_pay":  "SUCCESS",
		"settle_date": "20261122",
		"info_order":  "A&B <商品>",
		"pay_type":    "2",
		"bank_code":   "01020000",
		"no_agree":    "2026112200000001",
	}
}

func TestVerifyNotification(t *testing.T) {
	platform := mustPrivateKey(t, "platform_private_pkcs8.pem")
	other := mustPrivateKey(t, "merchant_private_pkcs8.pem")

	t.Run("OK", func(t *testing.T) {
		for _, signType := range []string{"", "RSA", "SHA256withRSA"} {
			body, err := client.NewTestNotification(platform, paymentNotification(), signType)
			if err != nil {
				t.Fatal(err)
			}
			got, err := client.VerifyNotification(body, &platform.PublicKey)
			if err != nil {
				t.Fatalf("sign_type %q: %v", signType, err)
			}
			for k, want := range paymentNotification() {
				if got[k] != want {
					t.Errorf("%s: got %q, want %q", k, got[k], want)
				}
			}
			wantType := signType
			if wantType == "" {
				wantType = "RSA"
			}
			if got["sign_type"] != wantType || got["sign"] == "" {
				t.Errorf("got sign_type %q, sign %q, want %q and a signature", got["sign_type"], got["sign"], wantType)
			}
		}
	})

	t.Run("RawUTF8", func(t *testing.T) {
		body, err := client.NewTestNotification(platform, paymentNotification(), "RSA")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(body, []byte(`"info_order":"A&B <商品>"`)) {
			t.Errorf("got %s, want raw UTF-8 without HTML escapes", body)
		}
	})

	body, err := client.NewTestNotification(platform, paymentNotification(), "RSA")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"ErrTampered", bytes.Replace(body, []byte(`"money_order":"12.34"`), []byte(`"money_order":"12.35"`), 1)},
		{"ErrAddedField", bytes.Replace(body, []byte(`{`), []byte(`{"card_no":"6222021234567800002",`), 1)},
		{"ErrNoSign", []byte(`{"oid_partner":"` + oidPartner + `","sign_type":"RSA","result_pay":"SUCCESS"}`)},
		{"ErrNoSignType", bytes.Replace(body, []byte(`,"sign_type":"RSA"`), nil, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if bytes.Equal(tc.body, body) {
				t.Fatal("test case did not change the body")
			}
			got, err := client.VerifyNotification(tc.body, &platform.PublicKey)
			if !errors.Is(err, client.ErrBadNotificationSignature) {
				t.Fatalf("got %v, %v, want %v", got, err, client.ErrBadNotificationSignature)
			}
		})
	}

	t.Run("ErrWrongKey", func(t *testing.T) {
		got, err := client.VerifyNotification(body, &other.PublicKey)
		if !errors.Is(err, client.ErrBadNotificationSignature) {
			t.Fatalf("got %v, %v, want %v", got, err, client.ErrBadNotificationSignature)
		}
	})

	t.Run("ErrNotJSON", func(t *testing.T) {
		for _, b := range []string{"", "ret_code=0000", `{"a":"1","a":"2"}`, string(body) + "x"} {
			if _, err := client.VerifyNotification([]byte(b), &platform.PublicKey); err == nil {
				t.Errorf("%q: got nil error", b)
			}
		}
	})

	t.Run("ErrMD5", func(t *testing.T) {
		if _, err := client.NewTestNotification(platform, paymentNotification(), "MD5"); err == nil {
			t.Error("got nil error for sign_type MD5")
		}
	})
}

func TestAcknowledge(t *testing.T) {
	got := client.Acknowledge()
	if want := `{"ret_code":"0000","ret_msg":"交易成功"}`; string(got) != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	got[0] = 'x' // each call returns its own slice
	if strings.HasPrefix(string(client.Acknowledge()), "x") {
		t.Fatal("Acknowledge shares its buffer between calls")
	}
}
