package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/protocol"
)

// metric reads one counter of /metrics.
func (h *harness) metric(name string) float64 {
	h.t.Helper()
	resp, err := http.Get(h.http.URL + "/metrics")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(raw)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// TestJunkIsSignedFromTheCache: a flood of junk costs no private-key
// operation per request: its failure answers repeat and their signatures
// come from the cache.
func TestJunkIsSignedFromTheCache(t *testing.T) {
	h := newHarness(t, func(o *app.Options) { o.Limits = false })
	unknown := signed(t, h.merchant, "RSA", map[string]string{"oid_partner": "201408071000000000", "card_no": "6222021234567800002"})
	junk := [][]byte{[]byte("not json"), unknown, []byte(`{"oid_partner":"201408071000001539","card_no":1}`), nil}
	for i := 0; i < 50; i++ {
		for _, b := range junk {
			if got := h.post(routeCardBin, b)["ret_code"]; got == "0000" {
				t.Fatalf("junk %q answered 0000", b)
			}
		}
	}
	fresh := h.metric(`llgate_api_answer_signatures_total{source="fresh"}`)
	cached := h.metric(`llgate_api_answer_signatures_total{source="cached"}`)
	if fresh > float64(len(junk)) || cached < 190 {
		t.Errorf("signatures: %v fresh, %v cached; want at most %d fresh for 200 junk requests", fresh, cached, len(junk))
	}
	// Answers with request data are never cached.
	for i := 0; i < 3; i++ {
		h.post(routeCardBin, signed(t, h.merchant, "RSA", binFields()))
	}
	if got := h.metric(`llgate_api_answer_signatures_total{source="fresh"}`); got != fresh+3 {
		t.Errorf("successes: %v fresh signatures, want %v", got, fresh+3)
	}
}

// TestAddressLimitBeforeParsing: the per-address limit refuses a flood of
// junk before its body is read (9903, not 1012).
func TestAddressLimitBeforeParsing(t *testing.T) {
	h := newHarness(t, func(o *app.Options) { o.AddrRate = 1 })
	codes := map[string]int{}
	for i := 0; i < 6; i++ {
		codes[h.post(routeCardBin, []byte("not json"))["ret_code"]]++
	}
	if codes["9903"] < 3 {
		t.Fatalf("codes: got %v, want junk refused by the address limit (9903)", codes)
	}
}

// postFrom posts body as if relayed for the addresses in xff.
func (h *harness) postFrom(path string, body []byte, xff string) map[string]string {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.http.URL+path, bytes.NewReader(body))
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.answer(resp)
}

func TestTrustedProxies(t *testing.T) {
	allow := func(h *harness) {
		h.admin("PATCH", "/admin/merchants/"+vectorOid, map[string]any{"ip_allowlist": []string{"203.0.113.5"}}, 200, nil)
	}
	body := func(h *harness) []byte { return signed(t, h.merchant, "RSA", binFields()) }

	untrusting := newHarness(t)
	allow(untrusting)
	if got := untrusting.postFrom(routeCardBin, body(untrusting), "203.0.113.5")["ret_code"]; got != "1008" {
		t.Errorf("without --trusted-proxies X-Forwarded-For must be ignored: got %s, want 1008", got)
	}

	h := newHarness(t, func(o *app.Options) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}
	})
	allow(h)
	for _, tc := range []struct{ xff, want string }{
		{"203.0.113.5", "0000"},
		{"203.0.113.5, 10.1.2.3", "0000"},              // through a second trusted hop
		{"203.0.113.5, 198.51.100.7", "1008"},          // the client wrote the left entry
		{"198.51.100.7, 203.0.113.5", "0000"},          // the right-most untrusted entry counts
		{"203.0.113.5, not-an-address", "1008"},        // malformed: the peer itself, loopback
		{"", "1008"},                                   // no header: the peer
		{"[2001:db8::1]:80, 203.0.113.5:4711", "0000"}, // ports are tolerated
	} {
		if got := h.postFrom(routeCardBin, body(h), tc.xff)["ret_code"]; got != tc.want {
			t.Errorf("X-Forwarded-For %q: got %s, want %s", tc.xff, got, tc.want)
		}
	}
}

// auditLines returns the audit log lines in the harness's log.
func (h *harness) auditLines() []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(h.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "audit" {
			out = append(out, m)
		}
	}
	return out
}

func TestAuditLog(t *testing.T) {
	h := newHarness(t)
	key := newRSAKey(t)
	pem := protocol.MarshalPublicKeyPEM(&key.PublicKey)
	const oid = "201408071000003333"
	h.admin("POST", "/admin/merchants", map[string]any{"oid_partner": oid, "public_key": pem, "md5_key": "s3cret-md5", "sign_types": []string{"RSA", "MD5"}}, 201, nil)
	h.admin("PATCH", "/admin/merchants/"+oid, map[string]any{"live": true, "name": "shop", "md5_key": "an0ther-md5"}, 200, nil)
	h.admin("POST", "/admin/clock", map[string]any{"advance_seconds": 60}, 200, nil)
	h.admin("POST", "/admin/reset", map[string]any{"oid_partner": oid}, 200, nil)
	for _, auth := range []string{"", "Bearer nope", "Basic xyz"} {
		req, _ := http.NewRequest("GET", h.http.URL+"/admin/merchants", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	h.admin("GET", "/admin/merchants", nil, 200, nil) // a read is not an action

	lines := h.auditLines()
	var actions []string
	for _, l := range lines {
		actions = append(actions, l["action"].(string))
		if l["by"] != "127.0.0.1" || l["at"] == "" || l["at"] == nil {
			t.Errorf("audit line without who or when: %v", l)
		}
	}
	want := []string{"merchant.create", "merchant.update", "clock.advance", "reset",
		"admin.login_failed", "admin.login_failed", "admin.login_failed"}
	if strings.Join(actions, ",") != strings.Join(want, ",") {
		t.Fatalf("audit actions: got %v, want %v", actions, want)
	}
	if got := lines[1]["fields"]; !equalAny(got, []string{"live", "md5_key", "name"}) {
		t.Errorf("merchant.update fields: got %v, want live, md5_key, name", got)
	}
	all := h.logs.String()
	for _, secret := range []string{"s3cret-md5", "an0ther-md5", "nope", "xyz", protocol.MarshalPublicKeyBase64(&key.PublicKey)[20:60], adminToken} {
		if strings.Contains(all, secret) {
			t.Errorf("the log holds a secret: %q", secret)
		}
	}
}

func equalAny(got any, want []string) bool {
	list, ok := got.([]any)
	if !ok || len(list) != len(want) {
		return false
	}
	for i := range list {
		if list[i] != want[i] {
			return false
		}
	}
	return true
}

// TestGatewayRefusesPrivateNotifyURL: in gateway mode a notify_url that is
// or resolves to a loopback, private or link-local address answers 1004 at
// request time.
func TestGatewayRefusesPrivateNotifyURL(t *testing.T) {
	h := newHarness(t, func(o *app.Options) { o.Mode = llgate.ModeGateway })
	refund := func(url string) map[string]string {
		return h.post(routeRefund, signed(t, h.merchant, "RSA", map[string]string{
			"oid_partner": vectorOid, "no_refund": "r1", "dt_refund": "20261206120000", "money_refund": "1.00",
			"oid_paybill": "1234567890123456", "notify_url": url,
		}))
	}
	for _, u := range []string{
		"http://localhost:8080/n", "http://127.0.0.1/n", "http://10.1.2.3/n", "http://192.168.1.1/n",
		"http://169.254.169.254/latest", "http://[::1]/n", "http://[::ffff:127.0.0.1]/n", "http://[fe80::1]/n",
	} {
		got := refund(u)
		if got["ret_code"] != "1004" || got["ret_msg"] != protocol.RetMsg("1004", "notify_url") {
			t.Errorf("%s: got %s %s, want 1004 naming notify_url", u, got["ret_code"], got["ret_msg"])
		}
	}
	// A public address passes this check (and finds no such payment).
	if got := refund("http://203.0.113.9/n")["ret_code"]; got != "5002" {
		t.Errorf("public notify_url: got %s, want 5002", got)
	}
	sandbox := newHarness(t)
	got := sandbox.post(routeRefund, signed(t, sandbox.merchant, "RSA", map[string]string{
		"oid_partner": vectorOid, "no_refund": "r1", "dt_refund": "20261206120000", "money_refund": "1.00",
		"oid_paybill": "1234567890123456", "notify_url": "http://127.0.0.1/n",
	}))
	if got["ret_code"] != "5002" {
		t.Errorf("sandbox, loopback notify_url: got %s, want 5002 (the sandbox notifies the merchant's machine)", got["ret_code"])
	}
}

// TestJunkDoesNotFloodTheRequestLog: requests naming no known merchant are
// logged at most 20 a second (burst 21) per address; the rest are counted.
func TestJunkDoesNotFloodTheRequestLog(t *testing.T) {
	h := newHarness(t, func(o *app.Options) { o.Limits = false })
	for i := 0; i < 100; i++ {
		h.post(routeCardBin, []byte("not json"))
	}
	h.post(routeCardBin, signed(t, h.merchant, "RSA", map[string]string{"oid_partner": vectorOid})) // a merchant's: always logged
	var got struct {
		Requests []struct {
			OidPartner string `json:"oid_partner"`
		}
	}
	h.admin("GET", "/admin/requests?limit=1000", nil, 200, &got)
	if n := len(got.Requests); n < 2 || n > 60 {
		t.Errorf("request log holds %d entries after 100 junk requests, want at most about 40", n)
	}
	if got.Requests[0].OidPartner != vectorOid {
		t.Errorf("the merchant's request is not the newest entry: %+v", got.Requests[0])
	}
	if d := h.metric("llgate_request_log_dropped_total"); d < 40 {
		t.Errorf("dropped entries counted: %v, want at least 40", d)
	}
}
