// Package burst is the load generator behind `quant burst` and the
// console's burst keys: closed loop (c workers, n requests) or open loop (a
// rate for a duration) over a list of URLs, streaming each result as it
// arrives and summarizing them in a Report.
//
// The requests are sent by vegeta's attacker (github.com/tsenart/vegeta);
// a closed loop is vegeta with an unbounded rate and exactly c workers, and
// a pacer that stops after n requests.
package burst

import (
	"context"
	"errors"
	"fmt"
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
	// Duration whatever the answers take; Concurrency then bounds the
	// requests in flight (0: vegeta's default growth, up to 10,000).
	Rate     float64
	Duration time.Duration
	// Timeout bounds one request (default 30 s).
	Timeout time.Duration
	// Header is sent with every request (may be nil).
	Header http.Header
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	switch {
	case len(c.Targets) == 0:
		return errors.New("burst: no targets")
	case c.Rate < 0:
		return fmt.Errorf("burst: rate must be >= 0, got %v", c.Rate)
	case c.Rate > 0 && c.Duration <= 0:
		return errors.New("burst: an open loop (rate) needs a duration")
	case c.Rate == 0 && (c.Requests < 1 || c.Concurrency < 1):
		return fmt.Errorf("burst: a closed loop needs requests >= 1 and concurrency >= 1 (got %d, %d)", c.Requests, c.Concurrency)
	case c.Concurrency < 0:
		return fmt.Errorf("burst: concurrency must be >= 0, got %d", c.Concurrency)
	}
	return nil
}

// Result is one answered (or failed) request.
type Result struct {
	Seq     uint64
	URL     string
	Code    int // 0 when no HTTP answer came
	Latency time.Duration
	// Kind classifies the outcome: "ok" (2xx), "503", "timeout",
	// "connection_refused", "connection_reset", "http_4xx", "http_5xx", or
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

// Run sends the burst and calls onResult (if not nil) for each result as
// it arrives, from one goroutine. It stops early when ctx is done and
// returns the report of what was sent.
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
	opts := []func(*vegeta.Attacker){
		vegeta.Timeout(cfg.Timeout), vegeta.KeepAlive(true), vegeta.MaxBody(0), vegeta.Redirects(vegeta.NoFollow),
	}
	var pacer vegeta.Pacer
	var dur time.Duration
	if cfg.Rate > 0 {
		pacer, dur = vegeta.ConstantPacer{Freq: int(cfg.Rate + 0.5), Per: time.Second}, cfg.Duration
		if cfg.Concurrency > 0 {
			opts = append(opts, vegeta.MaxWorkers(uint64(cfg.Concurrency)), vegeta.Connections(cfg.Concurrency))
		}
	} else {
		c := uint64(cfg.Concurrency)
		pacer = nPacer{n: uint64(cfg.Requests)}
		opts = append(opts, vegeta.Workers(c), vegeta.MaxWorkers(c), vegeta.Connections(cfg.Concurrency), vegeta.MaxConnections(cfg.Concurrency))
	}
	atk := vegeta.NewAttacker(opts...)
	rep := newReport()
	start := time.Now()
	results := atk.Attack(vegeta.NewStaticTargeter(targets...), pacer, dur, "burst")
	done := ctx.Done()
	for r := range results {
		res := convert(r)
		rep.add(res)
		if onResult != nil {
			onResult(res)
		}
		if done != nil {
			select {
			case <-done:
				atk.Stop()
				done = nil
			default:
			}
		}
	}
	rep.finish(time.Since(start))
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
