package llgate

import "net/netip"

// VelocityOf exposes the caps and counters a request is checked against.
func VelocityOf(c Caps, v Vault, m *Merchant, addr netip.Addr) (phones, cards int, counters []string) {
	vel := c.velocity(v, m, addr)
	return vel.phones, vel.cards, vel.counters
}
