package e2e

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/sqlite/sqlitetest"
)

// consoleUser is a browser without script: a cookie jar and forms.
type consoleUser struct {
	t    testing.TB
	base string
	hc   *http.Client
}

func newConsoleUser(t testing.TB, base string) *consoleUser {
	jar, _ := cookiejar.New(nil)
	return &consoleUser{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends one request the way a browser sends a same-origin form.
func (u *consoleUser) do(method, path string, form url.Values) (*http.Response, string) {
	u.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u.base+path, body)
	if err != nil {
		u.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", u.base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := u.hc.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// page GETs a console page that must answer 200 and returns its HTML.
func (u *consoleUser) page(path string) string {
	u.t.Helper()
	resp, body := u.do("GET", path, nil)
	if resp.StatusCode != http.StatusOK {
		u.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return body
}

func (u *consoleUser) login(token string) *http.Response {
	u.t.Helper()
	resp, _ := u.do("POST", "/console/login", url.Values{"token": {token}, "next": {"/console/"}})
	return resp
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token the console put in a page's forms.
func (u *consoleUser) csrf(path string) string {
	u.t.Helper()
	m := csrfField.FindStringSubmatch(u.page(path))
	if m == nil {
		u.t.Fatalf("%s has no CSRF field", path)
	}
	return m[1]
}

// post submits a form as the console's own page would, CSRF token included.
func (u *consoleUser) post(from, action string, form url.Values) (*http.Response, string) {
	u.t.Helper()
	form.Set("csrf", u.csrf(from))
	return u.do("POST", action, form)
}

func TestConsoleLogin(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	e := newEnv(t, sqlitetest.Open(t), func(o *app.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	})
	u := newConsoleUser(t, e.srv.URL)

	// GET / goes to the console, which asks for the token.
	resp, _ := u.do("GET", "/", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" {
		t.Fatalf("GET /: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = u.do("GET", "/console/payments?oid_partner="+oidA, nil)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/login?next=") {
		t.Fatalf("a page without a session: %d %q", resp.StatusCode, loc)
	}
	if resp, body := u.do("POST", "/console/clock", url.Values{"seconds": {"60"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a form without a session: %d %s", resp.StatusCode, body)
	}

	// A wrong token: refused, audited with the address, no cookie.
	resp, body := u.do("POST", "/console/login", url.Values{"token": {"not-the-token"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not the admin token") || len(resp.Cookies()) != 0 {
		t.Fatalf("wrong token: %d %v %s", resp.StatusCode, resp.Cookies(), body)
	}
	if !strings.Contains(logs.String(), `"action":"console.login_failed","by":"127.0.0.1"`) {
		t.Errorf("the failed login is not in the audit log:\n%s", logs)
	}
	if strings.Contains(logs.String(), "not-the-token") {
		t.Errorf("the log holds the typed token")
	}

	// The right token: a signed session cookie, HttpOnly, SameSite=Strict, 12 hours.
	resp = u.login(adminToken)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" {
		t.Fatalf("login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 {
		t.Fatalf("login cookies: %v", cookies)
	}
	c := cookies[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure {
		t.Errorf("session cookie flags: %+v", c)
	}
	if left := time.Until(c.Expires); left < 11*time.Hour || left > 13*time.Hour {
		t.Errorf("session cookie expires in %v, want 12 hours", left)
	}
	if strings.Contains(c.Value, adminToken) {
		t.Errorf("the cookie carries the admin token")
	}
	if !strings.Contains(u.page("/console/"), `data-page="home"`) {
		t.Error("home page after login")
	}

	// A forged or tampered cookie is no session.
	forged := newConsoleUser(t, e.srv.URL)
	srvURL, _ := url.Parse(e.srv.URL)
	tampered := []byte(c.Value)
	tampered[len(tampered)-3] ^= 1
	forged.hc.Jar.SetCookies(srvURL, []*http.Cookie{{Name: c.Name, Value: string(tampered)}})
	if resp, _ := forged.do("GET", "/console/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a tampered cookie opened the console: %d", resp.StatusCode)
	}

	// Logout ends it.
	resp, _ = u.post("/console/", "/console/logout", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 || resp.Cookies()[0].MaxAge >= 0 {
		t.Fatalf("logout: %d %v", resp.StatusCode, resp.Cookies())
	}
	if resp, _ := u.do("GET", "/console/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout the console still opens: %d", resp.StatusCode)
	}
}

func TestConsoleCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqlitetest.Open(t))
	u := newConsoleUser(t, e.srv.URL)
	u.login(adminToken)
	before := e.clockNow()
	token := u.csrf("/console/clock")
	for _, tc := range []struct {
		name    string
		form    url.Values
		headers map[string]string
	}{
		{"no token", url.Values{"seconds": {"3600"}}, nil},
		{"a wrong token", url.Values{"seconds": {"3600"}, "csrf": {token + "x"}}, nil},
		{"another origin", url.Values{"seconds": {"3600"}, "csrf": {token}}, map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}},
	} {
		req, _ := http.NewRequest("POST", e.srv.URL+"/console/clock", strings.NewReader(tc.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range tc.headers {
			req.Header.Set(k, v)
		}
		resp, err := u.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tc.name, resp.StatusCode)
		}
	}
	if now := e.clockNow(); now != before {
		t.Fatalf("a refused form moved the clock: %s → %s", before, now)
	}
	// The console's own form moves it.
	resp, _ := u.post("/console/clock", "/console/clock", url.Values{"seconds": {"3600"}})
	if resp.StatusCode != http.StatusSeeOther || e.clockNow() == before {
		t.Fatalf("the clock form: %d, clock %s", resp.StatusCode, e.clockNow())
	}
}

var scriptNonce = regexp.MustCompile(`<script nonce="([^"]+)"`)

func TestConsoleHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqlitetest.Open(t))
	anon, u := newConsoleUser(t, e.srv.URL), newConsoleUser(t, e.srv.URL)
	u.login(adminToken)
	seen := map[string]bool{}
	for _, path := range []string{"/console/login", "/console/", "/console/merchants", "/console/sms", "/console/clock"} {
		who := u
		if path == "/console/login" {
			who = anon
		}
		resp, body := who.do("GET", path, nil)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		m := scriptNonce.FindStringSubmatch(body)
		if m == nil || !strings.Contains(csp, "script-src 'nonce-"+m[1]+"'") {
			t.Errorf("%s: the page's script nonce is not the policy's: %q", path, csp)
		} else if seen[m[1]] {
			t.Errorf("%s: a nonce used twice", path)
		} else {
			seen[m[1]] = true
		}
		for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		for k, v := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
			"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", path, k, h.Get(k), v)
			}
		}
		if !strings.HasPrefix(body, "<!doctype html>") || strings.Contains(body, "http://") && !strings.Contains(path, "merchants") {
			t.Errorf("%s: not a self-contained page", path)
		}
	}
	// Assets are embedded and cached by ETag.
	resp, _ := u.do("GET", "/console/static/console.css", nil)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" {
		t.Errorf("console.css: %d, ETag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
}

// TestConsoleGateway: in gateway mode the sandbox's pages are absent and
// not linked.
func TestConsoleGateway(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqlitetest.Open(t), func(o *app.Options) {
		o.Mode = llgate.ModeGateway
		o.AdminToken = "gateway-admin-token-0123456789abcdef"
	})
	u := newConsoleUser(t, e.srv.URL)
	if resp := u.login("gateway-admin-token-0123456789abcdef"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	home := u.page("/console/")
	for _, p := range []string{"requests", "sms", "clock", "coverage", "checkouts"} {
		if strings.Contains(home, `href="/console/`+p+`"`) {
			t.Errorf("gateway home links to %s", p)
		}
		if resp, _ := u.do("GET", "/console/"+p, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("gateway /console/%s: %d, want 404", p, resp.StatusCode)
		}
	}
	for _, p := range []string{"merchants", "payments", "refunds", "agreements", "notifications", "reports"} {
		if !strings.Contains(u.page("/console/"+p), `data-page="`+p+`"`) {
			t.Errorf("gateway /console/%s: not its page", p)
		}
	}
}

// TestConsoleMerchantForm creates and edits a merchant through the forms,
// with no script.
func TestConsoleMerchantForm(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	e := newEnv(t, sqlitetest.Open(t), func(o *app.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	})
	u := newConsoleUser(t, e.srv.URL)
	u.login(adminToken)
	pub := string(mustPublicPEM(t))
	resp, body := u.post("/console/merchants/new", "/console/merchants", url.Values{
		"oid_partner": {"201408071000009999"}, "name": {"Console shop"}, "public_key": {pub},
		"sign_type": {"RSA", "MD5"}, "md5_key": {"md5-secret-key"}, "per_txn": {"100.00"}, "sms_code": {"123456"},
	})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	page := u.page("/console/merchants/201408071000009999")
	if strings.Contains(page, "md5-secret-key") || !strings.Contains(page, "********") {
		t.Errorf("the MD5 key is not masked on the merchant page")
	}
	var m struct {
		Name      string   `json:"name"`
		SignTypes []string `json:"sign_types"`
		SMSCode   string   `json:"sms_code"`
		Limits    struct {
			PerTxn string `json:"per_txn"`
		} `json:"limits"`
		MD5Key string `json:"md5_key"`
	}
	e.admin("GET", "/admin/merchants/201408071000009999", nil, 200, &m)
	if m.Name != "Console shop" || strings.Join(m.SignTypes, ",") != "RSA,MD5" || m.SMSCode != "123456" || m.Limits.PerTxn != "100.00" || m.MD5Key == "" {
		t.Fatalf("created merchant: %+v", m)
	}
	// Edit: rename, keep the MD5 key by leaving its box empty.
	form := url.Values{"name": {"Renamed"}, "public_key": {pub}, "sign_type": {"RSA", "MD5"}, "per_txn": {"100.00"}, "sms_code": {"123456"}}
	if resp, body := u.post("/console/merchants/201408071000009999", "/console/merchants/201408071000009999", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", resp.StatusCode, body)
	}
	e.admin("GET", "/admin/merchants/201408071000009999", nil, 200, &m)
	if m.Name != "Renamed" || m.MD5Key == "" {
		t.Fatalf("edited merchant: %+v", m)
	}
	// The audit log names what changed, never a key.
	audit := logs.String()
	if !strings.Contains(audit, `"action":"merchant.update","by":"127.0.0.1"`) || !strings.Contains(audit, `"fields":["name"]`) {
		t.Errorf("the edit's audit line does not name the changed field:\n%s", audit)
	}
	if !strings.Contains(audit, `"action":"merchant.create"`) || strings.Contains(audit, "md5-secret-key") || strings.Contains(audit, "BEGIN PUBLIC KEY") {
		t.Errorf("the create's audit line is missing or holds a key:\n%s", audit)
	}
	// A bad key is shown on the form, not a 500.
	form.Set("public_key", "not a key")
	resp, body = u.post("/console/merchants/201408071000009999", "/console/merchants/201408071000009999", form)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="error"`) {
		t.Fatalf("bad key: %d %s", resp.StatusCode, body)
	}
}

// TestConsoleGoLive runs the go-live check from the coverage page against
// a receiver that verifies, and one that acknowledges everything.
func TestConsoleGoLive(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqlitetest.Open(t))
	e.merchant(oidA, nil)
	u := newConsoleUser(t, e.srv.URL)
	u.login(adminToken)
	careless := newReceiver(t) // acknowledges anything: the bug the check finds
	from := "/console/coverage?oid_partner=" + oidA
	resp, body := u.post(from, "/console/coverage/golive", url.Values{"oid_partner": {oidA}, "notify_url": {careless.url()}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="golive-result" data-pass="false"`) {
		t.Fatalf("careless receiver: %d %s", resp.StatusCode, body)
	}
	for _, step := range []string{"signed", "repeat"} {
		if !strings.Contains(body, `data-step="`+step+`" data-pass="true"`) {
			t.Errorf("step %s should pass", step)
		}
	}
	for _, step := range []string{"wrong_signature", "changed_amount"} {
		if !strings.Contains(body, `data-step="`+step+`" data-pass="false"`) {
			t.Errorf("step %s should fail: the careless receiver acknowledged a forgery", step)
		}
	}
	if n := len(careless.wait(4)); n != 4 {
		t.Errorf("the receiver got %d notifications, want 4", n)
	}
	// A bad URL is said on the page.
	_, body = u.post(from, "/console/coverage/golive", url.Values{"oid_partner": {oidA}, "notify_url": {"ftp://x"}})
	if !strings.Contains(body, `id="error"`) || !strings.Contains(body, "notify URL") {
		t.Errorf("bad URL: %s", body)
	}
}

func mustPublicPEM(t testing.TB) []byte {
	t.Helper()
	key := mustKey(t, "merchant_private_pkcs8.pem")
	return []byte(protocol.MarshalPublicKeyPEM(&key.PublicKey))
}

// consolePages crawls every console page a logged-in user reaches by links
// from the home page, the request pages' signature doctor (fed text) and
// the SMS inbox of mobile included, and returns each page's HTML.
func consolePages(t *testing.T, base string, mobile, pasted string) map[string]string {
	u := newConsoleUser(t, base)
	if resp := u.login(adminToken); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("console login: %d", resp.StatusCode)
	}
	pages := map[string]string{}
	queue := []string{"/console/"}
	link := regexp.MustCompile(`href="(/console/[^"#]*)`)
	for len(queue) > 0 && len(pages) < 400 {
		p := strings.ReplaceAll(queue[0], "&amp;", "&")
		queue = queue[1:]
		if _, done := pages[p]; done || strings.HasPrefix(p, "/console/static/") {
			continue
		}
		resp, body := u.do("GET", p, nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("console GET %s: %d", p, resp.StatusCode)
			continue
		}
		pages[p] = body
		for _, m := range link.FindAllStringSubmatch(body, -1) {
			queue = append(queue, m[1])
		}
		if strings.HasPrefix(p, "/console/requests/") && strings.Contains(body, `id="doctor-form"`) {
			_, doc := u.post(p, p, url.Values{"source": {pasted}})
			pages["POST "+p] = doc
		}
	}
	resp, _ := u.post("/console/sms", "/console/sms", url.Values{"mobile": {mobile}})
	inbox := resp.Header.Get("Location")
	pages[inbox] = u.page(inbox)
	return pages
}
