// Package faultproxy is a TCP proxy for tests that stands between a client
// and a server on loopback and breaks the connection the way a venue's
// network does: refused connections, cuts in the middle of a request or of
// a response, slow answers, and canned answers (a 500 or a 503 with
// Retry-After) from a "server" that never saw the request.
//
// It works on bytes, not HTTP, so a cut lands wherever the byte count says,
// even inside a gzip body or a chunk header. Requests on a kept-alive
// connection are told apart by turns: bytes from the client after bytes
// from the server start a new request, and the fault plan is asked again.
// That is exact for HTTP/1.1 without pipelining, which is what Go's client
// does.
package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is what happens to one request (one client turn on a connection).
// The zero value forwards it untouched.
type Fault struct {
	// Refuse closes the client connection as soon as the request starts;
	// nothing reaches the server.
	Refuse bool
	// CutRequestAfter, when > 0, forwards only this many bytes of the
	// request and then closes both sides: the server sees a truncated body.
	CutRequestAfter int
	// CutResponseAfter, when ≥ 0 and CutResponse is set, forwards the whole
	// request but only this many bytes of the answer before closing both
	// sides. With 0 the server commits and the client never hears of it.
	CutResponse      bool
	CutResponseAfter int
	// Delay holds back the first byte of the answer this long.
	Delay time.Duration
	// Respond, when not nil, is written to the client instead of forwarding
	// the request, and the connection is closed.
	Respond []byte
}

// Canned answers for Fault.Respond.
var (
	Response500 = []byte("HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 50\r\n\r\n{\"code\":\"internal\",\"message\":\"injected fault 500\"}")
	Response503 = []byte("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 50\r\n\r\n{\"code\":\"internal\",\"message\":\"injected fault 503\"}")
)

// Plan chooses the fault of the n-th request through the proxy (from 1);
// head is the first chunk the client sent, which holds the request line
// ("POST /v1/checkins HTTP/1.1") and usually the headers.
type Plan func(n int64, head []byte) Fault

// Stats counts what the proxy did.
type Stats struct {
	Conns, Requests, Refused, CutRequests, CutResponses, Delayed, Canned int64
}

// Proxy is a fault-injecting TCP proxy listening on 127.0.0.1.
type Proxy struct {
	ln net.Listener

	mu     sync.Mutex
	target string
	plan   Plan
	down   bool
	conns  map[net.Conn]struct{}
	closed bool

	done     chan struct{} // closed by Close: ends delays
	requests atomic.Int64
	stats    struct {
		conns, refused, cutReq, cutResp, delayed, canned atomic.Int64
	}
	wg sync.WaitGroup
}

// New starts a proxy to target (host:port) on a free loopback port.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}, done: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL is http://Addr.
func (p *Proxy) URL() string { return "http://" + p.Addr() }

// SetPlan sets the fault plan; nil forwards everything.
func (p *Proxy) SetPlan(pl Plan) {
	p.mu.Lock()
	p.plan = pl
	p.mu.Unlock()
}

// SetTarget points new connections at another server (a restarted one).
func (p *Proxy) SetTarget(target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
}

// SetDown makes the far side unreachable: open connections are cut and new
// ones are closed at once, as when the collector's host is gone.
func (p *Proxy) SetDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
	if down {
		p.CutAll()
	}
}

// CutAll closes every open connection, as a network change does.
func (p *Proxy) CutAll() {
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
}

// Stats returns the counters.
func (p *Proxy) Stats() Stats {
	return Stats{
		Conns: p.stats.conns.Load(), Requests: p.requests.Load(), Refused: p.stats.refused.Load(),
		CutRequests: p.stats.cutReq.Load(), CutResponses: p.stats.cutResp.Load(),
		Delayed: p.stats.delayed.Load(), Canned: p.stats.canned.Load(),
	}
}

// Close stops the proxy and cuts every connection.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if !p.closed {
		close(p.done)
	}
	p.closed = true
	p.mu.Unlock()
	err := p.ln.Close()
	p.CutAll()
	p.wg.Wait()
	return err
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.stats.conns.Add(1)
		p.mu.Lock()
		down, target := p.down, p.target
		p.mu.Unlock()
		if down {
			p.stats.refused.Add(1)
			c.Close()
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(c, target)
		}()
	}
}

// conn is one proxied connection and its turn state.
type conn struct {
	p              *Proxy
	client, server net.Conn

	mu        sync.Mutex
	inRequest bool // the client has the turn
	fault     Fault
	reqBytes  int
	respBytes int
	delayed   bool
}

func (p *Proxy) serve(client net.Conn, target string) {
	if !p.track(client) {
		client.Close()
		return
	}
	defer p.untrack(client)
	server, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		return // the client sees the close: the far side is down
	}
	if !p.track(server) {
		server.Close()
		return
	}
	defer p.untrack(server)
	c := &conn{p: p, client: client, server: server}
	done := make(chan struct{})
	go func() {
		c.pump(server, client, false)
		close(done)
	}()
	c.pump(client, server, true)
	<-done
}

// errCut ends a pump on purpose.
var errCut = errors.New("faultproxy: cut")

func (c *conn) closeBoth() {
	c.client.Close()
	c.server.Close()
}

// pump copies src to dst; fromClient tells the direction.
func (c *conn) pump(src, dst net.Conn, fromClient bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if werr := c.forward(dst, buf[:n], fromClient); werr != nil {
				c.closeBoth()
				return
			}
		}
		if err != nil {
			if err == io.EOF {
				// Half-close so the other direction can finish.
				if tc, ok := dst.(*net.TCPConn); ok {
					tc.CloseWrite()
					return
				}
			}
			c.closeBoth()
			return
		}
	}
}

func (c *conn) forward(dst net.Conn, b []byte, fromClient bool) error {
	c.mu.Lock()
	if fromClient && !c.inRequest {
		// A new turn: ask the plan.
		c.inRequest = true
		c.reqBytes, c.respBytes, c.delayed = 0, 0, false
		n := c.p.requests.Add(1)
		c.p.mu.Lock()
		pl := c.p.plan
		c.p.mu.Unlock()
		c.fault = Fault{}
		if pl != nil {
			c.fault = pl(n, b)
		}
	} else if !fromClient {
		c.inRequest = false
	}
	f := c.fault
	c.mu.Unlock()

	if fromClient {
		switch {
		case f.Refuse:
			c.p.stats.refused.Add(1)
			return errCut
		case f.Respond != nil:
			c.p.stats.canned.Add(1)
			c.client.Write(f.Respond)
			return errCut
		case f.CutRequestAfter > 0:
			c.mu.Lock()
			left := f.CutRequestAfter - c.reqBytes
			c.reqBytes += len(b)
			c.mu.Unlock()
			if left < len(b) {
				if left > 0 {
					dst.Write(b[:left])
				}
				c.p.stats.cutReq.Add(1)
				return errCut
			}
		}
		_, err := dst.Write(b)
		return err
	}

	c.mu.Lock()
	first := !c.delayed
	c.delayed = true
	left := f.CutResponseAfter - c.respBytes
	c.respBytes += len(b)
	c.mu.Unlock()
	if first && f.Delay > 0 {
		c.p.stats.delayed.Add(1)
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-c.p.done:
			t.Stop()
			return errCut
		}
	}
	if f.CutResponse && left < len(b) {
		if left > 0 {
			dst.Write(b[:left])
		}
		c.p.stats.cutResp.Add(1)
		return errCut
	}
	_, err := dst.Write(b)
	return err
}
