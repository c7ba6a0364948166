package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/protocol"
)

type merchantObj struct {
	OidPartner        string            `json:"oid_partner"`
	Name              string            `json:"name"`
	PublicKeys        []string          `json:"public_keys"`
	SignTypes         []string          `json:"sign_types"`
	IPAllowlist       []string          `json:"ip_allowlist"`
	Live              bool              `json:"live"`
	Platform          string            `json:"platform"`
	Limits            map[string]string `json:"limits"`
	NotifyExtraFields bool              `json:"notify_extra_fields"`
	SMSCode           string            `json:"sms_code"`
	MD5Key            string            `json:"md5_key"`
}

func TestAdminAuth(t *testing.T) {
	h := newHarness(t)
	for _, token := range []string{"", "Bearer wrong", adminToken} {
		req, _ := http.NewRequest("GET", h.http.URL+"/admin/merchants", nil)
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization %q: got %d, want 401", token, resp.StatusCode)
		}
	}
}

func TestAdminMerchants(t *testing.T) {
	h := newHarness(t)
	key := newRSAKey(t)
	pub := protocol.MarshalPublicKeyBase64(&key.PublicKey)
	const oid = "201408071000002222"

	var created merchantObj
	h.admin("POST", "/admin/merchants", map[string]any{"oid_partner": oid, "name": "shop", "public_key": pub}, 201, &created)
	if created.OidPartner != oid || len(created.PublicKeys) != 1 || created.PublicKeys[0] != pub {
		t.Fatalf("created: %+v", created)
	}
	if got := strings.Join(created.SignTypes, ","); got != "RSA,SHA256withRSA" {
		t.Errorf("default sign_types: got %s", got)
	}
	if created.Live || created.IPAllowlist == nil || len(created.IPAllowlist) != 0 || created.Limits["per_txn"] != "" {
		t.Errorf("defaults: %+v", created)
	}
	h.admin("POST", "/admin/merchants", map[string]any{"oid_partner": oid, "public_key": pub}, 409, nil)

	bad := []map[string]any{
		{"oid_partner": "12345", "public_key": pub},
		{"oid_partner": "201408071000003333"},
		{"oid_partner": "201408071000003333", "public_key": "not a key"},
		{"oid_partner": "201408071000003333", "public_key": weakKey(t)},
		{"oid_partner": "201408071000003333", "public_key": pub, "sign_types": []string{"DSA"}},
		{"oid_partner": "201408071000003333", "public_key": pub, "sign_types": []string{"MD5"}},
		{"oid_partner": "201408071000003333", "public_key": pub, "sms_code": "12"},
		{"oid_partner": "201408071000003333", "public_key": pub, "ip_allowlist": []string{"not-an-ip"}},
		{"oid_partner": "201408071000003333", "public_key": pub, "limits": map[string]string{"per_txn": "abc"}},
		{"oid_partner": "201408071000003333", "public_key": pub, "no_such_field": 1},
	}
	for i, b := range bad {
		var e map[string]string
		h.admin("POST", "/admin/merchants", b, 400, &e)
		if e["error"] == "" {
			t.Errorf("bad merchant %d: no error message", i)
		}
	}

	var patched merchantObj
	h.admin("PATCH", "/admin/merchants/"+oid, map[string]any{
		"live": true, "limits": map[string]string{"per_txn": "5000", "per_day": "20000.5", "per_month": ""},
		"platform": "plat1", "notify_extra_fields": true, "sms_code": "654321", "md5_key": "secret",
		"sign_types": []string{"RSA", "MD5"},
	}, 200, &patched)
	if !patched.Live || patched.Limits["per_txn"] != "5000.00" || patched.Limits["per_day"] != "20000.50" ||
		patched.Platform != "plat1" || !patched.NotifyExtraFields || patched.SMSCode != "654321" || patched.Name != "shop" {
		t.Fatalf("patched: %+v", patched)
	}
	if patched.MD5Key == "secret" || patched.MD5Key == "" {
		t.Errorf("md5_key must be reported as set but never shown: got %q", patched.MD5Key)
	}
	var got merchantObj
	h.admin("GET", "/admin/merchants/"+oid, nil, 200, &got)
	if got.Platform != "plat1" || !got.Live {
		t.Errorf("get after patch: %+v", got)
	}
	h.admin("GET", "/admin/merchants/201408071000007777", nil, 404, nil)
	h.admin("PATCH", "/admin/merchants/201408071000007777", map[string]any{"live": true}, 404, nil)
	h.admin("PATCH", "/admin/merchants/"+oid, map[string]any{"sms_code": "1"}, 400, nil)

	var list struct{ Merchants []merchantObj }
	h.admin("GET", "/admin/merchants", nil, 200, &list)
	if len(list.Merchants) != 2 || list.Merchants[0].OidPartner != vectorOid || list.Merchants[1].OidPartner != oid {
		t.Fatalf("list: %+v", list.Merchants)
	}

	// The legacy keyed hash works once md5_key and sign type MD5 are set.
	f := map[string]string{"oid_partner": oid, "card_no": "6222021234567800002", "sign_type": "MD5"}
	f["sign"] = protocol.SignMD5(protocol.SignSourceMap(f), "secret")
	body, _ := json.Marshal(f)
	h2 := h.post(routeCardBin, body)
	if h2["ret_code"] != "0000" || h2["bank_code"] != "01020000" {
		t.Errorf("MD5 request: got %s %s, want it verified and answered", h2["ret_code"], h2["ret_msg"])
	}
	src := protocol.SignSourceMap(h2)
	if h2["sign_type"] != "MD5" || protocol.VerifyMD5(src, "secret", h2["sign"]) != nil {
		t.Errorf("MD5 answer must be signed with the merchant's MD5 key: %v", h2)
	}
}

// weakKey is a 768-bit public key, made with openssl (Go refuses to make one).
func weakKey(t *testing.T) string {
	out, err := exec.Command("sh", "-c", "openssl genrsa 768 2>/dev/null | openssl rsa -pubout 2>/dev/null").Output()
	if err != nil || len(out) == 0 {
		t.Skip("openssl not available to make a 768-bit key")
	}
	return string(out)
}

func TestAdminPlatformKey(t *testing.T) {
	h := newHarness(t)
	var got map[string]string
	h.admin("GET", "/admin/platform-key", nil, 200, &got)
	if got["public_key"] != strings.TrimSpace(readKey(t, "platform_public_spki.b64")) {
		t.Errorf("public_key: got %s", got["public_key"])
	}
	k, err := protocol.ParsePublicKey(got["pem"])
	if err != nil || k.N.Cmp(h.platform.N) != 0 {
		t.Errorf("pem: %v", err)
	}
}

func TestAdminClock(t *testing.T) {
	h := newHarness(t)
	var before, after map[string]string
	h.admin("GET", "/admin/clock", nil, 200, &before)
	h.admin("POST", "/admin/clock", map[string]any{"advance_seconds": 3600}, 200, &after)
	b, _ := time.Parse(time.RFC3339, before["now"])
	a, _ := time.Parse(time.RFC3339, after["now"])
	if d := a.Sub(b); d < time.Hour || d > time.Hour+time.Minute {
		t.Errorf("advance 3600 s moved the clock by %v", d)
	}
	for _, bad := range []any{map[string]any{"advance_seconds": 0}, map[string]any{"advance_seconds": -5}, map[string]any{}, map[string]any{"advance_seconds": 1.5}} {
		h.admin("POST", "/admin/clock", bad, 400, nil)
	}
}

func TestAdminRequestLog(t *testing.T) {
	h := newHarness(t)
	good := signed(t, h.merchant, "RSA", binFields())
	h.post(routeCardBin, good)
	h.post(routeCardBin, []byte(strings.Replace(string(good), "6222021234567800002", "6222021234567800010", 1)))
	var got struct {
		Requests []map[string]string `json:"requests"`
	}
	h.admin("GET", "/admin/requests?oid_partner="+vectorOid+"&limit=10", nil, 200, &got)
	if len(got.Requests) != 2 {
		t.Fatalf("requests: got %d, want 2: %v", len(got.Requests), got.Requests)
	}
	fail, ok := got.Requests[0], got.Requests[1]
	if fail["ret_code"] != "1001" || ok["ret_code"] != "0000" || fail["path"] != routeCardBin {
		t.Fatalf("newest first: %v", got.Requests)
	}
	if !strings.Contains(fail["reason"], "sign source") || !strings.Contains(fail["reason"], "oid_partner="+vectorOid) {
		t.Errorf("reason must show the sign source: %q", fail["reason"])
	}
	if strings.Contains(fail["reason"], "6222021234567800010") {
		t.Errorf("reason leaks the card number: %q", fail["reason"])
	}
}

func TestAdminEmptyOutboxes(t *testing.T) {
	h := newHarness(t)
	var sms struct{ Messages []any }
	h.admin("GET", "/admin/sms?mobile=13800138000", nil, 200, &sms)
	if sms.Messages == nil || len(sms.Messages) != 0 {
		t.Errorf("sms: %v", sms.Messages)
	}
	h.admin("GET", "/admin/sms", nil, 400, nil)
	var ns struct{ Notifications []any }
	h.admin("GET", "/admin/notifications?oid_partner="+vectorOid, nil, 200, &ns)
	if ns.Notifications == nil || len(ns.Notifications) != 0 {
		t.Errorf("notifications: %v", ns.Notifications)
	}
	h.admin("POST", "/admin/notifications/nope/resend", nil, 404, nil)
	var rs struct{ Reports []any }
	h.admin("GET", "/admin/reports?oid_partner="+vectorOid, nil, 200, &rs)
	if rs.Reports == nil || len(rs.Reports) != 0 {
		t.Errorf("reports: %v", rs.Reports)
	}
	h.admin("GET", "/admin/reports/JYMX_"+vectorOid+"_20261121.txt", nil, 404, nil)
}

func TestAdminReset(t *testing.T) {
	h := newHarness(t)
	const other = "201408071000004444"
	h.addMerchant(other, readKey(t, "merchant_public_spki.pem"), nil)
	ctx := context.Background()
	now := h.app.Clock.Now()
	err := h.store.Update(ctx, func(tx llgate.Tx) error {
		for _, oid := range []string{vectorOid, other} {
			if err := tx.InsertSMS(ctx, &llgate.SMSMessage{ID: "sms-" + oid, OidPartner: oid, MobileFP: "fp", Sealed: []byte{1}, SentAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h.post(routeCardBin, signed(t, h.merchant, "RSA", binFields()))
	count := func(oid string) (sms, reqs int) {
		_ = h.store.View(ctx, func(tx llgate.Tx) error {
			all, _ := tx.SMSMessages(ctx, "fp", 100)
			for _, m := range all {
				if m.OidPartner == oid {
					sms++
				}
			}
			rl, _ := tx.RequestLog(ctx, llgate.ListQuery{OidPartner: oid, Limit: 100})
			reqs = len(rl)
			return nil
		})
		return
	}
	h.admin("GET", "/admin/requests", nil, 200, nil) // flushes the log
	h.admin("POST", "/admin/reset", map[string]string{"oid_partner": vectorOid}, 200, nil)
	if s, r := count(vectorOid); s != 0 || r != 0 {
		t.Errorf("after reset of %s: %d sms, %d requests left", vectorOid, s, r)
	}
	if s, _ := count(other); s != 1 {
		t.Errorf("reset of one merchant touched another: %d sms left, want 1", s)
	}
	h.admin("GET", "/admin/merchants/"+vectorOid, nil, 200, nil)
	h.admin("POST", "/admin/reset", map[string]string{"oid_partner": "201408071000005555"}, 404, nil)

	h.admin("POST", "/admin/reset", map[string]string{}, 200, nil)
	var list struct{ Merchants []any }
	h.admin("GET", "/admin/merchants", nil, 200, &list)
	if len(list.Merchants) != 0 {
		t.Errorf("after full reset: %d merchants left", len(list.Merchants))
	}
	if got := h.post(routeCardBin, signed(t, h.merchant, "RSA", binFields()))["ret_code"]; got != "3001" {
		t.Errorf("merchant API after full reset: got %s, want 3001", got)
	}
}

func TestGatewayModeHidesSandboxAdmin(t *testing.T) {
	h := newHarness(t, func(o *app.Options) { o.Mode = llgate.ModeGateway })
	for _, p := range []string{"/admin/clock", "/admin/sms?mobile=1", "/admin/requests"} {
		h.admin("GET", p, nil, 404, nil)
	}
	h.admin("POST", "/admin/reset", map[string]string{}, 404, nil)
	h.admin("GET", "/admin/merchants", nil, 200, nil)
}
