package notify

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestBlockedReason(t *testing.T) {
	tests := []struct {
		addr string
		want string // "" = allowed
	}{
		{"8.8.8.8", ""},
		{"115.236.102.36", ""},
		{"2001:4860:4860::8888", ""},
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"172.32.0.1", ""},
		{"192.168.1.1", "private"},
		{"fc00::1", "private"},
		{"fd12:3456::1", "private"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},
		{"224.0.0.1", "link-local"},
		{"224.0.1.1", "multicast"},
		{"239.1.1.1", "multicast"},
		{"ff02::1", "link-local"},
		{"ff05::1", "multicast"},
		{"100.64.0.1", "CGNAT"},
		{"100.127.255.255", "CGNAT"},
		{"100.128.0.1", ""},
		{"255.255.255.255", "reserved"},
		{"198.18.0.1", "benchmarking"},
		{"64:ff9b::7f00:1", "loopback (NAT64)"},
		{"64:ff9b::a00:1", "private (NAT64)"},
		{"64:ff9b::808:808", ""},
		{"64:ff9b:1::1", "local NAT64"},
		{"2002:7f00:1::1", "loopback (6to4)"},
		{"2002:808:808::1", ""},
		{"fec0::1", "site-local"},
	}
	for _, tt := range tests {
		if got := blockedReason(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("blockedReason(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

// TestBlockPrivateAtDial: the check runs on the address dialed, whatever
// name the URL holds.
func TestBlockPrivateAtDial(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	c := &http.Client{Transport: NewTransport(true, false)}
	_, err := c.Get("http://localhost:" + port + "/")
	var blocked *BlockedAddressError
	if !errors.As(err, &blocked) {
		t.Fatalf("GET localhost: %v, want a BlockedAddressError", err)
	}
	if got, want := blocked.Reason, "loopback"; got != want {
		t.Errorf("reason = %q, want %q", got, want)
	}

	c = &http.Client{Transport: NewTransport(false, false)}
	resp, err := c.Get("http://localhost:" + port + "/")
	if err != nil {
		t.Fatalf("GET without blocking: %v", err)
	}
	resp.Body.Close()
}

// TestSelfSignedTLS: receivers with self-signed certificates work only with
// insecureTLS.
func TestSelfSignedTLS(t *testing.T) {
	e := newEnv(t, nil)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ackAnswer(0, w, r)
	}))
	defer srv.Close()
	ns, _ := e.enqueue(srv.URL, 2)

	w := e.worker()
	w.Batch = 1
	w.Transport = NewTransport(false, false)
	runOnce(t, w, 1)
	_, as := e.state(ns[0].ID)
	if len(as) != 1 || !strings.Contains(as[0].Answer, "certificate") {
		t.Errorf("verifying transport: attempts %+v, want one naming the certificate", as)
	}

	w = e.worker()
	w.Transport = NewTransport(false, true)
	runOnce(t, w, 1)
	n, _ := e.state(ns[1].ID)
	if n.Status != "delivered" {
		t.Errorf("insecure transport: status %q, want delivered", n.Status)
	}
}
