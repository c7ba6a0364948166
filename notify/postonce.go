package notify

import (
	"context"

	"net/http"
	"sync"
	"time"

	llgate "github.com/llgate/llgate"
)

// Sent is what one POST made by PostOnce gave.
type Sent struct {
	Status  int           // HTTP status; 0 when no answer came
	Answer  string        // the answer's first bytes, or what went wrong; not masked
	Acked   bool          // Ack's verdict on the whole answer
	Latency time.Duration // wall time
	Err     error         // the transport's error when no answer came (a *BlockedAddressError among them)
}

// PostOnce sends body to target once, exactly as a Worker's attempt does (the
// same code): text/json, no redirect followed, timeout (DefaultTimeout when
// zero), the answer read up to DefaultMaxAnswer and judged by Ack. It is for
// checks of a merchant's receiver outside the outbox (package golive).
// transport nil is NewTransport(false, false).
func PostOnce(ctx context.Context, transport http.RoundTripper, timeout time.Duration, target string, body []byte) Sent {
	if transport == nil {
		transport = NewTransport(false, false)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tap := &errTap{rt: transport}
	w := &Worker{Timeout: timeout, MaxAnswer: DefaultMaxAnswer, client: &http.Client{
		Transport: tap,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
	d := &llgate.Delivery{Notification: &llgate.Notification{URL: target}, Body: body}
	w.post(ctx, d)
	s := Sent{Status: d.HTTPStatus, Answer: d.Answer, Acked: d.Acked, Latency: d.Latency}
	switch {
	case d.Problem != "" && d.Answer != "":
		s.Answer = d.Answer + " [" + d.Problem + "]"
	case d.Problem != "":
		s.Answer = d.Problem
	}
	if d.HTTPStatus == 0 {
		s.Err = tap.error()
	}
	return s
}

// errTap keeps the last error of the transport under it: the Worker turns
// errors into text, and a caller of PostOnce may need to tell a refused
// address from a merchant that does not answer.
type errTap struct {
	rt  http.RoundTripper
	mu  sync.Mutex
	err error
}

func (t *errTap) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(r)
	if err != nil {
		t.mu.Lock()
		t.err = err
		t.mu.Unlock()
	}
	return resp, err
}

func (t *errTap) error() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}
