// Package client is the one Go client of quant's HTTP APIs: the public
// API (/api/v1: politicians, trades, people, analyses, jobs, health) and
// the admin API (/admin/v1: snapshot, cache flush, breaker overrides).
// It owns the wire format's Go side (the answers' types, the one function
// that turns an analysis request into its URL), bounded reads, waiting out
// 503s when asked to, and the *Error every refusal becomes, which
// errors.Is matches against quant's error kinds. The commands (warm,
// burst, compliance --url), the console's remote source and the
// end-to-end tests use it; internal/server and its openapi.yaml define
// what it reads.
package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultBodyLimit bounds an answer's body (64 MiB: the largest analysis
// answers, network over every politician, are a few MiB).
const DefaultBodyLimit = 64 << 20

// Client sends requests to one server's public API and, when given its
// address, its admin API. It is safe for concurrent use.
type Client struct {
	base      string // the public API's base URL, no trailing slash
	admin     string // the admin API's base URL, no trailing slash ("": none)
	token     string // the admin bearer token; never in errors or logs
	http      *http.Client
	userAgent string
	timeout   time.Duration // per request, reading the body included (0: none)
	bodyLimit int64
	tries     int           // attempts of a request answered 503 (1: no retry)
	maxWait   time.Duration // cap on the wait between them
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends the requests through hc (default: a new
// http.Client without a timeout of its own; see WithTimeout).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithAdmin names the admin API's base URL ("http://host:9090") and its
// bearer token ("" sends none). Without it the admin methods fail.
func WithAdmin(baseURL, token string) Option {
	return func(c *Client) { c.admin, c.token = strings.TrimRight(baseURL, "/"), token }
}

// WithUserAgent sets the User-Agent header (default "quant-client").
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithTimeout gives up on each request, reading its answer included, after
// d (0, the default: only the context bounds it). Waits between retries
// count apart.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithBodyLimit bounds the answers' bodies to n bytes (default
// DefaultBodyLimit); a longer answer is an error.
func WithBodyLimit(n int64) Option { return func(c *Client) { c.bodyLimit = n } }

// WithRetry sends a request answered 503 (a full queue, an open breaker,
// a store not ready) up to tries times in all, waiting the answer's
// Retry-After (a second when it has none), at most maxWait, in between.
// The default is one try: the 503 is the caller's.
func WithRetry(tries int, maxWait time.Duration) Option {
	return func(c *Client) { c.tries, c.maxWait = max(tries, 1), maxWait }
}

// New returns a client of the server whose public API is at baseURL
// ("http://host:8080"; a trailing slash is ignored).
func New(baseURL string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), userAgent: "quant-client", bodyLimit: DefaultBodyLimit, tries: 1}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	return c
}

// BaseURL returns the public API's base URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// AdminURL returns the admin API's base URL ("" when none was given).
func (c *Client) AdminURL() string { return c.admin }

// ErrNoAdmin reports an admin call on a client made without WithAdmin.
var ErrNoAdmin = errors.New("client: no admin API URL")

// ErrUnauthorized is what an *Error of a 401 or 403 unwraps to: the
// server refused the token (or its absence).
var ErrUnauthorized = errors.New("client: unauthorized (check the admin token)")

// answer is a 2xx answer read in full.
type answer struct {
	header http.Header
	body   []byte
}

// call is one request: the method, the URL, a JSON body (nil: none) and
// extra headers.
type call struct {
	method string
	url    string
	body   []byte
	header http.Header
	admin  bool // sends the admin token
}

// get sends a GET to the public API's path (with query q, if any).
func (c *Client) get(ctx context.Context, path string, q url.Values) (*answer, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return c.do(ctx, call{method: http.MethodGet, url: u})
}

// adminCall sends a request to the admin API's path.
func (c *Client) adminCall(ctx context.Context, method, path string, q url.Values) (*answer, error) {
	if c.admin == "" {
		return nil, ErrNoAdmin
	}
	u := c.admin + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return c.do(ctx, call{method: method, url: u, admin: true})
}

// do sends cl, waiting out 503s as WithRetry allows, and returns a 2xx
// answer or an error: *Error for any other status.
func (c *Client) do(ctx context.Context, cl call) (*answer, error) {
	for try := 1; ; try++ {
		a, err := c.once(ctx, cl)
		var e *Error
		if err == nil || !errors.As(err, &e) || e.StatusCode != http.StatusServiceUnavailable || try >= c.tries {
			return a, err
		}
		wait := e.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		t := time.NewTimer(min(wait, c.maxWait))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%s %s: %w (after %w)", cl.method, redact(cl.url), ctx.Err(), err)
		}
	}
}

// once sends cl one time.
func (c *Client) once(ctx context.Context, cl call) (*answer, error) {
	a, err := c.send(ctx, cl)
	if err != nil && c.timeout > 0 && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		// The deadline was the client's, not the caller's: say so.
		return nil, fmt.Errorf("%s %s: no answer within %v (client timeout): %w", cl.method, redact(cl.url), c.timeout, context.DeadlineExceeded)
	}
	return a, err
}

// send sends cl one time, within the client's timeout.
func (c *Client) send(ctx context.Context, cl call) (*answer, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, cl.url, body)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", cl.method, redact(cl.url), err)
	}
	for k, vs := range cl.header {
		req.Header[k] = vs
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cl.admin && c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error names the URL; ours is redacted and the token is in
		// a header, which no error repeats.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s %s: %w", cl.method, redact(cl.url), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.bodyLimit+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the answer: %w", cl.method, redact(cl.url), err)
	}
	if int64(len(b)) > c.bodyLimit {
		return nil, fmt.Errorf("%s %s: %w: the answer exceeds %d bytes", cl.method, redact(cl.url), ErrTooLarge, c.bodyLimit)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, newError(cl.method, cl.url, resp, b)
	}
	return &answer{header: resp.Header, body: b}, nil
}

// ErrTooLarge reports an answer longer than the client's body limit.
var ErrTooLarge = errors.New("client: answer too large")

// redact returns u without a password.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Redacted()
}

// retryAfter reads a Retry-After header in seconds (0 when absent or not
// a number of seconds).
func retryAfter(h http.Header) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After")))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}
