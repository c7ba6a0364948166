package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llgate/llgate/protocol"
)

type started struct {
	Msg        string `json:"msg"`
	Addr       string `json:"addr"`
	AdminAddr  string `json:"admin_addr"`
	Mode       string `json:"mode"`
	AdminToken string `json:"admin_token"`
	Console    string `json:"console"`
}

// serve runs `llgate serve args...` in-process and returns its start line.
// The server stops when the test ends.
func serve(t *testing.T, env map[string]string, args ...string) started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve"}, args...), func(k string) string { return env[k] }, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned: %v", err)
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no start line: %v", err)
	}
	go io.Copy(io.Discard, pr)
	var s started
	if err := json.Unmarshal([]byte(line), &s); err != nil {
		t.Fatalf("start line %q: %v", line, err)
	}
	return s
}

func TestServeStartLineAndAdmin(t *testing.T) {
	dir := t.TempDir()
	s := serve(t, nil, "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "llgate.db"))
	if s.Msg != "listening" || s.Mode != "sandbox" || len(s.AdminToken) < 32 || !strings.HasPrefix(s.Addr, "127.0.0.1:") ||
		s.Console != "http://"+s.Addr+"/console/" {
		t.Fatalf("start line: %+v", s)
	}
	base := "http://" + s.Addr
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", err, resp)
	}
	resp.Body.Close()
	if _, err := os.Stat(filepath.Join(dir, "llgate.db.masterkey")); err != nil {
		t.Errorf("sandbox master key next to the database: %v", err)
	}

	key, _ := os.ReadFile("../../testdata/clients/keys/merchant_public_spki.pem")
	body, _ := json.Marshal(map[string]any{"oid_partner": "201408071000001539", "public_key": string(key)})
	req, _ := http.NewRequest("POST", base+"/admin/merchants", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+s.AdminToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create merchant: %v %v", err, resp)
	}
	resp.Body.Close()

	req, _ = http.NewRequest("GET", base+"/admin/platform-key", nil)
	req.Header.Set("Authorization", "Bearer "+s.AdminToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var pk map[string]string
	json.NewDecoder(resp.Body).Decode(&pk)
	resp.Body.Close()
	if _, err := protocol.ParsePublicKey(pk["public_key"]); err != nil {
		t.Fatalf("platform key: %v", err)
	}
}

func TestServePinnedKeyMerchantsFileAndToken(t *testing.T) {
	s := serve(t, map[string]string{"LLGATE_ADMIN_TOKEN": "tok-from-env"},
		"--addr", "127.0.0.1:0", "--db", ":memory:",
		"--platform-key-file", "../../testdata/clients/keys/platform_private_pkcs8.pem",
		"--merchants", "../../testdata/clients/keys/merchants.json")
	if s.AdminToken != "" {
		t.Errorf("a given token must not be printed: %+v", s)
	}
	req, _ := http.NewRequest("GET", "http://"+s.Addr+"/admin/merchants/201408071000001539", nil)
	req.Header.Set("Authorization", "Bearer tok-from-env")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("merchant from --merchants: %v %v", err, resp)
	}
	resp.Body.Close()
	req, _ = http.NewRequest("GET", "http://"+s.Addr+"/admin/platform-key", nil)
	req.Header.Set("Authorization", "Bearer tok-from-env")
	resp, _ = http.DefaultClient.Do(req)
	var pk map[string]string
	json.NewDecoder(resp.Body).Decode(&pk)
	resp.Body.Close()
	want, _ := os.ReadFile("../../testdata/clients/keys/platform_public_spki.b64")
	if pk["public_key"] != strings.TrimSpace(string(want)) {
		t.Errorf("pinned platform key not used: %s", pk["public_key"])
	}
}

func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir)
	s := serve(t, nil, "--addr", "127.0.0.1:0", "--db", ":memory:", "--tls-cert", certFile, "--tls-key", keyFile)
	get := func(max uint16) error {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MaxVersion: max}}}
		resp, err := c.Get("https://" + s.Addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(tls.VersionTLS12); err != nil {
		t.Fatalf("TLS 1.2: %v", err)
	}
	if err := get(tls.VersionTLS11); err == nil {
		t.Fatal("TLS 1.1 was accepted; want TLS 1.2 and up only")
	}
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(conn)
	if strings.Contains(string(b), `"ok"`) {
		t.Fatal("plain HTTP answered on a TLS listener")
	}
}

// TestServeKeepsItsToken: a generated admin token is kept (sealed) with the
// database and printed again at the next start, so scripts survive a
// restart; a given one wins and is not printed.
func TestServeKeepsItsToken(t *testing.T) {
	db := filepath.Join(t.TempDir(), "llgate.db")
	first := startStop(t, "--addr", "127.0.0.1:0", "--db", db)
	second := startStop(t, "--addr", "127.0.0.1:0", "--db", db)
	if first.AdminToken == "" || first.AdminToken != second.AdminToken {
		t.Fatalf("tokens of two starts: %q, %q; want one, kept", first.AdminToken, second.AdminToken)
	}
	raw, _ := os.ReadFile(db)
	wal, _ := os.ReadFile(db + "-wal")
	if strings.Contains(string(raw)+string(wal), first.AdminToken) {
		t.Error("the admin token is stored in plaintext")
	}
	given := startStop(t, "--addr", "127.0.0.1:0", "--db", db, "--admin-token", "another-token-for-this-run")
	if given.AdminToken != "" {
		t.Errorf("a given token must not be printed: %+v", given)
	}
}

// startStop starts serve, reads its start line and stops it.
func startStop(t *testing.T, args ...string) started {
	t.Helper()
	var s started
	t.Run("start", func(t *testing.T) { s = serve(t, nil, args...) })
	return s
}

// TestServeAdminAddr: with --admin-addr the admin API and /metrics are
// served only there, and the merchant API only on --addr.
func TestServeAdminAddr(t *testing.T) {
	s := serve(t, map[string]string{"LLGATE_ADMIN_TOKEN": "tok"}, "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--db", ":memory:")
	if s.AdminAddr == "" || s.AdminAddr == s.Addr || s.Console != "http://"+s.AdminAddr+"/console/" {
		t.Fatalf("start line: %+v", s)
	}
	status := func(method, addr, path string) int {
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		method, addr, path string
		want               int
	}{
		{"GET", s.Addr, "/admin/merchants", 404},
		{"GET", s.Addr, "/metrics", 404},
		{"POST", s.Addr, "/bankcardbin.htm", 200},
		{"GET", s.Addr, "/healthz", 200},
		{"GET", s.AdminAddr, "/admin/merchants", 200},
		{"GET", s.AdminAddr, "/metrics", 200},
		{"POST", s.AdminAddr, "/bankcardbin.htm", 404},
		{"GET", s.AdminAddr, "/readyz", 200},
		// The console is where the admin API is.
		{"GET", s.Addr, "/console/login", 404},
		{"GET", s.Addr, "/", 404},
		{"GET", s.AdminAddr, "/console/login", 200},
	} {
		if got := status(tc.method, tc.addr, tc.path); got != tc.want {
			t.Errorf("%s %s on %s: got %d, want %d", tc.method, tc.path, tc.addr, got, tc.want)
		}
	}
}

func TestServeRejectsBadConfig(t *testing.T) {
	cases := [][]string{
		{"--mode", "gateway", "--db", ":memory:", "--admin-token", "short-token"},
		{"--mode", "gateway", "--db", ":memory:", "--admin-token", "0123456789abcdef0123456789abcde"},
		{"--trusted-proxies", "10.0.0.0/33"},
		{"--admin-addr", "127.0.0.1:7777", "--addr", "127.0.0.1:7777"},
		{"--mode", "prod"},
		{"--limits", "maybe"},
		{"--envelope-hmac", "skip"}, // sandbox must check
		{"--tls-cert", "x.pem"},
		{"--db", "postgres://127.0.0.1:1/none"}, // no master key
		{"--db-timeout", "0s"},
		{"--db-timeout", "soon"},
		{"--request-timeout", "-1s"},
	}
	for _, args := range cases {
		err := run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
	env := map[string]string{"LLGATE_DB_TIMEOUT": "5"} // a number without its unit
	err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--db-timeout") {
		t.Errorf("LLGATE_DB_TIMEOUT=5: got %v, want an error naming --db-timeout", err)
	}
}

func TestServeTimeoutFlags(t *testing.T) {
	s := serve(t, map[string]string{"LLGATE_DB_TIMEOUT": "2s"}, "--addr", "127.0.0.1:0", "--db", ":memory:", "--request-timeout", "3s")
	resp, err := http.Get("http://" + s.Addr + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", err, resp)
	}
	resp.Body.Close()
}

func selfSigned(t *testing.T, dir string) (string, string) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	cf, kf := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	return cf, kf
}

func TestConsoleURL(t *testing.T) {
	for _, tc := range []struct {
		addr string
		tls  bool
		want string
	}{
		{"127.0.0.1:8080", false, "http://127.0.0.1:8080/console/"},
		{"0.0.0.0:8080", false, "http://127.0.0.1:8080/console/"},
		{"[::]:9000", true, "https://[::1]:9000/console/"},
		{"10.1.2.3:443", true, "https://10.1.2.3:443/console/"},
	} {
		addr, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := consoleURL(addr, tc.tls); got != tc.want {
			t.Errorf("consoleURL(%s, %v) = %q, want %q", tc.addr, tc.tls, got, tc.want)
		}
	}
}
