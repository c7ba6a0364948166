package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/llgate/llgate/postgres/pgtest"

	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/internal/blackhole"
	"github.com/llgate/llgate/postgres"
)

// A PostgreSQL that stops answering (its packets dropped, not refused) must
// not hang llgate: a merchant request answers a signed 9999 within a bound,
// /readyz says 503 within two seconds, the background work lives on, and
// once the network forwards again everything works with no restart.
func TestPostgresStopsAnswering(t *testing.T) {
	const (
		dbTimeout      = 3 * time.Second
		requestTimeout = 4 * time.Second
		// Generous for a loaded machine, yet far below a hang.
		answerWithin  = requestTimeout + 2*time.Second
		readyWithin   = 2 * time.Second
		recoverWithin = 10 * time.Second
	)
	e, px := behindProxy(t, dbTimeout, requestTimeout)
	c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
	rcv := newReceiver(t)
	na := e.bind(c, "buyer", zhang, card(t, 970, "0000"))
	list := func() (string, time.Duration) { return timedList(t, c) }
	ready := func() (int, time.Duration) {
		t.Helper()
		hc := &http.Client{Timeout: 30 * time.Second}
		start := time.Now()
		resp, err := hc.Get(e.srv.URL + "/readyz")
		if err != nil {
			t.Fatalf("readyz: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode, time.Since(start)
	}
	if got, _ := list(); got != "0000" {
		t.Fatalf("bind list before: %s", got)
	}
	if got, _ := ready(); got != http.StatusOK {
		t.Fatalf("readyz before: %d", got)
	}

	px.Block()
	got, took := list()
	t.Logf("blocked: bind list answered %s in %s", got, took.Round(time.Millisecond))
	if got != "9999" || took > answerWithin {
		t.Errorf("blocked: bind list answered %s in %s, want 9999 within %s", got, took, answerWithin)
	}
	status, took := ready()
	t.Logf("blocked: readyz answered %d in %s", status, took.Round(time.Millisecond))
	if status != http.StatusServiceUnavailable || took > readyWithin {
		t.Errorf("blocked: readyz answered %d in %s, want 503 within %s", status, took, readyWithin)
	}

	px.Forward()
	start := time.Now()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for ; ; <-poll.C {
		got, _ := list()
		if got == "0000" {
			break
		}
		if time.Since(start) > recoverWithin {
			t.Fatalf("bind list still answers %s %s after the network came back", got, recoverWithin)
		}
	}
	t.Logf("recovered: bind list answered 0000 %s after the network came back", time.Since(start).Round(time.Millisecond))
	if got, _ := ready(); got != http.StatusOK {
		t.Errorf("readyz after: %d", got)
	}

	// The background work lived through it: the settle loop lets go of its
	// lock, and the notifier still delivers.
	settled := make(chan error, 1)
	go func() { settled <- e.app.SettleNow(context.Background()) }()
	select {
	case err := <-settled:
		if err != nil {
			t.Errorf("settle after: %v", err)
		}
	case <-time.After(recoverWithin):
		t.Errorf("settle after: still waiting after %s", recoverWithin)
	}
	r := payWithAgree(t, c, "buyer", na, "1.00", rcv.url())
	v, err := verifyPay(c, r, "123456")
	wantCode(t, "pay verify after", v, err, "0000")
	if n := rcv.wait(1)[0]; n["oid_paybill"] != r.Get("oid_paybill") {
		t.Errorf("notification after: %v", n)
	}
}

// The request's own deadline bounds it too: with a store that would wait a
// minute, a merchant request answers at --request-timeout.
func TestRequestTimeoutBoundsTheStore(t *testing.T) {
	const requestTimeout = time.Second
	e, px := behindProxy(t, time.Minute, requestTimeout)
	c := e.merchant(oidA, nil)
	if got, _ := timedList(t, c); got == "9999" {
		t.Fatalf("bind list before: %s", got)
	}
	px.Block()
	got, took := timedList(t, c)
	t.Logf("blocked: bind list answered %s in %s", got, took.Round(time.Millisecond))
	// Generous for a loaded machine, far below the store's minute.
	if within := requestTimeout + 4*time.Second; got != "9999" || took > within {
		t.Errorf("blocked: bind list answered %s in %s, want 9999 within %s", got, took, within)
	}
	px.Forward()
}

// behindProxy runs llgate on a fresh PostgreSQL schema reached through a
// proxy that can stop forwarding. It skips without LLGATE_TEST_POSTGRES.
func behindProxy(t *testing.T, dbTimeout, requestTimeout time.Duration) (*env, *blackhole.Proxy) {
	t.Helper()
	px, proxied := blackhole.StartURL(t, pgtest.URL(t))
	store, err := postgres.OpenWith(context.Background(), proxied, postgres.Options{Timeout: dbTimeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := newEnv(t, store, limitsOff, func(o *app.Options) { o.RequestTimeout = requestTimeout })
	return e, px
}

// timedList asks for the agreements of user "buyer": the client fails the
// test on anything but a signed answer with HTTP 200.
func timedList(t *testing.T, c *client.Client) (string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	r, err := c.BindList(ctx, map[string]string{"user_id": "buyer", "offset": "0"})
	return code(t, r, err), time.Since(start)
}
