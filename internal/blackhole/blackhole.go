// Package blackhole is a TCP proxy for tests that can stop forwarding
// without refusing or closing anything, as a network that drops packets
// does: what a client sends is accepted and goes nowhere, no answer comes,
// and nothing tells either side. When it forwards again, what was held is
// delivered, as TCP's retransmissions would deliver it.
package blackhole

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy forwards connections on a loopback port to an upstream address.
type Proxy struct {
	ln       net.Listener
	upstream string

	mu    sync.Mutex
	open  chan struct{} // closed while forwarding
	conns map[net.Conn]struct{}
	done  chan struct{} // closed by Close
	wg    sync.WaitGroup
}

// Start listens on 127.0.0.1 and forwards to upstream until tb ends.
func Start(tb testing.TB, upstream string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("blackhole: %v", err)
	}
	p := &Proxy{
		ln: ln, upstream: upstream, open: make(chan struct{}),
		conns: map[net.Conn]struct{}{}, done: make(chan struct{}),
	}
	close(p.open)
	p.wg.Go(p.accept)
	tb.Cleanup(p.Close)
	return p
}

// StartURL starts a proxy to the host of rawURL (postgres://host:port/...)
// and returns it with rawURL leading to it instead.
func StartURL(tb testing.TB, rawURL string) (*Proxy, string) {
	tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		tb.Fatalf("blackhole: %v", err)
	}
	p := Start(tb, u.Host)
	u.Host = p.Addr()
	return p, u.String()
}

// Addr is the address clients dial instead of upstream.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Block stops forwarding, in both directions, on every connection, and
// makes new connections wait (accepted, never dialled through) until
// Forward.
func (p *Proxy) Block() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
		p.open = make(chan struct{})
	default: // already blocked
	}
}

// Forward forwards again, first what was held.
func (p *Proxy) Forward() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
	default:
		close(p.open)
	}
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() {
	p.mu.Lock()
	select {
	case <-p.done:
		p.mu.Unlock()
		return
	default:
	}
	close(p.done)
	p.ln.Close()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// wait blocks while the proxy is blocked; false once it is closed.
func (p *Proxy) wait() bool {
	p.mu.Lock()
	open := p.open
	p.mu.Unlock()
	select {
	case <-open:
		return true
	case <-p.done:
		return false
	}
}

// track records c so that Close closes it; false if already closed.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		c.Close()
		return false
	default:
		p.conns[c] = struct{}{}
		return true
	}
}

// untrack closes c and forgets it.
func (p *Proxy) untrack(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		if !p.track(c) {
			return
		}
		p.wg.Go(func() { p.serve(c) })
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer p.untrack(client)
	if !p.wait() {
		return
	}
	server, err := net.Dial("tcp", p.upstream)
	if err != nil || !p.track(server) {
		return
	}
	defer p.untrack(server)
	var wg sync.WaitGroup
	wg.Go(func() { p.pipe(server, client) })
	wg.Go(func() { p.pipe(client, server) })
	wg.Wait()
}

// pipe copies src to dst, holding each chunk while the proxy is blocked.
// When src ends, both are closed, once the proxy forwards: a close is
// news the network would not carry either.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer p.untrack(dst)
	defer p.untrack(src)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if !p.wait() {
			return
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
