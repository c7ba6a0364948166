package notify

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
)

// lockedBuffer is an io.Writer the test can read while handlers write.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newListener(t *testing.T, mode string, slow time.Duration) (*httptest.Server, *lockedBuffer) {
	t.Helper()
	out := &lockedBuffer{}
	srv := httptest.NewServer(&Listener{Key: &testPlatformKey(t).PublicKey, Out: out, Mode: mode, Slow: slow})
	t.Cleanup(srv.Close)
	return srv, out
}

func post(ctx context.Context, url string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", ContentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func signedNotification(t *testing.T) []byte {
	t.Helper()
	fields := paymentFields("2024050100001")
	fields["card_no"] = "6222021234567890123"
	fields["id_no"] = "110101199003071234"
	fields["acct_name"] = "张三丰"
	fields["id_type"] = "0"
	body, err := Signer{Key: testPlatformKey(t)}.Sign(fields, "RSA")
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestListenerVerifies(t *testing.T) {
	srv, out := newListener(t, AnswerOK, 0)
	ctx := context.Background()

	status, answer, err := post(ctx, srv.URL+"/notify", signedNotification(t))
	if err != nil {
		t.Fatal(err)
	}
	if !Ack(status, []byte(answer)) {
		t.Errorf("answer %d %q is not an acknowledgement", status, answer)
	}
	line := out.String()
	for _, want := range []string{"VERIFIED", "kind=payment", "no_order=2024050100001", "money_order=210.97",
		"card_no=622202*********0123", "id_no=1****************4", "acct_name=张**", `ct="text/json;charset=utf-8"`} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %q", line, want)
		}
	}
	for _, secret := range []string{"6222021234567890123", "110101199003071234", "张三丰", "13958069593"} {
		if strings.Contains(line, secret) {
			t.Errorf("line %q shows %q in clear", line, secret)
		}
	}
	if strings.Count(line, "\n") != 1 {
		t.Errorf("want one line, got %q", line)
	}

	tampered := bytes.Replace(signedNotification(t), []byte(`"money_order":"210.97"`), []byte(`"money_order":"0.01"`), 1)
	status, answer, err = post(ctx, srv.URL+"/notify", tampered)
	if err != nil {
		t.Fatal(err)
	}
	if Ack(status, []byte(answer)) {
		t.Errorf("tampered notification acknowledged: %d %q", status, answer)
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "BAD SIGNATURE") {
		t.Errorf("lines %q, want the second to say BAD SIGNATURE", lines)
	}

	status, answer, _ = post(ctx, srv.URL+"/notify", []byte("not json"))
	if Ack(status, []byte(answer)) || !strings.Contains(out.String(), "BAD BODY") {
		t.Errorf("a body that is not JSON: answer %d %q, output %q", status, answer, out.String())
	}
}

func TestListenerModes(t *testing.T) {
	ctx := context.Background()
	body := signedNotification(t)

	t.Run("error", func(t *testing.T) {
		srv, _ := newListener(t, AnswerError, 0)
		status, _, err := post(ctx, srv.URL, body)
		if err != nil || status != 500 {
			t.Errorf("got %d, %v; want 500", status, err)
		}
	})
	t.Run("none", func(t *testing.T) {
		srv, out := newListener(t, AnswerNone, 0)
		if status, answer, err := post(ctx, srv.URL, body); err == nil {
			t.Errorf("got %d %q, want the connection closed", status, answer)
		}
		if !strings.Contains(out.String(), "VERIFIED") {
			t.Errorf("output %q, want the notification printed", out.String())
		}
	})
	t.Run("slow", func(t *testing.T) {
		srv, _ := newListener(t, AnswerSlow, 10*time.Millisecond)
		status, answer, err := post(ctx, srv.URL, body)
		if err != nil || !Ack(status, []byte(answer)) {
			t.Errorf("got %d %q %v, want an acknowledgement", status, answer, err)
		}
	})
	t.Run("slow past the client's patience", func(t *testing.T) {
		srv, _ := newListener(t, AnswerSlow, time.Hour)
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, _, err := post(ctx, srv.URL, body); err == nil {
			t.Error("got an answer, want the client to give up")
		}
		// srv.Close in the cleanup waits for the handler: it must end with the request.
	})
}

// TestWorkerToListener: the worker's notifications verify at the listener,
// and each listener mode has the effect on the outbox it should.
func TestWorkerToListener(t *testing.T) {
	tests := []struct {
		mode string
		want string
	}{
		{AnswerOK, llgate.NotifyDelivered},
		{AnswerSlow, llgate.NotifyPending}, // Slow longer than the timeout
		{AnswerError, llgate.NotifyPending},
		{AnswerNone, llgate.NotifyPending},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			e := newEnv(t, nil)
			srv, out := newListener(t, tt.mode, time.Hour)
			ns, _ := e.enqueue(srv.URL, 1)
			w := e.worker()
			w.Timeout = 100 * time.Millisecond
			runOnce(t, w, 1)
			n, as := e.state(ns[0].ID)
			if n.Status != tt.want {
				t.Errorf("status = %q, want %q (attempts %+v)", n.Status, tt.want, as)
			}
			if !strings.Contains(out.String(), "VERIFIED") {
				t.Errorf("listener output %q, want VERIFIED", out.String())
			}
		})
	}
}
