package golive_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/notify"
	"github.com/llgate/llgate/protocol"
)

// TestCorrectReceiver: a receiver that verifies sign and acknowledges
// what verifies, repeats included, passes every step.
func TestCorrectReceiver(t *testing.T) {
	platform, _ := keys(t)
	rc := newReceiver(t, &platform.PublicKey, correct)
	rep, err := checker(t, rc.srv.URL+"/notify?shop=1").Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := verdicts(rep), "a+ b+ c+ d+"; got != want || !rep.Pass {
		t.Fatalf("verdicts %s (pass %v), want %s: %+v", got, rep.Pass, want, rep)
	}
	if !strings.HasPrefix(rep.Summary, "PASS") || rep.Refused != "" {
		t.Errorf("summary %q, refused %q", rep.Summary, rep.Refused)
	}
	for _, s := range rep.Steps {
		if !s.Sent || s.HTTPStatus != 200 || s.Acked != s.WantAck || s.Latency <= 0 || s.Explanation == "" {
			t.Errorf("step %s: %+v", s.ID, s)
		}
	}
	if got, want := rep.Steps[1].Answer, `{"ret_code":"9999","ret_msg":"rejected"}`; got != want {
		t.Errorf("b's answer %q, want %q", got, want)
	}

	got := rc.requests()
	if len(got) != 4 {
		t.Fatalf("receiver got %d requests, want 4", len(got))
	}
	for i, r := range got {
		if r.contentType != notify.ContentType {
			t.Errorf("request %d: Content-Type %q, want %q", i, r.contentType, notify.ContentType)
		}
		if want := i == 0 || i == 3; r.verified != want {
			t.Errorf("request %d verifies: %v, want %v", i, r.verified, want)
		}
	}
	if !bytes.Equal(got[0].body, got[3].body) {
		t.Errorf("the repeat differs from the first:\n%s\n%s", got[0].body, got[3].body)
	}
	a, b, c := fields(t, got[0].body), fields(t, got[1].body), fields(t, got[2].body)

	// The exact field set of a payment notification (CONTRACT.md §7).
	want := append(slices.Clone(protocol.PaymentNotice), "sign")
	slices.Sort(want)
	if keys := sortedKeys(a); !slices.Equal(keys, want) {
		t.Errorf("fields %v, want %v", keys, want)
	}
	for k, v := range map[string]string{
		"oid_partner": testOid, "no_order": "GOLIVE-20240501180000", "dt_order": "20240501175900",
		"settle_date": "20240501", "money_order": "0.01", "result_pay": "SUCCESS", "pay_type": "2",
		"bank_code": "01020000", "sign_type": "RSA",
	} {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
	for _, k := range []string{"oid_paybill", "no_agree"} {
		if len(a[k]) != 16 || strings.Trim(a[k], "0123456789") != "" {
			t.Errorf("%s = %q, want 16 digits", k, a[k])
		}
	}
	if rep.NoOrder != a["no_order"] {
		t.Errorf("report no_order %q, sent %q", rep.NoOrder, a["no_order"])
	}

	// b: only sign differs, and it is as long as a real one.
	if a["sign"] == b["sign"] || len(a["sign"]) != len(b["sign"]) {
		t.Errorf("forged sign %q vs %q: want another, as long", b["sign"], a["sign"])
	}
	// c: only money_order differs; sign is the genuine one.
	if c["money_order"] != "1.00" || c["sign"] != a["sign"] {
		t.Errorf("changed: money_order %q sign kept %v", c["money_order"], c["sign"] == a["sign"])
	}
	for k := range a {
		if k != "sign" && a[k] != b[k] || k != "money_order" && a[k] != c[k] {
			t.Errorf("field %s differs: a %q b %q c %q", k, a[k], b[k], c[k])
		}
	}
}

// TestNaiveReceiver: acknowledging everything fails b and c, and only them.
func TestNaiveReceiver(t *testing.T) {
	platform, _ := keys(t)
	rc := newReceiver(t, &platform.PublicKey, func(w http.ResponseWriter, _ []byte, _ bool) { ack(w) })
	rep, err := checker(t, rc.srv.URL).Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := verdicts(rep), "a+ b- c- d+"; got != want || rep.Pass {
		t.Fatalf("verdicts %s (pass %v), want %s", got, rep.Pass, want)
	}
	if !strings.HasPrefix(rep.Summary, "FAIL (b, c): ") {
		t.Errorf("summary %q", rep.Summary)
	}
	if e := rep.Steps[1].Explanation; !strings.Contains(e, "signature does not verify") || !strings.Contains(e, "public key") {
		t.Errorf("b's explanation %q", e)
	}
	if e := rep.Steps[2].Explanation; !strings.Contains(e, "money_order was changed") {
		t.Errorf("c's explanation %q", e)
	}
}

// TestRepeatRefused: a receiver that refuses a no_order it has seen fails
// d, and only d.
func TestRepeatRefused(t *testing.T) {
	platform, _ := keys(t)
	var mu sync.Mutex
	seen := map[string]bool{}
	rc := newReceiver(t, &platform.PublicKey, func(w http.ResponseWriter, body []byte, verified bool) {
		mu.Lock()
		defer mu.Unlock()
		no := fields(t, body)["no_order"]
		if !verified || seen[no] {
			refuse(w)
			return
		}
		seen[no] = true
		ack(w)
	})
	rep, err := checker(t, rc.srv.URL).Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := verdicts(rep), "a+ b+ c+ d-"; got != want || rep.Pass {
		t.Fatalf("verdicts %s (pass %v), want %s", got, rep.Pass, want)
	}
	if !strings.HasPrefix(rep.Summary, "FAIL (d): ") || !strings.Contains(rep.Steps[3].Explanation, "repeat") {
		t.Errorf("summary %q, d: %q", rep.Summary, rep.Steps[3].Explanation)
	}
}

// TestServerError: HTTP 500 to everything fails a and d; b and c are
// refused but say that proves little.
func TestServerError(t *testing.T) {
	platform, _ := keys(t)
	rc := newReceiver(t, &platform.PublicKey, func(w http.ResponseWriter, _ []byte, _ bool) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(client.Acknowledge()) // the body does not matter without a 200
	})
	rep, err := checker(t, rc.srv.URL).Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := verdicts(rep), "a- b+ c+ d-"; got != want || rep.Pass {
		t.Fatalf("verdicts %s (pass %v), want %s", got, rep.Pass, want)
	}
	if e := rep.Steps[0].Explanation; !strings.Contains(e, "HTTP 500") {
		t.Errorf("a's explanation %q", e)
	}
	if e := rep.Steps[1].Explanation; !strings.Contains(e, "proves little") {
		t.Errorf("b's explanation %q", e)
	}
	if len(rc.requests()) != 4 {
		t.Errorf("receiver got %d requests, want 4", len(rc.requests()))
	}
}

// TestGatewayRefusesLoopback: with the gateway's transport (the default),
// a loopback receiver is never connected to.
func TestGatewayRefusesLoopback(t *testing.T) {
	platform, _ := keys(t)
	rc := newReceiver(t, &platform.PublicKey, func(w http.ResponseWriter, _ []byte, _ bool) { ack(w) })
	for name, transport := range map[string]http.RoundTripper{
		"default":                  nil,
		"NewTransport(true, true)": notify.NewTransport(true, true),
	} {
		t.Run(name, func(t *testing.T) {
			c := checker(t, rc.srv.URL)
			c.Transport = transport
			rep, err := c.Run(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got, want := verdicts(rep), "a- b- c- d-"; got != want || rep.Pass {
				t.Fatalf("verdicts %s (pass %v), want %s", got, rep.Pass, want)
			}
			if !strings.Contains(rep.Refused, "127.0.0.1 is a loopback address") ||
				!strings.HasPrefix(rep.Summary, "FAIL: nothing was sent") {
				t.Errorf("refused %q, summary %q", rep.Refused, rep.Summary)
			}
			for _, s := range rep.Steps {
				if s.Sent {
					t.Errorf("step %s marked sent", s.ID)
				}
			}
		})
	}
	if n := rc.conns.Load(); n != 0 {
		t.Errorf("%d connections reached the receiver, want 0", n)
	}
}

// TestListener: llgate's own test receiver (`llgate notify listen`) passes.
func TestListener(t *testing.T) {
	platform, _ := keys(t)
	l := &notify.Listener{Key: &platform.PublicKey, Out: io.Discard}
	srv := newServer(t, l)
	rep, err := checker(t, srv).Run(t.Context())
	if err != nil || !rep.Pass {
		t.Fatalf("%v: %+v", err, rep)
	}
}

// TestCanceled: a ctx that ends is Run's error, not a report.
func TestCanceled(t *testing.T) {
	platform, _ := keys(t)
	rc := newReceiver(t, &platform.PublicKey, func(w http.ResponseWriter, _ []byte, _ bool) { ack(w) })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if rep, err := checker(t, rc.srv.URL).Run(ctx); err == nil {
		t.Fatalf("canceled run gave a report: %+v", rep)
	}
}
