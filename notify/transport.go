package notify

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// NewTransport returns the HTTP transport notifications go out on. It never
// uses a proxy (a proxy would make the address check below meaningless) and
// keeps enough idle connections per host for a worker's parallel
// deliveries to one merchant.
//
// With blockPrivate (gateway mode), every connection is checked at dial
// time, after name resolution, so a notify_url whose name later resolves to
// an internal address (DNS rebinding) is refused too: loopback, private
// (RFC 1918, fc00::/7), link-local, unspecified, multicast, CGNAT
// (100.64.0.0/10) and other special-purpose addresses, including IPv4 ones
// embedded in IPv6 (mapped, NAT64, 6to4).
//
// With insecureTLS, merchant certificates are not verified: receivers often
// run self-signed HTTPS, and real clients trust anything (COMPAT.md). The
// notification is signed; TLS here protects its confidentiality only.
func NewTransport(blockPrivate, insecureTLS bool) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if blockPrivate {
		d.Control = refusePrivate
	}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: insecureTLS},
	}
}

// BlockedAddressError is the dial error for an address a gateway must not
// send notifications to.
type BlockedAddressError struct {
	Addr   netip.Addr
	Reason string
}

func (e *BlockedAddressError) Error() string {
	return fmt.Sprintf("notify: refusing to connect to %s: %s address", e.Addr, e.Reason)
}

// refusePrivate is a net.Dialer Control function: it runs for each address
// the dialer is about to connect to.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("notify: refusing to connect to %q: not an IP address", address)
	}
	if reason := blockedReason(ap.Addr()); reason != "" {
		return &BlockedAddressError{Addr: ap.Addr().Unmap(), Reason: reason}
	}
	return nil
}

// specialV4 are IPv4 ranges that are not public unicast, beyond what
// netip.Addr's predicates cover.
var specialV4 = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("100.64.0.0/10"), "CGNAT"},
	{netip.MustParsePrefix("192.0.0.0/24"), "special-purpose"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"}, // 255.255.255.255 included
}

var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48") // RFC 8215: local translators
	sixToFour  = netip.MustParsePrefix("2002::/16")
	siteLocal  = netip.MustParsePrefix("fec0::/10")
)

// blockedReason says why a is not an address notifications may go to, or
// "" when it may.
func blockedReason(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return "invalid"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "link-local"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "multicast"
	}
	if a.Is4() {
		for _, s := range specialV4 {
			if s.prefix.Contains(a) {
				return s.reason
			}
		}
		return ""
	}
	switch {
	case siteLocal.Contains(a):
		return "site-local"
	case nat64Local.Contains(a):
		return "local NAT64"
	}
	b := a.As16()
	if nat64.Contains(a) {
		if r := blockedReason(netip.AddrFrom4([4]byte(b[12:16]))); r != "" {
			return r + " (NAT64)"
		}
	}
	if sixToFour.Contains(a) {
		if r := blockedReason(netip.AddrFrom4([4]byte(b[2:6]))); r != "" {
			return r + " (6to4)"
		}
	}
	return ""
}
