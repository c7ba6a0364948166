package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/llgate/llgate/sqlite/sqlitetest"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/notify"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/vault"
)

const notifyTestToken = "notify-test-token"

// notifyServer runs a sandbox over a fresh SQLite store, pinned to the test
// platform key, and returns it with its base URL.
func notifyServer(t *testing.T) (*app.App, string) {
	t.Helper()
	b, err := os.ReadFile("../../testdata/clients/keys/platform_private_pkcs8.pem")
	if err != nil {
		t.Fatal(err)
	}
	key, err := protocol.ParsePrivateKey(string(b))
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(t.Context(), app.Options{
		Store: sqlitetest.Open(t), MasterKey: vault.GenerateMasterKey(), PlatformKey: key,
		AdminToken: notifyTestToken,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	srv := httptest.NewServer(a.Server)
	t.Cleanup(srv.Close)
	return a, srv.URL
}

// addNotification stores a notification with attempts as the worker would.
func addNotification(t *testing.T, a *app.App, n *llgate.Notification, attempts ...*llgate.Attempt) {
	t.Helper()
	ctx := context.Background()
	body, err := notify.Signer{Key: a.PlatformKey}.Sign(map[string]string{"oid_partner": n.OidPartner, "no_order": n.NoOrder}, "")
	if err != nil {
		t.Fatal(err)
	}
	if n.Body, err = a.Vault.Seal(ctx, n.OidPartner, llgate.TableNotifications, n.ID, body); err != nil {
		t.Fatal(err)
	}
	err = a.Store.Update(ctx, func(tx llgate.Tx) error {
		if err := tx.InsertNotification(ctx, n); err != nil {
			return err
		}
		for _, x := range attempts {
			x.NotificationID = n.ID
			if err := tx.InsertAttempt(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
	if err != nil {
		t.Logf("stderr: %s", errOut.String())
	}
	return out.String(), err
}

func TestNotifyListResend(t *testing.T) {
	a, base := notifyServer(t)
	now := a.Clock.Now()
	addNotification(t, a, &llgate.Notification{
		ID: "aaaa000000000001", OidPartner: "201408071000001539", Kind: llgate.NotifyPayment, NoOrder: "ORDER-1",
		URL: "http://127.0.0.1:1/n", Status: llgate.NotifyFailed, AttemptCount: 2, CreatedAt: now, UpdatedAt: now,
	},
		&llgate.Attempt{At: now, HTTPStatus: 500, LatencyMS: 3, Answer: "down"},
		&llgate.Attempt{At: now.Add(2 * time.Minute), HTTPStatus: 0, LatencyMS: 5000, Answer: "timeout: no answer within 5s"})
	addNotification(t, a, &llgate.Notification{
		ID: "bbbb000000000002", OidPartner: "201408071000009999", Kind: llgate.NotifyRefund, NoRefund: "REFUND-9",
		URL: "http://127.0.0.1:1/n", Status: llgate.NotifyPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
	})

	out, err := runCLI(t, "notify", "list", "--url", base, "--admin-token", notifyTestToken)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("list printed %d lines, want 3:\n%s", len(lines), out)
	}
	if got, want := strings.Fields(lines[0])[:6], []string{"ID", "KIND", "OID_PARTNER", "NO_ORDER/NO_REFUND", "STATUS", "ATTEMPTS"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("header = %q, want it to start with %q", got, want)
	}
	byID := map[string][]string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		byID[f[0]] = f
	}
	if got, want := strings.Join(byID["aaaa000000000001"][:8], " "), "aaaa000000000001 payment 201408071000001539 ORDER-1 failed 2 none -"; got != want {
		t.Errorf("row = %q, want %q", got, want)
	}
	if !strings.Contains(out, "timeout: no answer within 5s") {
		t.Errorf("list lacks the last answer:\n%s", out)
	}
	if got, want := strings.Join(byID["bbbb000000000002"][:7], " "), "bbbb000000000002 refund 201408071000009999 REFUND-9 pending 0 -"; got != want {
		t.Errorf("row = %q, want %q", got, want)
	}

	out, err = runCLI(t, "notify", "list", "--url", base, "--admin-token", notifyTestToken, "--oid", "201408071000009999")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "aaaa000000000001") || !strings.Contains(out, "bbbb000000000002") {
		t.Errorf("--oid did not filter:\n%s", out)
	}
	out, err = runCLI(t, "notify", "list", "--url", base, "--admin-token", notifyTestToken, "--no-order", "ORDER-1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "aaaa000000000001") || strings.Contains(out, "bbbb000000000002") {
		t.Errorf("--no-order did not filter:\n%s", out)
	}

	out, err = runCLI(t, "notify", "resend", "--url", base, "--admin-token", notifyTestToken, "aaaa000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "pending") {
		t.Errorf("resend printed:\n%s", out)
	}
	err = a.Store.View(context.Background(), func(tx llgate.Tx) error {
		n, err := tx.Notification(context.Background(), "aaaa000000000001")
		if err != nil {
			return err
		}
		if n.Status != llgate.NotifyPending || n.AttemptCount != 0 {
			t.Errorf("after resend: status %q, count %d; want pending, 0", n.Status, n.AttemptCount)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := runCLI(t, "notify", "resend", "--url", base, "--admin-token", notifyTestToken, "nope"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("resend of an unknown id: %v, want HTTP 404", err)
	}
	if _, err := runCLI(t, "notify", "list", "--url", base, "--admin-token", "wrong"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("list with a wrong token: %v, want HTTP 401", err)
	}
	if _, err := runCLI(t, "notify", "list", "--url", base); err == nil {
		t.Error("list without a token: nil error")
	}
	if _, err := runCLI(t, "notify", "bogus"); err != errUsage {
		t.Errorf("unknown subcommand: %v, want errUsage", err)
	}
}

// listen runs `llgate notify listen args...` and returns its address and
// the lines it prints after the start line.
func listen(t *testing.T, args ...string) (string, <-chan string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"notify", "listen", "--addr", "127.0.0.1:0"}, args...), func(string) string { return "" }, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("listen returned: %v", err)
		}
	})
	r := bufio.NewReader(pr)
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("no start line: %v", err)
	}
	var start struct{ Msg, Addr, Answer string }
	if err := json.Unmarshal([]byte(line), &start); err != nil || start.Msg != "listening" {
		t.Fatalf("start line %q: %v", line, err)
	}
	lines := make(chan string, 100)
	go func() {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				close(lines)
				return
			}
			lines <- line
		}
	}()
	return start.Addr, lines
}

func postNotification(t *testing.T, url string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, notify.ContentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestNotifyListen(t *testing.T) {
	a, base := notifyServer(t)
	body, err := notify.Signer{Key: a.PlatformKey}.Sign(map[string]string{
		"oid_partner": "201408071000001539", "no_order": "ORDER-1", "money_order": "1.00", "result_pay": "SUCCESS",
		"card_no": "6222021234567890123",
	}, "RSA")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("key from the admin API", func(t *testing.T) {
		addr, lines := listen(t, "--url", base, "--admin-token", notifyTestToken)
		status, answer := postNotification(t, "http://"+addr+"/notify", body)
		if !notify.Ack(status, answer) {
			t.Errorf("answer %d %s, want an acknowledgement", status, answer)
		}
		line := <-lines
		if !strings.Contains(line, "VERIFIED") || !strings.Contains(line, "no_order=ORDER-1") || strings.Contains(line, "6222021234567890123") {
			t.Errorf("line %q, want VERIFIED, the order, the card masked", line)
		}

		tampered := bytes.Replace(body, []byte(`"1.00"`), []byte(`"9.00"`), 1)
		status, answer = postNotification(t, "http://"+addr+"/notify", tampered)
		if notify.Ack(status, answer) {
			t.Errorf("tampered notification acknowledged: %d %s", status, answer)
		}
		if line := <-lines; !strings.Contains(line, "BAD SIGNATURE") {
			t.Errorf("line %q, want BAD SIGNATURE", line)
		}
	})
	t.Run("key file, answer error", func(t *testing.T) {
		addr, lines := listen(t, "--platform-key", "../../testdata/clients/keys/platform_public_spki.pem", "--answer", "error")
		status, _ := postNotification(t, "http://"+addr+"/", body)
		if status != http.StatusInternalServerError {
			t.Errorf("status %d, want 500", status)
		}
		if line := <-lines; !strings.Contains(line, "VERIFIED") {
			t.Errorf("line %q, want VERIFIED", line)
		}
	})
	t.Run("bad flags", func(t *testing.T) {
		if _, err := runCLI(t, "notify", "listen", "--answer", "maybe", "--platform-key", "x"); err == nil {
			t.Error("--answer maybe: nil error")
		}
		if _, err := runCLI(t, "notify", "listen", "--addr", "127.0.0.1:0"); err == nil {
			t.Error("no key source: nil error")
		}
	})
}
