package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/internal/faulttest"
	"github.com/llgate/llgate/protocol"
)

// smsProvider is an SMS provider's HTTP API (a fake edge): it keeps the
// texts the gateway sends through `--sms http`.
type smsProvider struct {
	srv   *httptest.Server
	mu    sync.Mutex
	texts []struct{ To, Text, Code string }
}

func newSMSProvider(t *testing.T) *smsProvider {
	p := &smsProvider{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ To, Text, Code string }
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, "bad", 400)
			return
		}
		p.mu.Lock()
		p.texts = append(p.texts, m)
		p.mu.Unlock()
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *smsProvider) last(t *testing.T) (text, code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.texts) == 0 {
		t.Fatal("no text sent")
	}
	m := p.texts[len(p.texts)-1]
	return m.Text, m.Code
}

// TestGatewayBinary runs the real binary in gateway mode and checks what a
// gateway must do differently from the sandbox, as wired: notify_urls that
// reach loopback, private or link-local addresses are refused (and no
// connection reaches a local receiver), test-card outcomes and a merchant's
// fixed SMS code are ignored, the sandbox's admin routes are absent, the
// per-address rate limit holds, and texts do not say sandbox.
func TestGatewayBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	ctx := context.Background()
	root, err := faulttest.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin, err := faulttest.Build(ctx, root, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	sms := newSMSProvider(t)
	var conns atomic.Int64
	local := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ret_code":"0000"}`)
	}))
	local.Config.ConnState = func(net.Conn, http.ConnState) { conns.Add(1) }
	local.Start()
	t.Cleanup(local.Close)
	_, localPort, _ := net.SplitHostPort(local.Listener.Addr().String())

	token := "0123456789abcdef0123456789abcdef"
	srv, err := faulttest.Start(bin, []string{
		"--mode", "gateway", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "gw.db"),
		"--master-key-file", filepath.Join(dir, "master.key"), "--admin-token", token,
		"--platform-key-file", filepath.Join(root, "testdata", "clients", "keys", "platform_private_pkcs8.pem"),
		"--sms", "http", "--sms-url", sms.srv.URL,
		"--sms-template", `{"to":{{json .Mobile}},"text":{{json .Text}},"code":{{json .Code}}}`,
		"--rate-per-addr", "40",
	}, nil, filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(10e9); err != nil {
			t.Errorf("stop: %v", err)
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			t.Logf("server log:\n%s", b)
		}
	})
	admin := func(method, path string, body any) int {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, srv.URL+path, rd)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	key := mustKey(t, "merchant_private_pkcs8.pem")
	if got := admin("POST", "/admin/merchants", map[string]any{"oid_partner": oidA,
		"public_key": protocol.MarshalPublicKeyPEM(&key.PublicKey), "sms_code": "123456"}); got != 201 {
		t.Fatalf("create merchant: %d", got)
	}
	c := client.New(srv.URL, oidA, key, &mustKey(t, "platform_private_pkcs8.pem").PublicKey)

	t.Run("SandboxAdminRoutesAbsent", func(t *testing.T) {
		for _, p := range []string{"/admin/clock", "/admin/sms?mobile=13800138000", "/admin/requests"} {
			if got := admin("GET", p, nil); got != 404 {
				t.Errorf("GET %s: %d, want 404", p, got)
			}
		}
		if got := admin("POST", "/admin/reset", map[string]any{}); got != 404 {
			t.Errorf("POST /admin/reset: %d, want 404", got)
		}
	})

	// A card whose outcome digits make the sandbox's bank refuse it (1101)
	// binds: a gateway applies no test-card outcomes.
	cardNo := card(t, 5, "1101")
	f := bindFields("gw-user", zhang, cardNo)
	r, err := c.BindApply(ctx, f)
	wantCode(t, "bind apply of a sandbox-refused card", r, err, "8888")
	text, smsCode := sms.last(t)
	if strings.Contains(text, "沙箱") || strings.Contains(strings.ToLower(text), "sandbox") {
		t.Errorf("a gateway text says sandbox: %q", text)
	}
	if smsCode == "123456" {
		t.Fatal("the gateway sent the merchant's fixed sandbox code")
	}
	v, err := c.BindVerify(ctx, map[string]string{"user_id": "gw-user", "token": r.Get("token"), "verify_code": "123456"})
	wantCode(t, "verify with the fixed sandbox code", v, err, "9700")
	v, err = c.BindVerify(ctx, map[string]string{"user_id": "gw-user", "token": r.Get("token"), "verify_code": smsCode})
	wantCode(t, "verify with the texted code", v, err, "0000")

	t.Run("NotifyURLGuard", func(t *testing.T) {
		for _, host := range []string{"127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]", "10.0.0.7", "192.168.1.20",
			"172.16.0.1", "169.254.169.254", "[fe80::1]", "0.0.0.0"} {
			pf := payFields("gw-user", nextOrder("gw"), "1.00", "http://"+host+":"+localPort+"/notify")
			pf["no_agree"] = v.Get("no_agree")
			r, err := c.PayApply(ctx, pf)
			got := code(t, r, err)
			if got != "1004" || r.Get("ret_msg") != protocol.RetMsg("1004", "notify_url") {
				t.Errorf("notify_url host %s: got %s %s, want 1004 naming notify_url", host, got, r.Get("ret_msg"))
			}
		}
		var list struct{ Notifications []any }
		req, _ := http.NewRequest("GET", srv.URL+"/admin/notifications", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if len(list.Notifications) != 0 || conns.Load() != 0 {
			t.Errorf("%d notifications queued, %d connections reached the local receiver; want none", len(list.Notifications), conns.Load())
		}
	})

	t.Run("RateLimitPerAddress", func(t *testing.T) {
		codes := map[string]int{}
		for i := 0; i < 200; i++ {
			resp, err := http.Post(srv.URL+"/bankcardbin.htm", "application/json", strings.NewReader("not json"))
			if err != nil {
				t.Fatal(err)
			}
			var a map[string]string
			json.NewDecoder(resp.Body).Decode(&a)
			resp.Body.Close()
			codes[a["ret_code"]]++
		}
		if codes["9903"] == 0 || codes["1012"] == 0 {
			t.Errorf("200 junk requests at --rate-per-addr 40: %v, want 1012 then 9903", codes)
		}
	})
}
