package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/llgate/llgate/sqlite/sqlitetest"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/sqlite"
	"github.com/llgate/llgate/vault"
)

const (
	vectorOid  = "201408071000001539"
	adminToken = "test-admin-token"
)

// keys of the captured client vectors (test-only keys).
func readKey(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "clients", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func merchantKey(t testing.TB) *rsa.PrivateKey {
	k, err := protocol.ParsePrivateKey(readKey(t, "merchant_private_pkcs8.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func platformKey(t testing.TB) *rsa.PrivateKey {
	k, err := protocol.ParsePrivateKey(readKey(t, "platform_private_pkcs8.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Paths of the endpoint table, for the tests.
func pathOf(name string) string {
	e, ok := protocol.EndpointByName(name)
	if !ok {
		panic("no endpoint " + name)
	}
	return e.Path
}

var (
	routeBindApply  = pathOf(protocol.EPBindApply)
	routeCardBin    = pathOf(protocol.EPCardBin)
	routeBindList   = pathOf(protocol.EPBindList)
	routeRefund     = pathOf(protocol.EPRefund)
	routePayApply   = pathOf(protocol.EPPayApply)
	routeOrderQuery = pathOf(protocol.EPOrderQuery)
)

// harness is a real llgate (internal/app: SQLite store, vault, sandbox
// clock, the real use cases) on loopback.
type harness struct {
	t        testing.TB
	app      *app.App
	store    *sqlite.Store
	http     *httptest.Server
	platform *rsa.PrivateKey
	merchant *rsa.PrivateKey
	ms       *llgate.Merchants
	logs     *syncBuffer
}

type option func(*app.Options)

func newHarness(t testing.TB, opts ...option) *harness {
	t.Helper()
	store := sqlitetest.Open(t)
	h := &harness{t: t, store: store, platform: platformKey(t), merchant: merchantKey(t), logs: &syncBuffer{}}
	o := app.Options{
		Store: store, MasterKey: vault.GenerateMasterKey(), PlatformKey: h.platform, AdminToken: adminToken,
		Limits: true, Logger: slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range opts {
		f(&o)
	}
	a, err := app.New(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	h.app, h.ms = a, a.Merchants
	h.http = httptest.NewServer(a.Server)
	t.Cleanup(func() { h.http.Close(); a.Close() })
	h.addMerchant(vectorOid, readKey(t, "merchant_public_spki.pem"), nil)
	return h
}

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (h *harness) addMerchant(oid, pub string, edit func(*llgate.Merchant)) {
	h.t.Helper()
	m := &llgate.Merchant{OidPartner: oid, PublicKeys: []string{pub}, SMSCode: "123456"}
	if edit != nil {
		edit(m)
	}
	if _, err := h.ms.Create(context.Background(), m, ""); err != nil {
		h.t.Fatal(err)
	}
}

// signed builds a signed plain request body.
func signed(t testing.TB, key *rsa.PrivateKey, signType string, fields map[string]string) []byte {
	t.Helper()
	fields["sign_type"] = signType
	delete(fields, "sign")
	sig, err := protocol.Sign(key, signType, protocol.SignSourceMap(fields))
	if err != nil {
		t.Fatal(err)
	}
	fields["sign"] = sig
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post sends body to path and returns the decoded answer after checking the
// HTTP status, the content type and the platform signature.
func (h *harness) post(path string, body []byte) map[string]string {
	h.t.Helper()
	resp, err := http.Post(h.http.URL+path, "application/json;charset=utf-8", bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	return h.answer(resp)
}

func (h *harness) answer(resp *http.Response) map[string]string {
	h.t.Helper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("HTTP status: got %d, want 200 (body %s)", resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		h.t.Fatalf("Content-Type: got %q", ct)
	}
	obj, err := protocol.Decode(raw)
	if err != nil {
		h.t.Fatalf("answer is not strict JSON: %v: %s", err, raw)
	}
	out := map[string]string{}
	for _, k := range obj.Keys() {
		out[k] = obj.Get(k)
	}
	path := "" // raw-socket replays have no request; their answers have no unsigned fields
	if resp.Request != nil {
		path = resp.Request.URL.Path
	}
	st := out["sign_type"]
	if st == "" {
		h.t.Fatalf("answer has no sign_type: %s", raw)
	}
	src := protocol.SignSource(obj, protocol.AnswerUnsigned(path)...)
	if st == "MD5" { // keyed hash: the caller checks it with the merchant's key
		return out
	}
	if err := protocol.Verify(&h.platform.PublicKey, st, src, out["sign"]); err != nil {
		h.t.Fatalf("answer signature: %v: %s", err, raw)
	}
	return out
}

// admin calls the admin API and decodes the JSON answer into out.
func (h *harness) admin(method, path string, body any, wantStatus int, out any) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.http.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		h.t.Fatalf("%s %s: got status %d, want %d: %s", method, path, resp.StatusCode, wantStatus, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
}

func newRSAKey(t testing.TB) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
