package httpapi_test

import (
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/issuer"
	"github.com/llgate/llgate/protocol"
)

func binFields() map[string]string {
	return map[string]string{"oid_partner": vectorOid, "card_no": "6222021234567800002"}
}

// envelope seals a signed inner request into the outer body.
func envelope(t *testing.T, h *harness, inner []byte, outerOid string, opts protocol.SealOptions) []byte {
	t.Helper()
	payload, err := protocol.SealEnvelope(&h.platform.PublicKey, inner, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]string{"oid_partner": outerOid, "pay_load": payload})
	return b
}

func TestBadInput(t *testing.T) {
	h := newHarness(t)
	other := newRSAKey(t)
	h.addMerchant("201408071000009999", protocol.MarshalPublicKeyPEM(&h.merchant.PublicKey), func(m *llgate.Merchant) {
		m.SignTypes = []string{llgate.SignRSA}
	})
	good := signed(t, h.merchant, "RSA", binFields())
	innerGood := signed(t, h.merchant, "RSA", bindApplyFields())

	deep := strings.Repeat(`{"a":`, 9) + `1` + strings.Repeat(`}`, 9)
	tamper := func(mutate func(parts []string)) []byte {
		payload, err := protocol.SealEnvelope(&h.platform.PublicKey, innerGood, protocol.SealOptions{})
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(payload, "$")
		mutate(parts)
		b, _ := json.Marshal(map[string]string{"oid_partner": vectorOid, "pay_load": strings.Join(parts, "$")})
		return b
	}
	flip := func(s string) string {
		b := []byte(s)
		if b[0] == 'A' {
			b[0] = 'B'
		} else {
			b[0] = 'A'
		}
		return string(b)
	}

	tests := []struct {
		name, path string
		body       []byte
		code       string
		msgHas     string
	}{
		{"OK", routeCardBin, good, "0000", ""},
		{"EmptyBody", routeCardBin, nil, "1012", ""},
		{"NotJSON", routeCardBin, []byte("card_no=1&oid_partner=2"), "1012", ""},
		{"TrailingGarbage", routeCardBin, append(append([]byte{}, good...), "xyz"...), "1012", ""},
		{"TopLevelArray", routeCardBin, []byte(`[1,2]`), "1012", ""},
		{"OverCap", routeCardBin, []byte(`{"a":"` + strings.Repeat("x", 70000) + `"}`), "9901", ""},
		{"DeepNesting", routeCardBin, []byte(deep), "9901", ""},
		{"DuplicateKey", routeCardBin, []byte(`{"oid_partner":"201408071000001539","oid_partner":"201408071000001539"}`), "9901", ""},
		{"CaseVariantKey", routeCardBin, []byte(`{"oid_partner":"201408071000001539","OID_partner":"x"}`), "9901", ""},
		{"MissingOid", routeCardBin, []byte(`{"card_no":"1"}`), "1004", "oid_partner"},
		{"UnknownOid", routeCardBin, signed(t, h.merchant, "RSA", map[string]string{"oid_partner": "201408071000000000"}), "3001", ""},
		{"MalformedOid", routeCardBin, []byte(`{"oid_partner":"abc"}`), "3001", ""},
		{"MissingSign", routeCardBin, []byte(`{"oid_partner":"201408071000001539","sign_type":"RSA","card_no":"1"}`), "1001", ""},
		{"CorruptSign", routeCardBin, []byte(strings.Replace(string(good), `"sign":"`, `"sign":"AAAA`, 1)), "1001", ""},
		{"OtherMerchantsKey", routeCardBin, signed(t, other, "RSA", binFields()), "1001", ""},
		{"UnknownSignType", routeCardBin, []byte(strings.Replace(string(good), `"sign_type":"RSA"`, `"sign_type":"DSA"`, 1)), "1001", ""},
		{"SignTypeNotAllowed", routeCardBin, signed(t, h.merchant, "SHA256withRSA", map[string]string{"oid_partner": "201408071000009999", "card_no": "1"}), "1001", ""},
		{"TamperedValue", routeCardBin, []byte(strings.Replace(string(good), "6222021234567800002", "6222021234567800010", 1)), "1001", ""},
		{"MissingField", routeCardBin, signed(t, h.merchant, "RSA", map[string]string{"oid_partner": vectorOid}), "1004", "card_no"},
		{"SHA256OK", routeCardBin, signed(t, h.merchant, "SHA256withRSA", binFields()), "0000", ""},
		{"EnvelopeOK", routeBindApply, envelope(t, h, innerGood, vectorOid, protocol.SealOptions{LineBreak: "\r\n"}), "8888", ""},
		{"EnvelopeOuterOidDiffers", routeBindApply, envelope(t, h, innerGood, "201408071000009999", protocol.SealOptions{}), "1001", ""},
		{"EnvelopeWrongVersion", routeBindApply, tamper(func(p []string) { p[0] = "lianpay1_0_2" }), "4007", ""},
		{"EnvelopeVersionTrailingSpace", routeBindApply, tamper(func(p []string) { p[0] += " " }), "4007", ""},
		{"EnvelopeFiveParts", routeBindApply, tamper(func(p []string) { p[5] = p[4] + "$" + p[5]; p[4] = p[3] }), "4007", ""},
		{"EnvelopeBadBase64", routeBindApply, tamper(func(p []string) { p[3] = "!!!" }), "4007", ""},
		{"EnvelopeSwappedKeys", routeBindApply, tamper(func(p []string) { p[1], p[2] = p[2], p[1] }), "4007", ""},
		{"EnvelopeFlippedCiphertext", routeBindApply, tamper(func(p []string) { p[4] = flip(p[4]) }), "4007", ""},
		{"EnvelopeFlippedHMAC", routeBindApply, tamper(func(p []string) { p[5] = flip(p[5]) }), "4007", ""},
		{"EnvelopeInnerNotJSON", routeBindApply, envelope(t, h, []byte("not json"), vectorOid, protocol.SealOptions{}), "4007", ""},
		{"EnvelopeInnerUnsigned", routeBindApply, envelope(t, h, []byte(`{"oid_partner":"201408071000001539"}`), vectorOid, protocol.SealOptions{}), "1001", ""},
		{"PlainOnEnvelopeRoute", routeBindApply, innerGood, "8888", ""},
		{"SmuggledField", routeCardBin, signed(t, h.merchant, "RSA", withField(binFields(), "api_version", "1.0&card_no=6222021234567800010")), "1004", "api_version"},
		{"AmpersandTextPasses", routeCardBin, signed(t, h.merchant, "RSA", withField(binFields(), "api_version", "M&M=1")), "0000", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.post(tt.path, tt.body)
			if got["ret_code"] != tt.code {
				t.Fatalf("ret_code: got %s (%s), want %s", got["ret_code"], got["ret_msg"], tt.code)
			}
			if got["ret_msg"] != protocol.RetMsg(tt.code, tt.msgHas) {
				t.Errorf("ret_msg: got %q, want %q", got["ret_msg"], protocol.RetMsg(tt.code, tt.msgHas))
			}
		})
	}

	t.Run("EveryEnvelopeFailureLooksTheSame", func(t *testing.T) {
		a := h.post(routeBindApply, tamper(func(p []string) { p[4] = flip(p[4]) }))
		b := h.post(routeBindApply, tamper(func(p []string) { p[0] = "x" }))
		if a["ret_msg"] != b["ret_msg"] || a["ret_code"] != b["ret_code"] {
			t.Errorf("envelope failures differ: %v vs %v", a, b)
		}
	})
	t.Run("GetIsASignedAnswer", func(t *testing.T) {
		resp, err := http.Get(h.http.URL + routeCardBin)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.answer(resp)["ret_code"]; got != "1012" {
			t.Errorf("ret_code: got %s, want 1012", got)
		}
	})
	t.Run("HostPrefixes", func(t *testing.T) {
		for _, p := range []string{"/queryapi/bankcardbin.htm", "/traderapi/bankcardbin.htm"} {
			if got := h.post(p, good)["ret_code"]; got != "0000" {
				t.Errorf("%s: ret_code %s", p, got)
			}
		}
	})
}

// bindApplyFields is a valid MPAY bind apply of the vector merchant.
func bindApplyFields() map[string]string {
	return map[string]string{"oid_partner": vectorOid, "user_id": "u1", "pay_type": "2", "id_type": "0",
		"id_no": "110105199003071239", "acct_name": "张三", "card_no": "6222021234567800002", "bind_mob": "13800138000"}
}

func withField(f map[string]string, k, v string) map[string]string {
	f[k] = v
	return f
}

func TestIPAllowlist(t *testing.T) {
	h := newHarness(t)
	body := signed(t, h.merchant, "RSA", binFields())
	h.admin("PATCH", "/admin/merchants/"+vectorOid, map[string]any{"ip_allowlist": []string{"10.9.9.9", "192.168.0.0/16"}}, 200, nil)
	if got := h.post(routeCardBin, body)["ret_code"]; got != "1008" {
		t.Fatalf("outside the allowlist: got %s, want 1008", got)
	}
	h.admin("PATCH", "/admin/merchants/"+vectorOid, map[string]any{"ip_allowlist": []string{"10.9.9.9", "127.0.0.0/8"}}, 200, nil)
	if got := h.post(routeCardBin, body)["ret_code"]; got != "0000" {
		t.Fatalf("inside the allowlist: got %s, want 0000", got)
	}
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t, func(o *app.Options) { o.MerchantRate = 1 })
	body := signed(t, h.merchant, "RSA", binFields())
	codes := map[string]int{}
	for i := 0; i < 5; i++ {
		codes[h.post(routeCardBin, body)["ret_code"]]++
	}
	// A bucket of 1/s holds 2 tokens: 5 back-to-back requests pass at most 3.
	if codes["9903"] < 2 || codes["0000"] < 1 {
		t.Fatalf("codes: got %v, want some 0000 then 9903", codes)
	}

	off := newHarness(t, func(o *app.Options) { o.MerchantRate = 1; o.Limits = false })
	for i := 0; i < 5; i++ {
		if got := off.post(routeCardBin, signed(t, off.merchant, "RSA", binFields()))["ret_code"]; got != "0000" {
			t.Fatalf("limits off: request %d got %s", i, got)
		}
	}
}

// panicky is a card issuer (an edge: the bank) that panics on one card.
type panicky struct{ llgate.Issuer }

const boomCard = "6222021234567800010"

func (p panicky) Card(cardNo string) (llgate.CardInfo, error) {
	if cardNo == boomCard {
		panic("boom")
	}
	return p.Issuer.Card(cardNo)
}

func TestPanicBecomesSigned9999(t *testing.T) {
	h := newHarness(t, func(o *app.Options) { o.Issuer = panicky{&issuer.Simulated{}} })
	f := binFields()
	f["card_no"] = boomCard
	if got := h.post(routeCardBin, signed(t, h.merchant, "RSA", f))["ret_code"]; got != "9999" {
		t.Fatalf("panic: got %s, want 9999", got)
	}
	if got := h.post(routeCardBin, signed(t, h.merchant, "RSA", binFields()))["ret_code"]; got != "0000" {
		t.Fatalf("after the panic: got %s, want 0000", got)
	}
}

func TestKeyRotation(t *testing.T) {
	h := newHarness(t)
	newKey := newRSAKey(t)
	oldPEM := readKey(t, "merchant_public_spki.pem")
	newB64 := protocol.MarshalPublicKeyBase64(&newKey.PublicKey)
	call := func(k *rsa.PrivateKey) string {
		return h.post(routeCardBin, signed(t, k, "RSA", binFields()))["ret_code"]
	}
	if got := call(newKey); got != "1001" {
		t.Fatalf("new key before rotation: got %s, want 1001", got)
	}
	h.admin("PATCH", "/admin/merchants/"+vectorOid, map[string]any{"public_keys": []string{oldPEM, newB64}}, 200, nil)
	if got, got2 := call(h.merchant), call(newKey); got != "0000" || got2 != "0000" {
		t.Fatalf("during rotation: old %s, new %s, want both 0000", got, got2)
	}
	h.admin("PATCH", "/admin/merchants/"+vectorOid, map[string]any{"public_keys": []string{newB64}}, 200, nil)
	if got := call(h.merchant); got != "1001" {
		t.Fatalf("old key after removal: got %s, want 1001", got)
	}
	if got := call(newKey); got != "0000" {
		t.Fatalf("new key after rotation: got %s, want 0000", got)
	}
}

func TestReadyzWhenStoreIsDown(t *testing.T) {
	h := newHarness(t)
	get := func() int {
		resp, err := http.Get(h.http.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(); got != 200 {
		t.Fatalf("readyz: got %d, want 200", got)
	}
	h.store.Close()
	if got := get(); got != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the store closed: got %d, want 503", got)
	}
	resp, err := http.Get(h.http.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz: got %d, want 200", resp.StatusCode)
	}
}
