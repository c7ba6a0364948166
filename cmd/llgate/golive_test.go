package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
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
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
)

const (
	goliveOid     = "201408071000001539"
	platformPEM   = testKeys + "platform_private_pkcs8.pem"
	merchantPEM   = testKeys + "merchant_private_pkcs8.pem"
	merchantSPKI  = testKeys + "merchant_public_spki.b64"
	goliveAckBody = `{"ret_code":"0000","ret_msg":"交易成功"}`
)

// goliveReceiver is a merchant's notify URL on loopback: it acknowledges
// what verifies with pub, and everything when naive. It keeps the bodies
// and counts connections.
type goliveReceiver struct {
	url    string
	pub    *rsa.PublicKey
	conns  atomic.Int64
	mu     sync.Mutex
	bodies [][]byte
}

func newGoliveReceiver(t *testing.T, pub *rsa.PublicKey, naive bool) *goliveReceiver {
	t.Helper()
	rc := &goliveReceiver{pub: pub}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, body)
		rc.mu.Unlock()
		if _, err := client.VerifyNotification(body, pub); err != nil && !naive {
			_, _ = io.WriteString(w, `{"ret_code":"9999","ret_msg":"bad sign"}`)
			return
		}
		_, _ = io.WriteString(w, goliveAckBody)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			rc.conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	rc.url = srv.URL + "/notify"
	return rc
}

// first is the first notification the receiver got, verified.
func (rc *goliveReceiver) first(t *testing.T) map[string]string {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bodies) == 0 {
		t.Fatal("the receiver got nothing")
	}
	f, err := client.VerifyNotification(rc.bodies[0], rc.pub)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// testPlatformKey is the test platform key, read as serve reads it.
func testPlatformKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := loadPlatformKey(&config{PlatformKeyFile: platformPEM})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func exitCode(err error) int {
	var ec interface{ ExitCode() int }
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ec):
		return ec.ExitCode()
	}
	return 2
}

func TestGoliveHelpAndMisuse(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"golive", "--help"}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatalf("--help: %v", err)
	}
	for _, has := range []string{"-merchant", "-notify-url", "-platform-key-file", "-db", "-mode", "-json", "-admin-token"} {
		if !strings.Contains(out.String(), has) {
			t.Errorf("--help lacks %s", has)
		}
	}
	for _, hasNot := range []string{"-tls-cert", "-sms-url", "-admin-addr"} {
		if strings.Contains(out.String(), hasNot) {
			t.Errorf("--help shows serve's %s", hasNot)
		}
	}
	for _, args := range [][]string{
		{"golive"}, {"golive", "--bogus"}, {"golive", "--merchant", goliveOid},
		{"golive", "--notify-url", "http://127.0.0.1:1/"}, {"golive", "--merchant", goliveOid, "--notify-url", "http://x/", "extra"},
	} {
		if err := run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error (exit 2)", args, err)
		}
	}
	// No key source: exit 2, saying what to give.
	args := []string{"golive", "--merchant", goliveOid, "--notify-url", "http://127.0.0.1:1/", "--db", filepath.Join(t.TempDir(), "none.db")}
	if err := run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard); exitCode(err) != 2 ||
		!strings.Contains(err.Error(), "--platform-key-file") {
		t.Errorf("no database: %v, want exit 2 naming --platform-key-file", err)
	}
}

// TestGoliveKeyFile: with the platform key from a file, a correct receiver
// passes (exit 0) and a naive one fails (exit 1) with the report printed.
func TestGoliveKeyFile(t *testing.T) {
	pub := &testPlatformKey(t).PublicKey
	good := newGoliveReceiver(t, pub, false)
	out, err := runCLI(t, "golive", "--merchant", goliveOid, "--notify-url", good.url, "--platform-key-file", platformPEM)
	if err != nil {
		t.Fatalf("correct receiver: %v\n%s", err, out)
	}
	for _, want := range []string{"signed", "wrong signature", "changed amount", "repeat", "a pass:", "d pass:", "PASS: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	naive := newGoliveReceiver(t, pub, true)
	out, err = runCLI(t, "golive", "--merchant", goliveOid, "--notify-url", naive.url, "--platform-key-file", platformPEM, "--json")
	if exitCode(err) != 1 {
		t.Fatalf("naive receiver: %v, want exit 1\n%s", err, out)
	}
	var rep struct {
		Pass    bool   `json:"pass"`
		Summary string `json:"summary"`
		Steps   []struct {
			ID   string `json:"id"`
			Pass bool   `json:"pass"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if rep.Pass || len(rep.Steps) != 4 || !rep.Steps[0].Pass || rep.Steps[1].Pass || rep.Steps[2].Pass || !rep.Steps[3].Pass ||
		!strings.HasPrefix(rep.Summary, "FAIL (b, c)") {
		t.Errorf("naive receiver's report: %+v", rep)
	}
}

// TestGoliveDB: the stored platform key and the merchant's settings come
// from the database; --mode gateway refuses a loopback receiver without
// connecting to it.
func TestGoliveDB(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "llgate.db")
	spki, err := os.ReadFile(merchantSPKI)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := json.Marshal(map[string]any{"oid_partner": goliveOid, "public_key": string(spki),
		"sign_types": []string{"SHA256withRSA"}, "notify_extra_fields": true})
	mf := filepath.Join(dir, "m.json")
	if err := os.WriteFile(mf, m, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(t, "merchant", "add", "--create", "--db", db, "--json", mf); err != nil {
		t.Fatalf("merchant add: %v\n%s", err, out)
	}
	store, v := openWithKeyFile(t, db)
	key, err := llgate.PlatformKey(context.Background(), store, v)
	store.Close()
	if err != nil {
		t.Fatal(err)
	}

	rc := newGoliveReceiver(t, &key.PublicKey, false)
	out, err := runCLI(t, "golive", "--merchant", goliveOid, "--notify-url", rc.url, "--db", db)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	f := rc.first(t)
	if f["sign_type"] != "SHA256withRSA" || f["card_no"] != "6222020000000100008" || f["acct_name"] != "张三" {
		t.Errorf("sent %v: want the merchant's sign type and the extra fields", f)
	}
	if strings.Contains(out, "6222020000000100008") {
		t.Errorf("the output shows a card number:\n%s", out)
	}

	out, err = runCLI(t, "golive", "--merchant", "201408071000009999", "--notify-url", rc.url, "--db", db)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "no merchant") {
		t.Errorf("unknown merchant: %v\n%s", err, out)
	}

	gw := newGoliveReceiver(t, &key.PublicKey, false)
	out, err = runCLI(t, "golive", "--merchant", goliveOid, "--notify-url", gw.url, "--db", db, "--mode", "gateway")
	if exitCode(err) != 1 || !strings.Contains(out, "loopback address") {
		t.Errorf("gateway mode to loopback: %v, want exit 1 naming the loopback address\n%s", err, out)
	}
	if n := gw.conns.Load(); n != 0 {
		t.Errorf("%d connections reached the receiver in gateway mode, want 0", n)
	}
}

// TestGoliveAdminAPI: --url and --admin-token supply the merchant's
// settings, and a key file that is not the server's platform key is
// refused before anything is sent.
func TestGoliveAdminAPI(t *testing.T) {
	a, base := notifyServer(t)
	spki, err := os.ReadFile(merchantSPKI)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Merchants.Create(context.Background(), &llgate.Merchant{OidPartner: goliveOid, PublicKeys: []string{string(spki)},
		SignTypes: []string{llgate.SignRSA}, NotifyExtraFields: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SandboxClock.Advance(context.Background(), 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	before := llgate.ChinaDate(a.Clock.Now())
	rc := newGoliveReceiver(t, &a.PlatformKey.PublicKey, false)
	admin := []string{"--url", base, "--admin-token", notifyTestToken}
	out, err := runCLI(t, append([]string{"golive", "--merchant", goliveOid, "--notify-url", rc.url, "--platform-key-file", platformPEM}, admin...)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	f := rc.first(t)
	if f["id_no"] == "" || f["sign_type"] != "RSA" {
		t.Errorf("sent %v: want the extra fields the server has for the merchant", f)
	}
	if after := llgate.ChinaDate(a.Clock.Now()); f["settle_date"] != before && f["settle_date"] != after {
		t.Errorf("settle_date %s, want the sandbox clock's day %s", f["settle_date"], after)
	}

	wrong := newGoliveReceiver(t, &a.PlatformKey.PublicKey, false)
	_, err = runCLI(t, append([]string{"golive", "--merchant", goliveOid, "--notify-url", wrong.url, "--platform-key-file", merchantPEM}, admin...)...)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "is not the platform key") {
		t.Errorf("another key file: %v, want exit 2 saying it is not the platform key", err)
	}
	if n := wrong.conns.Load(); n != 0 {
		t.Errorf("%d connections with the wrong key, want 0", n)
	}
}
