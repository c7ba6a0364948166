package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/internal/browsertest"
	"github.com/llgate/llgate/sqlite/sqlitetest"
)

// browser is one Chromium tab on a running llgate, with the test's helpers.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	shot string // the test's screenshot directory
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (b *browser) eval(js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("eval %s: %v", js, err)
	}
	return s
}

// open navigates to a console path and waits for its page.
func (b *browser) open(path, page string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS(`body[data-page="`+page+`"]`)))
}

// screenshot writes the page to the test's directory and, when
// LLGATE_SCREENSHOTS names a directory, there as console-NAME.png (how
// docs/ gets its pictures).
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // 100: PNG (less is JPEG)
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	dirs := []string{b.shot}
	if d := os.Getenv("LLGATE_SCREENSHOTS"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, "console-"+name+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
}

// TestConsoleInBrowser walks the console as a new user does: log in, create
// a merchant, bind and pay through the SDK while the SMS page shows each
// code live, look at the payment, resend its notification, move the clock,
// download a report, and let the signature doctor explain a request signed
// with the wrong key.
func TestConsoleInBrowser(t *testing.T) {
	// The server first: cleanups run last first, so the browser, and its
	// live-update stream, closes before the server waits for its requests.
	e := newEnv(t, sqlitetest.Open(t))
	ctx := browsertest.New(t, 120*time.Second)
	rcv := newReceiver(t)
	b := &browser{t: t, ctx: ctx, base: e.srv.URL, shot: t.TempDir()}
	t.Logf("screenshots in %s", b.shot)
	b.do("viewport", chromedp.EmulateViewport(1280, 900))

	// Log in: / leads to the login page; the token opens the console.
	b.do("login page", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS(`body[data-page="login"]`)))
	b.do("log in", chromedp.SendKeys(chromedp.CSS("#token"), adminToken), chromedp.Click(chromedp.CSS("#login-button")),
		chromedp.WaitVisible(chromedp.CSS(`body[data-page="home"]`)))
	b.screenshot("home")

	// Create a merchant with the form.
	const oid = "201408071000007777"
	pub := string(mustPublicPEM(t))
	b.open("/console/merchants", "merchants")
	b.do("new merchant", chromedp.Click(chromedp.CSS("#new-merchant")), chromedp.WaitVisible(chromedp.CSS("#merchant-form")),
		chromedp.SendKeys(chromedp.CSS("#oid_partner"), oid), chromedp.SendKeys(chromedp.CSS("#name"), "Browser shop"),
		chromedp.SetValue(chromedp.CSS("#public_key_0"), pub),
		chromedp.Click(chromedp.CSS("#save")),
		chromedp.WaitVisible(chromedp.CSS(`body[data-page="merchant"] #flash`)))
	b.open("/console/merchants", "merchants")
	if got := b.text(`tr[data-oid="` + oid + `"] td:nth-child(2)`); got != "Browser shop" {
		t.Fatalf("the new merchant's row says %q", got)
	}
	if pk := b.text("#pk-base64"); len(pk) < 200 {
		t.Errorf("platform key shown: %q", pk)
	}
	b.screenshot("merchants")
	c := client.New(e.srv.URL, oid, mustKey(t, "merchant_private_pkcs8.pem"), &e.app.PlatformKey.PublicKey)

	// Watch the payer's phone; each code appears without a reload.
	b.open("/console/sms", "sms")
	b.do("watch phone", chromedp.SendKeys(chromedp.CSS("#mobile"), zhang.mobile), chromedp.Submit(chromedp.CSS("#mobile")),
		chromedp.WaitVisible(chromedp.CSS("#sms-rows")))
	b.eval(`window.__sameDocument = "yes"`)
	liveCode := func(n int) string {
		t.Helper()
		b.do("a text appears live", chromedp.WaitVisible(chromedp.CSS("#sms-rows tr.sms:nth-child("+strconv.Itoa(n)+")")))
		if b.eval(`String(window.__sameDocument)`) != "yes" {
			t.Fatal("the SMS page reloaded instead of updating in place")
		}
		return b.text("#sms-rows tr.sms:first-child td.code")
	}
	ctxb := context.Background()
	r, err := c.BindApply(ctxb, bindFields("browser-user", zhang, card(t, 77, "0000")))
	wantCode(t, "bind apply", r, err, "8888")
	v, err := c.BindVerify(ctxb, map[string]string{"user_id": "browser-user", "token": r.Get("token"), "verify_code": liveCode(1)})
	wantCode(t, "bind verify with the code read on the page", v, err, "0000")
	pa := payWithAgree(t, c, "browser-user", v.Get("no_agree"), "12.34", rcv.url())
	pv, err := verifyPay(c, pa, liveCode(2))
	wantCode(t, "pay verify with the code read on the page", pv, err, "0000")
	b.screenshot("sms")
	rcv.wait(1)

	// The payment, its history, its notification; resend it.
	b.open("/console/payments", "payments")
	b.do("open payment", chromedp.Click(chromedp.CSS(`tr[data-oid-paybill="`+pa.Get("oid_paybill")+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-page="payment"]`)))
	if got := b.text("#status"); got != "SUCCESS" {
		t.Fatalf("payment page status %q", got)
	}
	b.screenshot("payment")
	b.open("/console/notifications", "notifications")
	b.do("open notification", chromedp.Click(chromedp.CSS(`#notifications tbody tr:first-child a`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-page="notification"]`)))
	b.do("resend", chromedp.Click(chromedp.CSS("#resend-button")), chromedp.WaitVisible(chromedp.CSS("#flash")))
	if !strings.Contains(b.text("#notification-body"), "oid_paybill") {
		t.Error("the notification page does not show the body")
	}
	rcv.wait(2) // the resend reached the receiver
	b.screenshot("notification")

	// The clock: one day ahead, then the report run writes yesterday's files.
	b.open("/console/clock", "clock")
	before := b.text("#now")
	b.do("advance a day", chromedp.Click(chromedp.CSS(`button[data-seconds="86400"]`)), chromedp.WaitVisible(chromedp.CSS("#flash")))
	if after := b.text("#now"); after == before {
		t.Fatalf("the clock did not move: %s", after)
	}
	e.settleReports()
	b.open("/console/reports?oid_partner="+oid, "reports")
	name := b.text(`#reports a[href^="/console/reports/JYMX_"]`)
	if !strings.HasPrefix(name, "JYMX_"+oid) {
		t.Fatalf("report list: %q", name)
	}
	got := b.eval(`fetch(document.querySelector('#reports a[href^="/console/reports/JYMX_"]').href).then(r => r.text())`)
	if !strings.Contains(got, pa.Get("oid_paybill")) {
		t.Fatalf("the downloaded report lacks the payment:\n%s", got)
	}

	// A request signed with the wrong key, and the doctor's comparison.
	wrong := *c
	wrong.Key = mustKey(t, "platform_private_pkcs8.pem")
	r, err = wrong.OrderQuery(ctxb, map[string]string{"no_order": pa.Get("no_order"), "dt_order": "20261122100000"})
	wantCode(t, "wrong key", r, err, "1001")
	b.open("/console/requests?oid_partner="+oid, "requests")
	b.do("open the 1001", chromedp.Click(chromedp.CSS(`tr[data-ret-code="1001"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-page="request"] #doctor-form`)))
	if got := b.text("#verified"); got != "no" {
		t.Fatalf("doctor says verified %q", got)
	}
	source := b.text("#sign-source")                                      // nothing in a query's source is masked
	pasted := strings.Replace(source, "oid_partner=", "oid_partner= ", 1) // a stray space, a classic
	b.do("compare", chromedp.SetValue(chromedp.CSS("#pasted"), pasted), chromedp.Click(chromedp.CSS("#compare")),
		chromedp.WaitVisible(chromedp.CSS("#diff-explain")))
	if got := b.text("#diff-explain"); !strings.Contains(got, "First difference at byte "+strconv.Itoa(strings.Index(source, "oid_partner=")+len("oid_partner="))) {
		t.Errorf("doctor: %q", got)
	}
	b.screenshot("doctor")

	// Every page of the navigation opens as itself.
	for _, p := range []string{"merchants", "requests", "agreements", "payments", "refunds", "notifications", "sms", "clock", "reports", "coverage", "checkouts"} {
		b.open("/console/", "home")
		b.do("nav "+p, chromedp.Click(chromedp.CSS(`header nav a[href="/console/`+p+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`body[data-page="`+p+`"]`)))
	}
	b.open("/console/coverage?oid_partner="+oid, "coverage")
	if n := b.eval(`String(document.querySelectorAll('tr[data-met="yes"]').length)`); n == "0" {
		t.Error("coverage shows no code met")
	}
	b.screenshot("coverage")
}
