// Package burst is the load generator behind `quant burst` and the
// console's burst keys: closed loop (c workers, n requests) or open loop (a
// rate for a duration) over a list of URLs, streaming each result as it
// arrives and summarizing them in a Report.
//
// The requests are sent by vegeta's attacker (github.com/tsenart/vegeta);
// a closed loop is vegeta with an unbounded rate and exactly c workers, and
// a pacer that stops after n requests. Run owns the HTTP transport (so it
// can close its connections) and the pacing of an open loop (so a rate is
// kept exactly and a cancel is noticed while waiting).
package burst

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Config describes one burst.
type Config struct {
	// Targets are the URLs to request, in turn (GET).
	Targets []string
	// Requests (closed loop) is how many requests to send with Concurrency
	// workers, each sending its next request when its last one is answered.
	Requests    int
	Concurrency int
	// Rate and Duration (open loop) send Rate requests per second for
	// Duration whatever the answers take: the first at once, then one
	// every 1/Rate seconds (not rounded: 0.4 is one every 2.5 s), none
	// due at or after Duration. Concurrency then bounds the requests in
	// flight (0: grow as needed, up to MaxOpenLoopWorkers); a request due
	// while all are busy waits, and one not sent by Duration is not sent
	// (the Report counts the shortfall).
	Rate     float64
	Duration time.Duration
	// Timeout bounds one request (default 30 s).
	Timeout time.Duration
	// Header is sent with every request (may be nil).
	Header http.Header
}

// MaxOpenLoopWorkers bounds the requests in flight of an open loop with no
// Concurrency. vegeta's own default is unbounded, so a hung server would
// make it start a goroutine and a connection per due request.
const MaxOpenLoopWorkers = 10000

// Rate bounds: a request every nanosecond at most (vegeta's clock), and an
// interval that fits in a time.Duration (about 292 years) at least.
const (
	maxRate = 1e9
	minRate = 1e9 / float64(math.MaxInt64)
)

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	switch {
	case len(c.Targets) == 0:
		return errors.New("burst: no targets")
	case math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return fmt.Errorf("burst: rate must be a number of requests per second, got %v", c.Rate)
	case c.Rate < 0:
		return fmt.Errorf("burst: rate must be >= 0, got %v", c.Rate)
	case c.Rate > 0 && (c.Rate < minRate || c.Rate > maxRate):
		return fmt.Errorf("burst: rate %v/s: want between %.3g and %.0e per second (an interval of 1 ns to about 292 years)", c.Rate, minRate, maxRate)
	case c.Rate > 0 && c.Duration <= 0:
		return errors.New("burst: an open loop (rate) needs a duration")
	case c.Rate == 0 && (c.Requests < 1 || c.Concurrency < 1):
		return fmt.Errorf("burst: a closed loop needs requests >= 1 and concurrency >= 1 (got %d, %d)", c.Requests, c.Concurrency)
	case c.Concurrency < 0:
		return fmt.Errorf("burst: concurrency must be >= 0, got %d", c.Concurrency)
	}
	return nil
}

// maxWorkers is how many requests a burst may have in flight.
func maxWorkers(c Config) uint64 {
	if c.Concurrency > 0 {
		return uint64(c.Concurrency)
	}
	return MaxOpenLoopWorkers
}

// Result is one answered (or failed) request.
type Result struct {
	Seq     uint64
	URL     string
	Code    int // 0 when no HTTP answer came
	Latency time.Duration
	// Kind classifies the outcome: "ok" (2xx), "503", "timeout",
	// "connection_refused", "connection_reset", "http_4xx", "http_5xx",
	// "canceled" (the burst was canceled while it was in flight), or
	// "other".
	Kind string
	// Cache is the X-Cache header (HIT, MISS, STALE, COALESCED; "" if none).
	Cache string
	// RetryAfter reports whether a 503 carried Retry-After.
	RetryAfter bool
	Error      string
}

// nPacer is a closed loop's pacer: no waiting, stop after n hits.
type nPacer struct{ n uint64 }

func (p nPacer) Pace(_ time.Duration, hits uint64) (time.Duration, bool) { return 0, hits >= p.n }
func (p nPacer) Rate(time.Duration) float64                              { return 0 }

// ratePacer is an open loop's pacer. vegeta's ConstantPacer takes an
// integer frequency (a rate under 1/s would have to be rounded, and Freq 0
// means unbounded), so hit k is due at k/rate seconds, computed in
// floating point. It does its own waiting, on a timer that ctx cancels:
// vegeta's pacer loop sleeps uninterruptibly, which at 0.01/s would hold
// a canceled burst for 100 s.
type ratePacer struct {
	ctx  context.Context
	rate float64       // requests per second, within [minRate, maxRate]
	dur  time.Duration // no hit is due at or after dur
}

// due is when hit k is due, in nanoseconds since the start.
func (p ratePacer) due(k uint64) float64 { return float64(k) * 1e9 / p.rate }

// planned is how many hits are due before dur.
func (p ratePacer) planned() int {
	n := uint64(math.Ceil(p.rate * p.dur.Seconds()))
	for n > 0 && p.due(n-1) >= float64(p.dur) {
		n--
	}
	for p.due(n) < float64(p.dur) {
		n++
	}
	return int(n)
}

func (p ratePacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	due := p.due(hits)
	if due >= float64(p.dur) {
		return 0, true
	}
	if wait := time.Duration(due) - elapsed; wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-p.ctx.Done():
			return 0, true
		}
	}
	return 0, false
}

func (p ratePacer) Rate(time.Duration) float64 { return p.rate }

// ctxTransport sends each request under the burst's context as well as
// its own (which carries the client's timeout): vegeta builds its requests
// without a context, so Stop alone leaves the requests in flight running
// until they time out, and Ctrl-C against a hung server did nothing.
type ctxTransport struct {
	ctx  context.Context
	next http.RoundTripper
}

func (t ctxTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.ctx.Err() != nil {
		return nil, errNotSent
	}
	ctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(t.ctx, cancel)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		stop()
		cancel()
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, done: func() { stop(); cancel() }}
	return resp, nil
}

// errNotSent fails a request that a worker took up after the burst was
// canceled (vegeta's loop may hand out one more tick as Stop lands); Run
// drops its result, since nothing was sent.
var errNotSent = errors.New("burst: canceled before sending")

// cancelBody releases a request's context when its body is closed (the
// body is read under that context).
type cancelBody struct {
	io.ReadCloser
	done func()
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.done()
	return err
}

// Run sends the burst and calls onResult (if not nil) for each result as
// it arrives, from one goroutine. When ctx is done it stops sending,
// cancels the requests in flight (their results have Kind "canceled") and
// returns the report of what was sent with ctx's error. It closes its
// connections before it returns, so repeated bursts do not pile up idle
// connections on the server.
func Run(ctx context.Context, cfg Config, onResult func(Result)) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	targets := make([]vegeta.Target, len(cfg.Targets))
	for i, u := range cfg.Targets {
		targets[i] = vegeta.Target{Method: http.MethodGet, URL: u, Header: cfg.Header}
	}
	workers := maxWorkers(cfg)
	// The transport is ours, not vegeta's, so that its idle connections can
	// be closed when the burst ends (vegeta never closes them).
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: int(workers),
		MaxConnsPerHost:     cfg.Concurrency, // 0: no bound beyond the workers
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: ctxTransport{ctx: ctx, next: tr}, Timeout: cfg.Timeout}
	opts := []func(*vegeta.Attacker){
		vegeta.Client(client), vegeta.MaxBody(0), vegeta.Redirects(vegeta.NoFollow), vegeta.MaxWorkers(workers),
	}
	var pacer vegeta.Pacer
	var rp ratePacer
	var dur time.Duration
	var end <-chan time.Time
	if cfg.Rate > 0 {
		rp = ratePacer{ctx: ctx, rate: cfg.Rate, dur: cfg.Duration}
		pacer, dur = rp, cfg.Duration
		// vegeta checks the duration only before pacing: a loop blocked
		// waiting for a free worker would send its late request whenever
		// one frees. Stopping at the duration ends that wait.
		t := time.NewTimer(cfg.Duration)
		defer t.Stop()
		end = t.C
	} else {
		pacer = nPacer{n: uint64(cfg.Requests)}
		opts = append(opts, vegeta.Workers(workers))
	}
	atk := vegeta.NewAttacker(opts...)
	rep := newReport()
	start := time.Now()
	results := atk.Attack(vegeta.NewStaticTargeter(targets...), pacer, dur, "burst")
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-ctx.Done():
			atk.Stop()
		case <-end:
			atk.Stop()
		case <-finished:
		}
	}()
	for r := range results {
		if strings.HasSuffix(r.Error, errNotSent.Error()) {
			continue
		}
		res := convert(r)
		rep.add(res)
		if onResult != nil {
			onResult(res)
		}
	}
	elapsed := time.Since(start)
	rep.finish(elapsed)
	if cfg.Rate > 0 {
		window := cfg.Duration
		if ctx.Err() != nil {
			window = min(window, elapsed)
		}
		rep.rateFigures(cfg.Rate, rp.planned(), window, ctx.Err() != nil)
	}
	return rep, ctx.Err()
}

// convert turns vegeta's result into a Result.
func convert(r *vegeta.Result) Result {
	res := Result{Seq: r.Seq, URL: r.URL, Code: int(r.Code), Latency: r.Latency}
	if r.Headers != nil {
		res.Cache = r.Headers.Get("X-Cache")
		res.RetryAfter = r.Headers.Get("Retry-After") != ""
	}
	switch {
	case r.Code >= 200 && r.Code < 300:
		res.Kind = "ok"
	case r.Code == 503:
		res.Kind = "503"
	case r.Code >= 500:
		res.Kind = "http_5xx"
	case r.Code >= 400:
		res.Kind = "http_4xx"
	default:
		res.Error = r.Error
		e := strings.ToLower(r.Error)
		switch {
		case strings.Contains(e, "context canceled"):
			res.Kind = "canceled"
		case strings.Contains(e, "timeout") || strings.Contains(e, "deadline exceeded"):
			res.Kind = "timeout"
		case strings.Contains(e, "connection refused"):
			res.Kind = "connection_refused"
		case strings.Contains(e, "connection reset") || strings.Contains(e, "broken pipe") || strings.Contains(e, "eof"):
			res.Kind = "connection_reset"
		default:
			res.Kind = "other"
		}
	}
	return res
}
