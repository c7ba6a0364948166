// Package llgate is the domain of a LianLian Pay compatible card-binding and
// quick-pay gateway: its types, the interfaces to the outside world (Store,
// Vault, Clock, Issuer, SMSSender) and the use cases that own every state
// transition. It imports only the standard library; each technology lives in a
// package of its own (protocol, sqlite, postgres, vault, httpapi, ...).
package llgate

import "time"

// Mode is how the process runs: a sandbox for merchants' tests, or a gateway
// for real payments.
type Mode string

const (
	ModeSandbox Mode = "sandbox"
	ModeGateway Mode = "gateway"
)

// Clock tells the time. Everything time-based takes it from here, so the
// sandbox can move time forward for SMS expiry, retries and settlements.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }
