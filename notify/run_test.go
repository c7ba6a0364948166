package notify

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
)

// TestRun: a running worker delivers what is enqueued once woken.
func TestRun(t *testing.T) {
	e := newEnv(t, nil)
	got := make(chan struct{}, 10)
	rc := newReceiver(t, func(k int, w http.ResponseWriter, r *http.Request) {
		ackAnswer(k, w, r)
		got <- struct{}{}
	})
	w := e.worker()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	_, bodies := e.enqueue(rc.URL, 1)
	w.Wake()
	<-got
	if reqs := rc.requests(); !bytes.Equal(reqs[0].body, bodies[0]) {
		t.Errorf("body = %s, want %s", reqs[0].body, bodies[0])
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestRunMisconfigured(t *testing.T) {
	w := &Worker{}
	if err := w.Run(context.Background()); err == nil {
		t.Error("Run without a store: nil error")
	}
	w.Wake() // must not block or panic
	w.Wake()
}

// TestRunClockJumpNoRepeat: the sandbox clock jumps past the lease of an
// attempt in flight. Run claims while attempts are in flight, but never
// its own unsettled notifications: the receiver gets the notification once.
// (The negative wait is bounded: a repeat would come within the Gather.)
func TestRunClockJumpNoRepeat(t *testing.T) {
	e := newEnv(t, nil)
	repeated := make(chan struct{})
	w := e.worker()
	w.Timeout = 10 * time.Second
	other := newReceiver(t, ackAnswer)
	second := make(chan string, 1)
	rc := newReceiver(t, func(k int, rw http.ResponseWriter, r *http.Request) {
		if k > 0 {
			close(repeated)
			ackAnswer(k, rw, r)
			return
		}
		e.clock.Advance(time.Hour) // past the lease
		ns, _ := e.enqueue(other.URL, 1)
		second <- ns[0].ID
		w.Wake()
		select {
		case <-repeated:
		case <-time.After(2 * time.Second):
		}
		ackAnswer(k, rw, r)
	})
	ns, _ := e.enqueue(rc.URL, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	w.Wake()
	id := <-second
	waitFor(t, "the other notification delivered", func() bool {
		n, _ := e.state(id)
		return n.Status == llgate.NotifyDelivered
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := len(rc.requests()); got != 1 {
		t.Errorf("the receiver got %d requests, want 1", got)
	}
	if n, as := e.state(ns[0].ID); n.Status != llgate.NotifyDelivered || n.AttemptCount != 1 || len(as) != 1 {
		t.Errorf("notification: %s, count %d, %d attempts; want delivered, 1, 1", n.Status, n.AttemptCount, len(as))
	}
}
