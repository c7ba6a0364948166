package faulttest

import (
	"bytes"
	"crypto/rsa"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/llgate/llgate/client"
)

// Notice is what the receiver keeps of the notifications for one payment
// (by oid_paybill) or one refund (by oid_refundno).
type Notice struct {
	Count  int
	Fields map[string]string // of the first one
	Body   []byte            // the first body: every later attempt must be byte-identical
}

// Receiver is the merchant's notify_url: it verifies every notification's
// signature with the platform key, records it, and acknowledges everything.
type Receiver struct {
	URL string // the notify_url to give llgate
	// Delay, when set, holds each answer up to this long (at random), so
	// that deliveries are in flight when a server dies.
	Delay time.Duration

	platform *rsa.PublicKey
	v        *Violations
	srv      *http.Server
	ln       net.Listener

	mu       sync.Mutex
	payments map[string]*Notice // oid_paybill
	refunds  map[string]*Notice // oid_refundno
	total    int
}

// NewReceiver listens on 127.0.0.1.
func NewReceiver(platform *rsa.PublicKey, v *Violations) (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{
		URL: "http://" + ln.Addr().String() + "/notify", platform: platform, v: v, ln: ln,
		payments: map[string]*Notice{}, refunds: map[string]*Notice{},
	}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve)}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// Close stops listening.
func (r *Receiver) Close() { _ = r.srv.Close() }

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "text/json;charset=utf-8" {
		r.v.Add("notification with Content-Type %q", ct)
	}
	f, err := client.VerifyNotification(body, r.platform)
	if err != nil {
		r.v.Add("notification does not verify: %v: %.200s", err, body)
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	if f["oid_partner"] != OidPartner {
		r.v.Add("notification for another merchant: %.200s", body)
	}
	var key string
	var m map[string]*Notice
	switch {
	case f["oid_refundno"] != "":
		key, m = f["oid_refundno"], r.refunds
	case f["oid_paybill"] != "":
		key, m = f["oid_paybill"], r.payments
	default:
		r.v.Add("notification with neither oid_paybill nor oid_refundno: %.200s", body)
	}
	if key != "" {
		r.mu.Lock()
		r.total++
		n := m[key]
		if n == nil {
			m[key] = &Notice{Count: 1, Fields: f, Body: body}
		} else {
			n.Count++
			if !bytes.Equal(n.Body, body) {
				r.v.Add("notification %s sent twice with different bodies: %.200s / %.200s", key, n.Body, body)
			}
		}
		r.mu.Unlock()
	}
	if r.Delay > 0 {
		time.Sleep(rand.N(r.Delay))
	}
	_, _ = w.Write(client.Acknowledge())
}

// Payment returns the notifications of the payment oid_paybill, nil if none.
func (r *Receiver) Payment(oidPaybill string) *Notice {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.payments[oidPaybill]
}

// Refund returns the notifications of the refund oid_refundno, nil if none.
func (r *Receiver) Refund(oidRefundno string) *Notice {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refunds[oidRefundno]
}

// Total is the number of notifications received (duplicates included).
func (r *Receiver) Total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

// Keys returns the oid_paybills and oid_refundnos notified.
func (r *Receiver) Keys() (payments, refunds map[string]*Notice) {
	r.mu.Lock()
	defer r.mu.Unlock()
	payments, refunds = make(map[string]*Notice, len(r.payments)), make(map[string]*Notice, len(r.refunds))
	for k, v := range r.payments {
		payments[k] = v
	}
	for k, v := range r.refunds {
		refunds[k] = v
	}
	return payments, refunds
}

// Duplicates is how many notifications arrived again for a payment or
// refund already notified (at-least-once delivery across a crash).
func (r *Receiver) Duplicates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total - len(r.payments) - len(r.refunds)
}
