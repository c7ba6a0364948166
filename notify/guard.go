package notify

import "net/netip"

// BlockedReason says why a gateway must not send notifications to a ("" when
// it may): loopback, private, link-local and the other special-purpose
// ranges the dial-time guard refuses (NewTransport). The merchant API asks
// it too, so that such a notify_url is refused when it is given.
func BlockedReason(a netip.Addr) string { return blockedReason(a) }
