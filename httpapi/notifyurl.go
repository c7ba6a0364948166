package httpapi

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/notify"
	"github.com/llgate/llgate/protocol"
)

// resolveTimeout bounds the lookup of a notify_url's host.
const resolveTimeout = 2 * time.Second

// checkNotifyURL refuses (1004), in gateway mode, a notify_url whose host is
// or resolves to an address the notifier would refuse to dial (loopback,
// private, link-local, ...), so the merchant learns it at request time and
// not from a notification that never comes. The dial-time guard stays: a
// name may resolve differently later. A name that does not resolve now is
// let through: DNS may be briefly down, and the dial decides.
func (s *Server) checkNotifyURL(ctx context.Context, e *protocol.Endpoint, f *protocol.Object) error {
	const name = "notify_url"
	if s.sandbox() || !f.Has(name) {
		return nil
	}
	if _, ok := e.Field(name); !ok {
		return nil
	}
	u, err := url.Parse(f.Get(name))
	if err != nil {
		return llgate.FieldError(name, "is not a URL")
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
		defer cancel()
		if addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host); err != nil {
			return nil
		}
	}
	for _, a := range addrs {
		if reason := notify.BlockedReason(a); reason != "" {
			return llgate.FieldError(name, "resolves to a "+reason+" address, which a gateway does not notify")
		}
	}
	return nil
}
