package notify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

func TestDeliver(t *testing.T) {
	e := newEnv(t, nil)
	rc := newReceiver(t, ackAnswer)
	ns, bodies := e.enqueue(rc.URL+"/notify?x=1", 1)
	w := e.worker()

	runOnce(t, w, 1)
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	if got, want := reqs[0].body, bodies[0]; !bytes.Equal(got, want) {
		t.Errorf("body:\n got %s\nwant %s", got, want)
	}
	if got, want := reqs[0].contentType, "text/json;charset=utf-8"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	// The body is what the Signer made: verifiable, raw UTF-8, no HTML escapes.
	obj, err := protocol.Decode(reqs[0].body)
	if err != nil {
		t.Fatal(err)
	}
	if err := protocol.Verify(&testPlatformKey(t).PublicKey, obj.Get("sign_type"), protocol.SignSource(obj), obj.Get("sign")); err != nil {
		t.Errorf("signature: %v", err)
	}
	if !bytes.Contains(reqs[0].body, []byte("<&>")) || !bytes.Contains(reqs[0].body, []byte("用户")) {
		t.Errorf("body is escaped: %s", reqs[0].body)
	}

	n, as := e.state(ns[0].ID)
	if got, want := n.Status, llgate.NotifyDelivered; got != want {
		t.Errorf("status = %q, want %q", got, want)
	}
	if got, want := n.AttemptCount, 1; got != want {
		t.Errorf("attempt count = %d, want %d", got, want)
	}
	if !n.LeaseUntil.IsZero() {
		t.Errorf("lease = %v, want cleared", n.LeaseUntil)
	}
	if len(as) != 1 {
		t.Fatalf("%d attempts, want 1", len(as))
	}
	if got, want := as[0].At, e.clock.Now(); !got.Equal(want) {
		t.Errorf("attempt at %v, want %v", got, want)
	}
	if got, want := as[0].HTTPStatus, 200; got != want {
		t.Errorf("http status = %d, want %d", got, want)
	}
	if got, want := as[0].Answer, `{"ret_code":"0000","ret_msg":"交易成功"}`; got != want {
		t.Errorf("answer = %q, want %q", got, want)
	}
	runOnce(t, w, 0)
	e.clock.Advance(time.Hour)
	runOnce(t, w, 0)
	if got := len(rc.requests()); got != 1 {
		t.Errorf("receiver got %d requests after delivery, want 1", got)
	}
}

func TestDeliverStoredBodyIsSealed(t *testing.T) {
	e := newEnv(t, nil)
	ns, bodies := e.enqueue("http://127.0.0.1:1/", 1)
	n, _ := e.state(ns[0].ID)
	if bytes.Contains(n.Body, []byte("no_order")) || bytes.Equal(n.Body, bodies[0]) {
		t.Errorf("stored body is plaintext")
	}
}

// TestFailedAttempts: every way a receiver can fail records an attempt and
// reschedules two minutes after the attempt started.
func TestFailedAttempts(t *testing.T) {
	hang := func(_ int, w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	reset := func(_ int, w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}
	acker := newReceiver(t, ackAnswer)
	redirect := func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, acker.URL+"/ok", http.StatusFound)
	}
	tests := []struct {
		name       string
		answer     func(int, http.ResponseWriter, *http.Request)
		wantStatus int
		wantAnswer string // substring
	}{
		{"500", answerText(500, `{"ret_code":"0000","ret_msg":"ok"}`), 500, `{"ret_code":"0000","ret_msg":"ok"}`},
		{"wrong body", answerText(200, "success"), 200, "success"},
		{"9999", answerText(200, `{"ret_code":"9999","ret_msg":"验签失败"}`), 200, `"9999"`},
		{"redirect", redirect, 302, ""},
		{"timeout", hang, 0, "timeout: no answer within 100ms"},
		{"reset", reset, 0, "connection closed without an answer"},
		{"long answer", answerText(200, `{"ret_code":"0000","ret_msg":"`+strings.Repeat("长", 3000)+`"}`), 200, `{"ret_code":"0000","ret_msg":"长长`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			rc := newReceiver(t, tt.answer)
			ns, _ := e.enqueue(rc.URL, 1)
			w := e.worker()
			w.Timeout = 100 * time.Millisecond
			start := e.clock.Now()

			runOnce(t, w, 1)
			n, as := e.state(ns[0].ID)
			if got, want := n.Status, llgate.NotifyPending; got != want {
				t.Errorf("status = %q, want %q", got, want)
			}
			if got, want := n.AttemptCount, 1; got != want {
				t.Errorf("attempt count = %d, want %d", got, want)
			}
			if got, want := n.NextAttemptAt, start.Add(2*time.Minute); !got.Equal(want) {
				t.Errorf("next attempt at %v, want %v", got, want)
			}
			if !n.LeaseUntil.IsZero() {
				t.Errorf("lease = %v, want cleared", n.LeaseUntil)
			}
			if len(as) != 1 {
				t.Fatalf("%d attempts, want 1", len(as))
			}
			a := as[0]
			if got, want := a.HTTPStatus, tt.wantStatus; got != want {
				t.Errorf("http status = %d, want %d", got, want)
			}
			if !strings.Contains(a.Answer, tt.wantAnswer) {
				t.Errorf("answer = %q, want it to contain %q", a.Answer, tt.wantAnswer)
			}
			if len(a.Answer) > llgate.AnswerKept {
				t.Errorf("answer is %d bytes, want at most %d", len(a.Answer), llgate.AnswerKept)
			}
			if got, want := a.At, start; !got.Equal(want) {
				t.Errorf("attempt at %v, want %v", got, want)
			}
			if tt.name == "timeout" && a.LatencyMS < 100 {
				t.Errorf("latency = %d ms, want >= 100", a.LatencyMS)
			}
			runOnce(t, w, 0) // not due before two minutes
		})
	}
	if got := len(acker.requests()); got != 0 {
		t.Errorf("the redirect was followed: the target got %d requests", got)
	}
}

// TestSchedule: a receiver that always fails gets exactly 30 attempts, two
// minutes apart by the clock, then the notification is failed.
func TestSchedule(t *testing.T) {
	e := newEnv(t, nil)
	rc := newReceiver(t, answerText(500, "down"))
	ns, _ := e.enqueue(rc.URL, 1)
	w := e.worker()
	start := e.clock.Now()

	for k := range 30 {
		runOnce(t, w, 1)
		runOnce(t, w, 0)
		n, _ := e.state(ns[0].ID)
		if got, want := n.AttemptCount, k+1; got != want {
			t.Fatalf("after attempt %d: attempt count = %d, want %d", k+1, got, want)
		}
		if k < 29 {
			if got, want := n.Status, llgate.NotifyPending; got != want {
				t.Fatalf("after attempt %d: status = %q, want %q", k+1, got, want)
			}
		}
		e.clock.Advance(2*time.Minute - time.Millisecond)
		runOnce(t, w, 0)
		e.clock.Advance(time.Millisecond)
	}
	n, as := e.state(ns[0].ID)
	if got, want := n.Status, llgate.NotifyFailed; got != want {
		t.Errorf("status = %q, want %q", got, want)
	}
	if got, want := len(as), 30; got != want {
		t.Fatalf("%d attempts, want %d", got, want)
	}
	for k, a := range as {
		if got, want := a.At, start.Add(time.Duration(k)*2*time.Minute); !got.Equal(want) {
			t.Errorf("attempt %d at %v, want %v", k+1, got, want)
		}
	}
	e.clock.Advance(24 * time.Hour)
	runOnce(t, w, 0)
	if got, want := len(rc.requests()), 30; got != want {
		t.Errorf("receiver got %d requests, want %d", got, want)
	}
}

// TestClockJump: a jump far past several intervals makes one attempt due,
// and the next one comes two minutes after it.
func TestClockJump(t *testing.T) {
	e := newEnv(t, nil)
	rc := newReceiver(t, answerText(500, "down"))
	ns, _ := e.enqueue(rc.URL, 1)
	w := e.worker()

	runOnce(t, w, 1)
	e.clock.Advance(3 * time.Hour)
	jumped := e.clock.Now()
	runOnce(t, w, 1)
	runOnce(t, w, 0)
	n, _ := e.state(ns[0].ID)
	if got, want := n.AttemptCount, 2; got != want {
		t.Errorf("attempt count = %d, want %d", got, want)
	}
	if got, want := n.NextAttemptAt, jumped.Add(2*time.Minute); !got.Equal(want) {
		t.Errorf("next attempt at %v, want %v", got, want)
	}
	e.clock.Advance(2 * time.Minute)
	runOnce(t, w, 1)
}

// TestDeliveredAfterFailures: three failures then an acknowledgement; the
// four bodies are byte-identical and nothing follows.
func TestDeliveredAfterFailures(t *testing.T) {
	e := newEnv(t, nil)
	rc := newReceiver(t, func(k int, w http.ResponseWriter, r *http.Request) {
		if k < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "\xef\xbb\xbf\xef\xbb\xbf{'ret_code':'0000','ret_msg':'交易成功'}")
	})
	ns, bodies := e.enqueue(rc.URL, 1)
	w := e.worker()
	for range 4 {
		runOnce(t, w, 1)
		e.clock.Advance(2 * time.Minute)
	}
	for range 3 {
		runOnce(t, w, 0)
		e.clock.Advance(2 * time.Minute)
	}
	reqs := rc.requests()
	if got, want := len(reqs), 4; got != want {
		t.Fatalf("receiver got %d requests, want %d", got, want)
	}
	for k, r := range reqs {
		if !bytes.Equal(r.body, bodies[0]) {
			t.Errorf("attempt %d body differs:\n got %s\nwant %s", k+1, r.body, bodies[0])
		}
	}
	n, as := e.state(ns[0].ID)
	if got, want := n.Status, llgate.NotifyDelivered; got != want {
		t.Errorf("status = %q, want %q", got, want)
	}
	if got, want := len(as), 4; got != want {
		t.Errorf("%d attempts, want %d", got, want)
	}
}

// TestBlockPrivate: a gateway transport refuses a loopback notify_url when
// dialing; the notification fails at once, not retried (CONTRACT.md §1),
// and its one attempt says why.
func TestBlockPrivate(t *testing.T) {
	e := newEnv(t, nil)
	rc := newReceiver(t, ackAnswer)
	ns, _ := e.enqueue(rc.URL, 1) // http://127.0.0.1:port
	w := e.worker()
	w.Transport = NewTransport(true, false)

	runOnce(t, w, 1)
	e.clock.Advance(time.Hour)
	runOnce(t, w, 0)
	if got := len(rc.requests()); got != 0 {
		t.Errorf("receiver got %d requests, want 0", got)
	}
	n, as := e.state(ns[0].ID)
	if got, want := n.Status, llgate.NotifyFailed; got != want {
		t.Errorf("status = %q, want %q", got, want)
	}
	if got, want := n.AttemptCount, 1; got != want {
		t.Errorf("attempt count = %d, want %d", got, want)
	}
	if len(as) != 1 {
		t.Fatalf("%d attempts, want 1", len(as))
	}
	if got, want := as[0].Answer, "refusing to connect to 127.0.0.1: loopback address"; !strings.Contains(got, want) {
		t.Errorf("answer = %q, want it to contain %q", got, want)
	}
	if got, want := as[0].HTTPStatus, 0; got != want {
		t.Errorf("http status = %d, want %d", got, want)
	}
}

func TestBadURL(t *testing.T) {
	e := newEnv(t, nil)
	ns, _ := e.enqueue("ftp://example.com/x", 1)
	runOnce(t, e.worker(), 1)
	_, as := e.state(ns[0].ID)
	if len(as) != 1 || !strings.Contains(as[0].Answer, "unsupported protocol scheme") {
		t.Errorf("attempts = %+v, want one naming the scheme", as)
	}
}

// TestAnswerStorable: an answer that is not UTF-8 (a GBK page) or holds NUL
// is still recorded, as valid text (llgate.Redact: invalid bytes become
// U+FFFD, control characters spaces).
func TestAnswerStorable(t *testing.T) {
	e := newEnv(t, nil)
	rc := newReceiver(t, answerText(200, "\xbd\xbb\xd2\xd7\x00ok"))
	ns, _ := e.enqueue(rc.URL, 1)
	runOnce(t, e.worker(), 1)
	_, as := e.state(ns[0].ID)
	if len(as) != 1 {
		t.Fatalf("%d attempts, want 1", len(as))
	}
	if got, want := as[0].Answer, "\uFFFD ok"; got != want {
		t.Errorf("answer = %q, want %q", got, want)
	}
}

// TestDeletedDuringAttempt: a sandbox reset while an attempt is in flight
// is not an error.
func TestDeletedDuringAttempt(t *testing.T) {
	e := newEnv(t, nil)
	var ns []*llgate.Notification
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		err := e.store.Update(r.Context(), func(tx llgate.Tx) error { return tx.Reset(r.Context(), "") })
		if err != nil {
			t.Errorf("reset: %v", err)
		}
		ackAnswer(0, w, r)
	})
	ns, _ = e.enqueue(rc.URL, 1)
	runOnce(t, e.worker(), 1)
	err := e.store.View(context.Background(), func(tx llgate.Tx) error {
		_, err := tx.Notification(context.Background(), ns[0].ID)
		return err
	})
	if !errors.Is(err, llgate.ErrNotFound) {
		t.Errorf("notification after reset: %v, want ErrNotFound", err)
	}
}

// TestCancelReleases: a worker stopped mid-attempt records nothing and
// gives the lease back, so another worker retries at once.
func TestCancelReleases(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	entered := make(chan struct{})
	rc := newReceiver(t, func(k int, w http.ResponseWriter, r *http.Request) {
		if k == 0 {
			close(entered)
			<-r.Context().Done()
			return
		}
		ackAnswer(k, w, r)
	})
	ns, _ := e.enqueue(rc.URL, 1)
	w := e.worker()
	done := make(chan error, 1)
	go func() {
		_, err := w.RunOnce(ctx)
		done <- err
	}()
	<-entered
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	n, as := e.state(ns[0].ID)
	if len(as) != 0 || n.AttemptCount != 0 || !n.LeaseUntil.IsZero() {
		t.Fatalf("after cancel: %d attempts, count %d, lease %v; want none, 0, cleared", len(as), n.AttemptCount, n.LeaseUntil)
	}
	runOnce(t, e.worker(), 1)
	if n, _ := e.state(ns[0].ID); n.Status != llgate.NotifyDelivered {
		t.Errorf("status = %q, want %q", n.Status, llgate.NotifyDelivered)
	}
}

// TestLeaseTooShort: a notification whose lease would run out before an
// attempt could finish (the sandbox clock jumped while it waited) is given
// back, not attempted.
func TestLeaseTooShort(t *testing.T) {
	e := newEnv(t, nil)
	rc := newReceiver(t, func(k int, w http.ResponseWriter, r *http.Request) {
		if k == 0 {
			e.clock.Advance(time.Hour)
		}
		ackAnswer(k, w, r)
	})
	ns, _ := e.enqueue(rc.URL, 2)
	w := e.worker()
	w.Concurrency = 1
	runOnce(t, w, 1)
	delivered, released := 0, 0
	for _, x := range ns {
		n, _ := e.state(x.ID)
		switch {
		case n.Status == llgate.NotifyDelivered:
			delivered++
		case n.Status == llgate.NotifyPending && n.LeaseUntil.IsZero() && n.AttemptCount == 0:
			released++
		}
	}
	if delivered != 1 || released != 1 {
		t.Errorf("delivered %d, released %d; want 1 and 1", delivered, released)
	}
	runOnce(t, w, 1)
}
