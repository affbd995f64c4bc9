package server

import (
	"container/list"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/time/rate"

	"github.com/quantops/quant/internal/quant"
)

// Defaults of the process-level limits (see Config).
const (
	// DefaultMaxConns bounds the API's open connections: ten times the
	// largest burst the benchmarks fire (1,000 concurrent connections).
	// Each is a file descriptor: the process's limit (ulimit -n) must be
	// above it, or accepting fails before the bound is reached.
	DefaultMaxConns = 10000
	// DefaultRateLimitClients bounds the table of per-client limiters: about
	// 200 bytes each, so some 20 MB when full (BenchmarkRateLimitTable).
	DefaultRateLimitClients = 100000
)

// rateLimiter is a token bucket per client address, in a table bounded by
// size (least frequently and recently used clients are evicted first) and
// by idleness: an entry not used for as long as its bucket takes to refill
// (at least a second, at most maxWait) is dropped, which loses nothing,
// since the client would find it full.
type rateLimiter struct {
	limit   rate.Limit
	burst   int
	clients *otter.Cache[netip.Addr, *rate.Limiter]
	limited atomic.Int64 // requests refused
}

func newRateLimiter(perSecond float64, burst, maxClients int) *rateLimiter {
	refill := min(float64(burst)/perSecond, maxWait.Seconds())
	return &rateLimiter{
		limit: rate.Limit(perSecond),
		burst: burst,
		clients: otter.Must(&otter.Options[netip.Addr, *rate.Limiter]{
			MaximumSize:      maxClients,
			ExpiryCalculator: otter.ExpiryAccessing[netip.Addr, *rate.Limiter](max(time.Duration(refill*float64(time.Second)), time.Second)),
			// Reading the precise time was a third of a lookup here;
			// expiry after at least a second does not need it.
			Clock: otter.NewCoarseClock(100 * time.Millisecond),
		}),
	}
}

// allow takes a token from client's bucket at now; when there is none it
// returns false and how long until there is.
func (l *rateLimiter) allow(client netip.Addr, now time.Time) (bool, time.Duration) {
	lim, ok := l.clients.GetIfPresent(client)
	if !ok {
		lim, _ = l.clients.SetIfAbsent(client, rate.NewLimiter(l.limit, l.burst))
	}
	if lim.AllowN(now, 1) {
		return true, 0
	}
	l.limited.Add(1)
	wait := min((1-lim.TokensAt(now))/float64(l.limit), maxWait.Seconds())
	return false, time.Duration(math.Ceil(wait * float64(time.Second)))
}

// maxWait caps the waits the rate limiter computes, so that an absurdly
// low rate cannot overflow a time.Duration.
const maxWait = 24 * time.Hour

// clientKey returns the address that identifies the client of r for rate
// limiting: the peer's address, or, when the peer is a trusted proxy, the
// nearest address in X-Forwarded-For that is not one (read from the right:
// each proxy appends the address it received the request from, and only
// the entries our own proxies added can be believed). IPv6 clients are
// keyed by their /64, the block one subscriber usually holds. ok is false
// when RemoteAddr is not an address and port (a unix socket's).
func clientKey(r *http.Request, trusted []netip.Prefix) (key netip.Addr, ok bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	addr := ap.Addr().Unmap()
	if len(trusted) > 0 && isTrusted(addr, trusted) {
		addr = forwardedClient(addr, r.Header.Values("X-Forwarded-For"), trusted)
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		addr = p.Addr()
	}
	return addr, true
}

// forwardedClient walks the X-Forwarded-For hops from the right past the
// trusted proxies and returns the first untrusted one; an entry that does
// not parse stops the walk at the last good address.
func forwardedClient(peer netip.Addr, values []string, trusted []netip.Prefix) netip.Addr {
	client := peer
	for i := len(values) - 1; i >= 0; i-- {
		hops := strings.Split(values[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[j]))
			if err != nil {
				return client
			}
			client = a.Unmap()
			if !isTrusted(client, trusted) {
				return client
			}
		}
	}
	return client
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies parses CIDR prefixes or single addresses ("10.0.0.0/8",
// "192.0.2.7") for Config.TrustedProxies.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if a, err := netip.ParseAddr(s); err == nil {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR prefix", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// rateLimitExempt reports whether path is answered whatever the client's
// rate: the health checks of load balancers and orchestrators, which poll
// from one address and must never be refused for it.
func rateLimitExempt(path string) bool {
	return path == "/healthz" || path == "/readyz"
}

// idleShare is the share of the connection limit past which idle
// keep-alive connections are closed, oldest first, to keep room for new
// clients: without it, one client that opens MaxConns connections, sends a
// request on each and idles holds every slot for the idle timeout, and
// every other client (the health checks included) waits.
const idleShare = 0.8

// limitListener bounds the connections open at once: past max, Accept
// waits for one to close, and new connections wait in the kernel's accept
// queue meanwhile (the semantics of x/net/netutil.LimitListener, with a
// count the snapshot can show). Past idleShare of max, idle keep-alive
// connections are closed, oldest first, as the server reports them idle
// (connState) and before each Accept, so that only connections at work can
// fill the last slots. A connection reported idle as its next request
// arrives may be closed with it; the client sees the connection end before
// any answer and may retry, as with http.Server's own closing of idle
// connections at shutdown.
type limitListener struct {
	net.Listener
	sem       chan struct{} // one token per open connection
	done      chan struct{} // closed by Close: unblocks a waiting Accept
	closeOnce sync.Once
	idleAt    int // open connections past which idle ones are closed

	mu   sync.Mutex
	idle list.List // of *limitConn, oldest idle first; guarded by mu
}

func newLimitListener(ln net.Listener, max int) *limitListener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, max), done: make(chan struct{}),
		idleAt: int(math.Ceil(idleShare * float64(max)))}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.trim()
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	lc := &limitConn{Conn: c}
	lc.release = func() { l.forget(lc); <-l.sem }
	return lc, nil
}

// connState is the http.Server's ConnState hook: it keeps the list of idle
// connections and trims it.
func (l *limitListener) connState(c net.Conn, st http.ConnState) {
	lc, ok := c.(*limitConn)
	if !ok {
		return
	}
	if st != http.StateIdle {
		l.forget(lc)
		return
	}
	l.mu.Lock()
	if lc.idle == nil {
		lc.idle = l.idle.PushBack(lc)
	}
	l.mu.Unlock()
	l.trim()
}

// forget takes c off the idle list.
func (l *limitListener) forget(c *limitConn) {
	l.mu.Lock()
	if c.idle != nil {
		l.idle.Remove(c.idle)
		c.idle = nil
	}
	l.mu.Unlock()
}

// trim closes idle connections, oldest first, while the open ones are at
// or past idleAt.
func (l *limitListener) trim() {
	for l.open() >= l.idleAt {
		l.mu.Lock()
		e := l.idle.Front()
		if e == nil {
			l.mu.Unlock()
			return
		}
		c := l.idle.Remove(e).(*limitConn)
		c.idle = nil
		l.mu.Unlock()
		c.Close()
	}
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

// open returns the connections open now.
func (l *limitListener) open() int { return len(l.sem) }

// limitConn gives its slot back once, on the first Close.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
	idle    *list.Element // on limitListener.idle; guarded by its mu
}

// CloseWrite half-closes the connection (net/http does after a 431).
func (c *limitConn) CloseWrite() error { return closeWrite(c.Conn) }

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// LimitsSnapshot is quant.LimitsSnapshot: the process-level limits
// figures, for the admin snapshot and the console.
type LimitsSnapshot = quant.LimitsSnapshot

// Limits returns the state of the process-level limits, for the admin
// snapshot and the console.
func (s *Server) Limits() LimitsSnapshot {
	out := LimitsSnapshot{MaxConns: s.cfg.MaxConns, Memory: s.shedder.state(s.now())}
	if ln := s.listener.Load(); ln != nil {
		out.Conns = ln.open()
	}
	if s.limiter != nil {
		out.RateLimit, out.RateBurst = float64(s.limiter.limit), s.limiter.burst
		out.Clients = s.limiter.clients.EstimatedSize()
		out.RateLimited = s.limiter.limited.Load()
	}
	return out
}
