package golive_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llgate/llgate/golive"
)

// TestAckRules: the notifier's acknowledgement rules apply, not strict
// JSON: the classic PHP receiver's BOMs and single quotes acknowledge, a
// redirect to an acknowledging page does not (it is not followed).
func TestAckRules(t *testing.T) {
	platform, _ := keys(t)
	php := newReceiver(t, &platform.PublicKey, func(w http.ResponseWriter, _ []byte, verified bool) {
		w.Header().Set("Content-Type", "text/html")
		if verified {
			_, _ = io.WriteString(w, "\xef\xbb\xbf\xef\xbb\xbf{'ret_code':'0000','ret_msg':'交易成功'}\n")
			return
		}
		_, _ = io.WriteString(w, "{'ret_code':'9999','ret_msg':'验签失败'}")
	})
	rep, err := checker(t, php.srv.URL).Run(t.Context())
	if err != nil || !rep.Pass {
		t.Fatalf("PHP-style receiver: %v %s", err, verdicts(rep))
	}

	target := newReceiver(t, &platform.PublicKey, func(w http.ResponseWriter, _ []byte, _ bool) { ack(w) })
	redirect := newServer(t, http.RedirectHandler(target.srv.URL, http.StatusFound))
	rep, err = checker(t, redirect).Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := verdicts(rep), "a- b+ c+ d-"; got != want || rep.Steps[0].HTTPStatus != http.StatusFound {
		t.Errorf("redirecting receiver: %s, a's status %d; want %s, 302", got, rep.Steps[0].HTTPStatus, want)
	}
	if n := len(target.requests()); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
}

// TestUnknownOrder: a verified notification answered with another code is
// not acknowledged, and the explanation points at the order it named.
func TestUnknownOrder(t *testing.T) {
	platform, _ := keys(t)
	rc := newReceiver(t, &platform.PublicKey, func(w http.ResponseWriter, body []byte, verified bool) {
		if verified && fields(t, body)["no_order"] == "shop-42" && fields(t, body)["money_order"] == "99.5" {
			ack(w)
			return
		}
		_, _ = io.WriteString(w, `{"ret_code":"8901","ret_msg":"no such order"}`)
	})
	rep, err := checker(t, rc.srv.URL).Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := verdicts(rep), "a- b+ c+ d-"; got != want {
		t.Fatalf("made-up order: %s, want %s", got, want)
	}
	if e := rep.Steps[0].Explanation; !strings.Contains(e, "GOLIVE-20240501180000") || !strings.Contains(e, "no_order") {
		t.Errorf("a's explanation %q", e)
	}

	c := checker(t, rc.srv.URL)
	c.NoOrder, c.MoneyOrder = "shop-42", "99.5"
	if rep, err = c.Run(t.Context()); err != nil || !rep.Pass {
		t.Fatalf("known order: %v %s", err, verdicts(rep))
	}
	if got := fields(t, rc.requests()[6].body)["money_order"]; got != "9950.00" {
		t.Errorf("changed money_order %q, want 9950.00", got)
	}
}

// TestExtraFields: a merchant with notify_extra_fields gets the card
// holder's fields, and an answer echoing them is masked in the report,
// as is the body shown.
func TestExtraFields(t *testing.T) {
	platform, _ := keys(t)
	rc := newReceiver(t, &platform.PublicKey, func(w http.ResponseWriter, body []byte, verified bool) {
		f := fields(t, body)
		code := "9999"
		if verified {
			code = "0000"
		}
		b, _ := json.Marshal(map[string]string{"ret_code": code, "ret_msg": f["acct_name"] + " " + f["card_no"] + " " + f["id_no"]})
		_, _ = w.Write(b)
	})
	c := checker(t, rc.srv.URL)
	c.ExtraFields, c.SignType = true, "SHA256withRSA"
	rep, err := c.Run(t.Context())
	if err != nil || !rep.Pass {
		t.Fatalf("%v %s: %+v", err, verdicts(rep), rep)
	}
	sent := fields(t, rc.requests()[0].body)
	for k, v := range map[string]string{"id_type": "0", "id_no": "110105199003071239", "acct_name": "张三",
		"card_no": "6222020000000100008", "sign_type": "SHA256withRSA"} {
		if sent[k] != v {
			t.Errorf("sent %s = %q, want %q", k, sent[k], v)
		}
	}
	for _, s := range rep.Steps {
		for _, secret := range []string{"110105199003071239", "张三", "6222020000000100008"} {
			if strings.Contains(s.Answer, secret) || strings.Contains(s.Body, secret) {
				t.Errorf("step %s shows %q: answer %q body %q", s.ID, secret, s.Answer, s.Body)
			}
		}
	}
	if !strings.Contains(rep.Steps[0].Answer, "张*") || !strings.Contains(rep.Steps[0].Body, `"card_no":"622202*********0008"`) {
		t.Errorf("masked answer %q, body %q", rep.Steps[0].Answer, rep.Steps[0].Body)
	}
}

// TestTimeout: a receiver that does not answer within the timeout fails a,
// with the reason in the answer.
func TestTimeout(t *testing.T) {
	platform, _ := keys(t)
	release := make(chan struct{})
	rc := newReceiver(t, &platform.PublicKey, func(w http.ResponseWriter, _ []byte, _ bool) { <-release })
	defer close(release) // before the server's Close waits for the handlers
	c := checker(t, rc.srv.URL)
	c.Timeout = 100 * time.Millisecond
	rep, err := c.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := verdicts(rep), "a- b+ c+ d-"; got != want {
		t.Fatalf("%s, want %s", got, want)
	}
	if a := rep.Steps[0]; a.HTTPStatus != 0 || !strings.Contains(a.Answer, "timeout") || !strings.Contains(a.Explanation, "no answer") {
		t.Errorf("a: %+v", a)
	}
}

// TestForgeKeyGenerated: without ForgeKey the wrong signature comes from a
// fresh key as long as the platform key.
func TestForgeKeyGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("generates an RSA key")
	}
	platform, _ := keys(t)
	rc := newReceiver(t, &platform.PublicKey, correct)
	c := checker(t, rc.srv.URL)
	c.ForgeKey = nil
	rep, err := c.Run(t.Context())
	if err != nil || !rep.Pass {
		t.Fatalf("%v %s", err, verdicts(rep))
	}
	a, b := fields(t, rc.requests()[0].body), fields(t, rc.requests()[1].body)
	if len(a["sign"]) != len(b["sign"]) || a["sign"] == b["sign"] {
		t.Errorf("sign lengths %d and %d", len(a["sign"]), len(b["sign"]))
	}
}

// TestInvalid: a Checker that cannot run is an error, and nothing is sent.
func TestInvalid(t *testing.T) {
	platform, _ := keys(t)
	rc := newReceiver(t, &platform.PublicKey, func(w http.ResponseWriter, _ []byte, _ bool) { ack(w) })
	for _, tc := range []struct {
		name   string
		change func(c *golive.Checker)
		want   string
	}{
		{"no key", func(c *golive.Checker) { c.PlatformKey = nil }, "no platform key"},
		{"oid", func(c *golive.Checker) { c.OidPartner = "12345" }, "18 digits"},
		{"url", func(c *golive.Checker) { c.URL = "ftp://example.com/x" }, "http or https"},
		{"empty url", func(c *golive.Checker) { c.URL = "" }, "notify URL"},
		{"no_order", func(c *golive.Checker) { c.NoOrder = "a&b=c" }, "no_order"},
		{"money_order", func(c *golive.Checker) { c.MoneyOrder = "01.00" }, "money_order"},
		{"sign_type", func(c *golive.Checker) { c.SignType = "MD5" }, "sign_type"},
	} {
		c := checker(t, rc.srv.URL)
		tc.change(c)
		rep, err := c.Run(t.Context())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v (%v), want an error naming %q", tc.name, err, rep, tc.want)
		}
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("%d requests sent by invalid checks", n)
	}
}

// TestReportJSON: the report's JSON form, read by the console and by
// `llgate golive --json`.
func TestReportJSON(t *testing.T) {
	platform, _ := keys(t)
	rc := newReceiver(t, &platform.PublicKey, func(w http.ResponseWriter, _ []byte, _ bool) { ack(w) })
	rep, err := checker(t, rc.srv.URL).Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Pass  bool `json:"pass"`
		Steps []struct {
			ID        string  `json:"id"`
			Name      string  `json:"name"`
			LatencyMS float64 `json:"latency_ms"`
			Pass      bool    `json:"pass"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Pass || len(got.Steps) != 4 || got.Steps[1].Name != "wrong_signature" || got.Steps[1].Pass || got.Steps[0].LatencyMS <= 0 {
		t.Errorf("JSON %s", b)
	}
}
