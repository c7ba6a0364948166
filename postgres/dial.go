package postgres

import (
	"net"
	"syscall"
	"time"
)

// A connection whose peer vanished (a network that drops packets rather
// than refusing them) is noticed by the kernel only after about fifteen
// minutes of retransmissions, and one sitting idle in the pool not at all.
// Keep-alive probes find an idle one; TCP_USER_TIMEOUT (Linux) drops a
// connection whose data or probes go unacknowledged, set as is usual to the
// probes' whole span. The context deadlines bound the callers; these bound
// what the pool hands them.
const (
	keepAliveIdle     = 15 * time.Second
	keepAliveInterval = 5 * time.Second
	keepAliveCount    = 3
	userTimeout       = keepAliveIdle + keepAliveCount*keepAliveInterval
)

// dialer opens connections to PostgreSQL; timeout bounds the TCP connect
// (pgx's ConnectTimeout bounds the whole start-up).
func dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{
		Timeout: timeout,
		KeepAliveConfig: net.KeepAliveConfig{
			Enable: true, Idle: keepAliveIdle, Interval: keepAliveInterval, Count: keepAliveCount,
		},
		Control: func(network, _ string, c syscall.RawConn) error {
			if network != "tcp" && network != "tcp4" && network != "tcp6" {
				return nil // a Unix socket
			}
			return setUserTimeout(c, userTimeout)
		},
	}
}
