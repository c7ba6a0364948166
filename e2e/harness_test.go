package e2e

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/llgate/llgate/postgres/pgtest"
	"github.com/llgate/llgate/sqlite/sqlitetest"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/issuer"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/vault"
)

const adminToken = "e2e-admin"

// engines runs fn once per store engine, each as a parallel subtest.
func engines(t *testing.T, fn func(t *testing.T, open func(testing.TB) llgate.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, func(tb testing.TB) llgate.Store { return sqlitetest.Open(tb) })
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, func(tb testing.TB) llgate.Store { return pgtest.Open(tb) })
	})
}

// env is one running llgate with its merchants.
type env struct {
	t        *testing.T
	app      *app.App
	srv      *httptest.Server
	wall     time.Time
	keyCache map[string]*rsa.PrivateKey
}

type envOption func(*app.Options)

func limitsOff(o *app.Options) { o.Limits = false }

func newEnv(t *testing.T, store llgate.Store, opts ...envOption) *env {
	t.Helper()
	return startEnv(t, store, true, opts...)
}

// startEnv is newEnv; without background work (work false) nothing is
// settled or notified but by what a request or the test does.
func startEnv(t *testing.T, store llgate.Store, work bool, opts ...envOption) *env {
	t.Helper()
	o := app.Options{
		Store: store, MasterKey: vault.GenerateMasterKey(), AdminToken: adminToken, Limits: true,
		PlatformKey: mustKey(t, "platform_private_pkcs8.pem"),
		Logger:      slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	for _, f := range opts {
		f(&o)
	}
	a, err := app.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, app: a, keyCache: map[string]*rsa.PrivateKey{}}
	e.srv = httptest.NewServer(a.Server)
	ctx, cancel := context.WithCancel(context.Background())
	wait := func() {}
	if work {
		wait = a.Start(ctx)
	}
	t.Cleanup(func() {
		cancel()
		wait()
		e.srv.Close()
		a.Close()
		// After every test: each merchant's balances are the sums of its
		// ledger, never negative (CONTRACT-easypay-payouts §4.12). A store
		// the test closed itself is passed over.
		if !t.Failed() && store.Ping(context.Background()) == nil {
			if err := llgate.RecomputeAll(context.Background(), store); err != nil {
				t.Errorf("after the test: %v", err)
			}
		}
	})
	return e
}

func mustKey(t testing.TB, name string) *rsa.PrivateKey {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "clients", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	k, err := protocol.ParsePrivateKey(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// tWriter sends the server's warnings and errors to the test log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// merchant provisions a merchant through the admin API and returns a client
// for it. The vector merchant key signs for every merchant: isolation comes
// from oid_partner, not from the key.
func (e *env) merchant(oid string, fields map[string]any) *client.Client {
	e.t.Helper()
	key := mustKey(e.t, "merchant_private_pkcs8.pem")
	obj := map[string]any{"oid_partner": oid, "public_key": protocol.MarshalPublicKeyPEM(&key.PublicKey)}
	for k, v := range fields {
		obj[k] = v
	}
	e.admin("POST", "/admin/merchants", obj, http.StatusCreated, nil)
	return client.New(e.srv.URL, oid, key, &e.app.PlatformKey.PublicKey)
}

func (e *env) admin(method, path string, body any, want int, out any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatal(err)
		}
	}
}

// advance moves the sandbox clock.
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	e.admin("POST", "/admin/clock", map[string]any{"advance_seconds": int64(d / time.Second)}, 200, nil)
}

// settle finishes everything the clock made due (the background loop does
// the same by itself; this waits for it deterministically).
func (e *env) settle() {
	e.t.Helper()
	if err := e.app.SettleNow(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// lastCode reads the newest code texted to mobile from the sandbox inbox.
func (e *env) lastCode(mobile string) string {
	e.t.Helper()
	var got struct {
		Messages []struct{ Code, Text string } `json:"messages"`
	}
	e.admin("GET", "/admin/sms?mobile="+mobile, nil, 200, &got)
	if len(got.Messages) == 0 {
		e.t.Fatalf("no SMS to %s", mobile)
	}
	return got.Messages[0].Code
}

func (e *env) smsCount(mobile string) int {
	var got struct{ Messages []any }
	e.admin("GET", "/admin/sms?mobile="+mobile, nil, 200, &got)
	return len(got.Messages)
}

// code returns the ret_code of a call: "0000"/"8888" on success.
func code(t *testing.T, res *client.Response, err error) string {
	t.Helper()
	var apiErr *client.Error
	switch {
	case err == nil:
		return res.Get("ret_code")
	case errors.As(err, &apiErr):
		return apiErr.RetCode
	default:
		t.Fatalf("call failed: %v", err)
		return ""
	}
}

func wantCode(t *testing.T, what string, res *client.Response, err error, want string) *client.Response {
	t.Helper()
	if got := code(t, res, err); got != want {
		msg := ""
		if res != nil {
			msg = res.Get("ret_msg")
		}
		t.Fatalf("%s: ret_code %s (%s), want %s", what, got, msg, want)
	}
	return res
}

// person is a cardholder for tests.
type person struct {
	name, idType, idNo, mobile string
}

var (
	zhang = person{"张三", "0", "110105199003071239", "13800138000"}
	li    = person{"李四", "0", "11010519491231002X", "13900139000"}
)

// card makes a distinct Luhn-valid ICBC debit card with the outcome digits.
func card(t testing.TB, seed uint64, outcome string) string {
	c, err := issuer.TestCard("622202", 19, seed, outcome)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// creditCard makes a 16-digit credit card (SHBANK CC BIN 622148).
func creditCard(t testing.TB, seed uint64, outcome string) string {
	c, err := issuer.TestCard("622148", 16, seed, outcome)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func bindFields(user string, p person, cardNo string) map[string]string {
	return map[string]string{
		"user_id": user, "pay_type": "2", "id_type": p.idType, "id_no": p.idNo, "acct_name": p.name,
		"card_no": cardNo, "bind_mob": p.mobile,
		"risk_item": `{"frms_ware_category":"4007","user_info_mercht_userno":"` + user + `","user_info_dt_register":"20250101120000"}`,
	}
}

// bind binds a card end to end and returns no_agree.
func (e *env) bind(c *client.Client, user string, p person, cardNo string) string {
	e.t.Helper()
	ctx := context.Background()
	r, err := c.BindApply(ctx, bindFields(user, p, cardNo))
	wantCode(e.t, "bind apply", r, err, "8888")
	v, err := c.BindVerify(ctx, map[string]string{"user_id": user, "token": r.Get("token"), "verify_code": e.lastCode(p.mobile)})
	wantCode(e.t, "bind verify", v, err, "0000")
	return v.Get("no_agree")
}

// tally runs fn n times at once and counts the answers it returns.
func tally(n int, fn func() string) map[string]int {
	answers := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { answers <- fn() })
	}
	wg.Wait()
	close(answers)
	count := map[string]int{}
	for a := range answers {
		count[a]++
	}
	return count
}

// adminBody calls the admin API and returns the body of a 200 answer.
func (e *env) adminBody(method, path string) []byte {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("%s %s: status %d: %s", method, path, resp.StatusCode, b)
	}
	return b
}

// settleReports writes the report files the clock made due (the report
// loop does the same by itself).
func (e *env) settleReports() {
	e.t.Helper()
	for {
		n, err := e.app.Reports.RunDue(e.t.Context())
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// waitAttempts waits until the merchant's notifications have had n
// attempts between them (the worker runs by itself).
func (e *env) waitAttempts(oid string, n int) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got struct {
			Notifications []struct {
				Attempts []any `json:"attempts"`
			} `json:"notifications"`
		}
		e.admin("GET", "/admin/notifications?oid_partner="+oid, nil, 200, &got)
		done := 0
		for _, x := range got.Notifications {
			done += len(x.Attempts)
		}
		if done >= n {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d of %d notification attempts after 30 s", done, n)
		}
		e.app.Notifier.Wake()
		time.Sleep(20 * time.Millisecond)
	}
}
